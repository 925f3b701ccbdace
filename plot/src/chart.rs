//! [`Chart`]: a table plus the chart definition, and how it is logged.

use wandb_core::{Media, MediaContext, Row, Run, Value};
use wandb_data_types::{Cell, Table};

use crate::data::ChartData;
use crate::error::{PlotError, Result};
use crate::spec::ChartSpec;

/// A W&B custom chart (the official `CustomChart`): a [`Table`] and the Vega
/// preset that draws it.
///
/// Logging a chart under `key` does what `run.log({key: chart})` does in the
/// official client:
/// - the history row gets the table under `<key>_table` (a `table-file`
///   value with its `run_table` artifact), not under `key`;
/// - the config gets the chart definition at `_wandb.visualize.<key>`.
///
/// Because the history key is not `key`, a chart is not logged as a plain
/// value: use [`Chart::into_row`], [`ChartRowExt::with_chart`] (to add it to a
/// row with other values) or [`ChartRunExt::log_chart`].
///
/// ```no_run
/// use wandb_core::{init, row, InitOptions};
/// use wandb_data_types::{cells, Table};
/// use wandb_plot::{ChartRowExt, ChartRunExt};
///
/// let run = init(InitOptions::new().project("demo"))?;
/// let mut t = Table::new(["x", "y"]);
/// for x in 0..5 {
///     t.add_row(cells![x, x * x])?;
/// }
/// run.log_chart("squares", wandb_plot::line(&t, "x", "y")?.title("Squares"))?;
/// // or together with other values of the same step:
/// run.log(row! {"epoch" => 1}.with_chart("squares2", wandb_plot::scatter(&t, "x", "y")?))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Chart {
    table: Table,
    spec: ChartSpec,
}

impl Chart {
    /// A chart of `table` with any Vega preset (the official
    /// `wandb.plot_table(vega_spec_name, data_table, fields, string_fields)`).
    pub fn new(table: Table, spec: ChartSpec) -> Self {
        Chart { table, spec }
    }

    /// Sets the chart title (`stringSettings.title`).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.spec
            .string_fields
            .insert("title".into(), Value::Str(title.into()));
        self
    }

    /// Logs the table under `Custom Chart Tables/<key>_table` so the W&B UI
    /// shows it in its own section (the official `split_table=True`).
    pub fn split_table(mut self, split: bool) -> Self {
        self.spec.split_table = split;
        self
    }

    /// Line charts: the column whose values group the points into separate
    /// lines (the official `stroke`). No effect on other charts.
    pub fn stroke(mut self, column: impl Into<String>) -> Self {
        if let Some(v) = self.spec.fields.get_mut("stroke") {
            *v = Value::Str(column.into());
        }
        self
    }

    /// Line series charts: the x-axis title (the official `xname`, default
    /// `x`). No effect on other charts.
    pub fn xname(mut self, name: impl Into<String>) -> Self {
        if let Some(v) = self.spec.string_fields.get_mut("xname") {
            *v = Value::Str(name.into());
        }
        self
    }

    /// The chart's table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The chart definition.
    pub fn spec(&self) -> &ChartSpec {
        &self.spec
    }

    /// The history key the table is logged under when the chart is logged as `key`.
    pub fn table_key(&self, key: &str) -> String {
        self.spec.table_key(key)
    }

    /// The entry to put in a history row for a chart logged as `key`:
    /// (`<key>_table`, a media value that writes the table and the config entry).
    pub fn entry(self, key: &str) -> (String, Value) {
        let table_key = self.table_key(key);
        let value = Value::media(LoggedChart {
            key: key.to_owned(),
            chart: self,
        });
        (table_key, value)
    }

    /// A row holding only this chart, logged as `key`.
    pub fn into_row(self, key: &str) -> Row {
        let (k, v) = self.entry(key);
        Row::new().with(k, v)
    }
}

/// Adds charts to a [`Row`].
pub trait ChartRowExt {
    /// Adds `chart`, logged as `key` (its table goes under `<key>_table`).
    fn insert_chart(&mut self, key: &str, chart: Chart) -> &mut Self;
    /// Builder form of [`ChartRowExt::insert_chart`].
    fn with_chart(self, key: &str, chart: Chart) -> Self;
}

impl ChartRowExt for Row {
    fn insert_chart(&mut self, key: &str, chart: Chart) -> &mut Self {
        let (k, v) = chart.entry(key);
        self.insert(k, v)
    }

    fn with_chart(mut self, key: &str, chart: Chart) -> Self {
        self.insert_chart(key, chart);
        self
    }
}

/// Logs charts to a [`Run`].
pub trait ChartRunExt {
    /// Logs `chart` as `key` at the next step, like `run.log({key: chart})`.
    fn log_chart(&self, key: &str, chart: Chart) -> wandb_core::Result<()>;
}

impl ChartRunExt for Run {
    fn log_chart(&self, key: &str, chart: Chart) -> wandb_core::Result<()> {
        self.log(chart.into_row(key))
    }
}

/// The media value of a chart logged as `key`: on the writer thread it sets
/// `_wandb.visualize.<key>` in the config, then materialises the table under
/// `<key>_table`.
#[derive(Debug)]
struct LoggedChart {
    key: String,
    chart: Chart,
}

impl Media for LoggedChart {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let config = self.chart.spec.config_value(&self.key);
        ctx.update_config(&ChartSpec::config_key(&self.key), &config)?;
        let table_key = self.chart.table_key(&self.key);
        if ctx.key() == table_key {
            return self.chart.table.materialize(ctx);
        }
        // Logged under another history key: the table's file and artifact
        // are still named after `<key>_table`, as the chart's config says.
        let mut records = Vec::new();
        let value = {
            let mut sub = MediaContext::new(
                ctx.files_dir(),
                &table_key,
                ctx.step(),
                ctx.run(),
                &mut records,
            );
            self.chart.table.materialize(&mut sub)?
        };
        for r in records {
            ctx.emit_record(r);
        }
        Ok(value)
    }
}

/// Builds a [`Table`] from computed rows.
pub(crate) fn table_of(data: ChartData) -> Result<Table> {
    let rows = data
        .data
        .iter()
        .map(|r| {
            r.iter()
                .map(Cell::from_value)
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PlotError::Table(e.to_string()))?;
    Table::from_rows(data.columns, rows).map_err(|e| PlotError::Table(e.to_string()))
}

/// Checks that `table` has a column `name`.
pub(crate) fn require_column(what: &'static str, table: &Table, name: &str) -> Result<()> {
    if table.columns().iter().any(|c| c == name) {
        Ok(())
    } else {
        Err(PlotError::NoSuchColumn {
            what,
            column: name.to_owned(),
            columns: table.columns().to_vec(),
        })
    }
}
