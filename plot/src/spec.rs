//! The chart definition stored in the run config under
//! `_wandb.visualize.<key>`: which Vega preset renders the table and how its
//! columns map to the preset's fields.

use wandb_core::{Map, Value};

/// Prefix of the table key when the table is shown in its own section
/// (`split_table=True` in the official client).
pub const SPLIT_TABLE_SECTION: &str = "Custom Chart Tables";

/// A custom-chart definition (the official `CustomChartSpec`): the preset id,
/// its field and string settings, and where its table is logged.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// The Vega preset, e.g. `wandb/line/v0`.
    pub panel_def_id: String,
    /// Preset field -> table column (`fieldSettings`); `Null` for an unset
    /// optional field such as the line chart's `stroke`.
    pub fields: Map,
    /// Preset string settings such as `title` (`stringSettings`).
    pub string_fields: Map,
    /// Whether the table goes under `Custom Chart Tables/<key>_table`
    /// instead of `<key>_table`.
    pub split_table: bool,
}

impl ChartSpec {
    /// A spec for `panel_def_id` with the given fields and string settings.
    pub fn new(
        panel_def_id: impl Into<String>,
        fields: impl IntoIterator<Item = (&'static str, Value)>,
        string_fields: impl IntoIterator<Item = (&'static str, Value)>,
    ) -> Self {
        ChartSpec {
            panel_def_id: panel_def_id.into(),
            fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            string_fields: string_fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            split_table: false,
        }
    }

    /// The history key of the chart's table when the chart is logged as `key`:
    /// `<key>_table`, or `Custom Chart Tables/<key>_table` for a split table.
    ///
    /// ```
    /// # use wandb_plot::ChartSpec;
    /// let mut spec = ChartSpec::new("wandb/line/v0", [], []);
    /// assert_eq!(spec.table_key("loss"), "loss_table");
    /// spec.split_table = true;
    /// assert_eq!(spec.table_key("loss"), "Custom Chart Tables/loss_table");
    /// ```
    pub fn table_key(&self, key: &str) -> String {
        if self.split_table {
            format!("{SPLIT_TABLE_SECTION}/{key}_table")
        } else {
            format!("{key}_table")
        }
    }

    /// The config path of the chart definition: `["_wandb", "visualize", key]`.
    pub fn config_key(key: &str) -> [&str; 3] {
        ["_wandb", "visualize", key]
    }

    /// The value stored at [`ChartSpec::config_key`], key for key as the
    /// official client writes it:
    /// `{"panel_type":"Vega2","panel_config":{"panelDefId":…,"fieldSettings":…,
    /// "stringSettings":…,"transform":{"name":"tableWithLeafColNames"},"userQuery":…}}`.
    pub fn config_value(&self, key: &str) -> Value {
        let field = |name: &str| -> Value {
            obj([
                ("name", Value::Str(name.to_owned())),
                ("fields", Value::List(vec![])),
            ])
        };
        let arg = |name: &str, value: String| -> Value {
            obj([
                ("name", Value::Str(name.to_owned())),
                ("value", Value::Str(value)),
            ])
        };
        let summary_table = obj([
            ("name", Value::Str("summaryTable".into())),
            (
                "args",
                Value::List(vec![arg("tableKey", self.table_key(key))]),
            ),
            ("fields", Value::List(vec![])),
        ]);
        let run_sets = obj([
            ("name", Value::Str("runSets".into())),
            (
                "args",
                Value::List(vec![arg("runSets", "${runSets}".to_owned())]),
            ),
            (
                "fields",
                Value::List(vec![
                    field("id"),
                    field("name"),
                    field("_defaultColorIndex"),
                    summary_table,
                ]),
            ),
        ]);
        let panel_config = obj([
            ("panelDefId", Value::Str(self.panel_def_id.clone())),
            ("fieldSettings", Value::Map(self.fields.clone())),
            ("stringSettings", Value::Map(self.string_fields.clone())),
            (
                "transform",
                obj([("name", Value::Str("tableWithLeafColNames".into()))]),
            ),
            (
                "userQuery",
                obj([("queryFields", Value::List(vec![run_sets]))]),
            ),
        ]);
        obj([
            ("panel_type", Value::Str("Vega2".into())),
            ("panel_config", panel_config),
        ])
    }
}

fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_value_matches_the_official_layout() {
        let spec = ChartSpec::new(
            "wandb/bar/v0",
            [
                ("label", Value::Str("label".into())),
                ("value", Value::Str("value".into())),
            ],
            [("title", Value::Str("Bar".into()))],
        );
        let json = wandb_core::json::to_json_string(&spec.config_value("bar_plot")).unwrap();
        assert_eq!(
            json,
            r#"{"panel_type":"Vega2","panel_config":{"panelDefId":"wandb/bar/v0","fieldSettings":{"label":"label","value":"value"},"stringSettings":{"title":"Bar"},"transform":{"name":"tableWithLeafColNames"},"userQuery":{"queryFields":[{"name":"runSets","args":[{"name":"runSets","value":"${runSets}"}],"fields":[{"name":"id","fields":[]},{"name":"name","fields":[]},{"name":"_defaultColorIndex","fields":[]},{"name":"summaryTable","args":[{"name":"tableKey","value":"bar_plot_table"}],"fields":[]}]}]}}}"#
        );
    }
}
