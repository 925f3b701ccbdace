//! `wandb.Table`: typed rows and columns, logged as a run file plus a
//! `run_table` artifact.

mod artifact;
mod cell;
mod types;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use wandb_core::{Map, Media, MediaContext, Value};

pub use cell::Cell;

use crate::error::{Error, Result};
use crate::pyjson::Py;
use types::ColumnType;

/// Rows written to the run file `media/table/*.table.json` (the official
/// `wandb.Table.MAX_ROWS`); longer tables are cut there, the full table
/// (up to [`MAX_ARTIFACT_ROWS`]) is in the artifact the UI reads.
pub const MAX_RUN_FILE_ROWS: usize = 10_000;
/// Most rows a table may hold (the official `wandb.Table.MAX_ARTIFACT_ROWS`);
/// adding more is an error.
pub const MAX_ARTIFACT_ROWS: usize = 200_000;

#[derive(Debug, Clone, Default)]
struct TableData {
    columns: Vec<String>,
    types: Vec<ColumnType>,
    rows: Vec<Vec<Cell>>,
}

/// What the first materialisation produced, reused when the same table is
/// logged again in the same run.
#[derive(Debug)]
struct Logged {
    run_id: String,
    value: Value,
}

/// A table value: `{"_type":"table-file","sha256","size","artifact_path",`
/// `"_latest_artifact_path","path","ncols","nrows","log_mode":"IMMUTABLE"}`.
///
/// Logging writes `media/table/<key>_<step>_<sha20>.table.json`
/// (`{"columns":[..],"data":[..]}`, at most [`MAX_RUN_FILE_ROWS`] rows) and
/// a `run_table` artifact `run-<run id>-<key>` holding the typed table and
/// its media. Cloning is cheap; a clone logged again (also under another
/// key) reuses the first file and artifact, as the official client does for
/// the same `Table` object. Mutating a table starts a new identity.
///
/// Columns are typed like the official client: all non-null cells of a
/// column must have the same type (number, string, boolean, image, html).
///
/// ```
/// use wandb_data_types::{cells, Table};
/// let mut t = Table::new(["a", "b", "c"]);
/// t.add_row(cells![1, 2.5, "x"]).unwrap();
/// t.add_row(cells![3, 4.5, "y"]).unwrap();
/// assert_eq!(t.nrows(), 2);
/// assert!(t.add_row(cells!["not a number", 1.0, "z"]).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    data: Arc<TableData>,
    logged: Arc<Mutex<Option<Logged>>>,
}

impl Default for Table {
    fn default() -> Self {
        Table::new(Vec::<String>::new())
    }
}

impl Table {
    /// An empty table with these column names.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        let types = vec![ColumnType::Unknown; columns.len()];
        Table {
            data: Arc::new(TableData {
                columns,
                types,
                rows: Vec::new(),
            }),
            logged: Arc::new(Mutex::new(None)),
        }
    }

    /// A table from columns and rows.
    pub fn from_rows<S: Into<String>>(
        columns: impl IntoIterator<Item = S>,
        rows: impl IntoIterator<Item = Vec<Cell>>,
    ) -> Result<Self> {
        let mut t = Self::new(columns);
        for r in rows {
            t.add_row(r)?;
        }
        Ok(t)
    }

    /// A table from serialisable structs (or maps): the columns are the
    /// first row's fields in order; each value must be a number, string,
    /// boolean or null. A field missing from a later row is null; a field
    /// not in the first row is an error.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct P { epoch: u32, loss: f64, tag: &'static str }
    /// let t = wandb_data_types::Table::from_serialize(&[
    ///     P { epoch: 1, loss: 0.5, tag: "a" },
    ///     P { epoch: 2, loss: 0.25, tag: "b" },
    /// ]).unwrap();
    /// assert_eq!(t.columns(), ["epoch", "loss", "tag"]);
    /// ```
    pub fn from_serialize<T: serde::Serialize>(rows: &[T]) -> Result<Self> {
        let mut table: Option<Table> = None;
        for (i, r) in rows.iter().enumerate() {
            let v = Value::from_serialize(r).map_err(|e| Error::Table(e.to_string()))?;
            let Value::Map(m) = v else {
                return Err(Error::Table(format!(
                    "row {i} does not serialise to an object (struct or map); Table::from_serialize needs named fields"
                )));
            };
            let t = table.get_or_insert_with(|| Table::new(m.keys().cloned()));
            if let Some(extra) = m.keys().find(|k| !t.data.columns.contains(k)) {
                return Err(Error::Table(format!(
                    "row {i} has field {extra:?} that the first row does not have; the columns come from the first row"
                )));
            }
            let row = t
                .data
                .columns
                .iter()
                .map(|c| m.get(c).map_or(Ok(Cell::Null), Cell::from_value))
                .collect::<Result<Vec<_>>>()?;
            t.add_row(row)?;
        }
        Ok(table.unwrap_or_default())
    }

    fn data_mut(&mut self) -> &mut TableData {
        // A mutated table is a new object: it must not reuse the file of a
        // clone that was already logged.
        self.logged = Arc::new(Mutex::new(None));
        Arc::make_mut(&mut self.data)
    }

    /// Appends a row; it must have one cell per column and each cell must
    /// fit its column's type.
    pub fn add_row(&mut self, row: Vec<Cell>) -> Result<()> {
        let ncols = self.data.columns.len();
        if row.len() != ncols {
            return Err(Error::Table(format!(
                "row has {} cells but the table has {ncols} columns ({:?})",
                row.len(),
                self.data.columns
            )));
        }
        if self.data.rows.len() >= MAX_ARTIFACT_ROWS {
            return Err(Error::Table(format!(
                "the table already has {MAX_ARTIFACT_ROWS} rows, the most W&B accepts; log several tables or aggregate the data"
            )));
        }
        let mut types = self.data.types.clone();
        for (i, cell) in row.iter().enumerate() {
            if let Err(why) = types[i].assign(cell) {
                return Err(Error::Table(format!(
                    "column {:?}: {why}",
                    self.data.columns[i]
                )));
            }
        }
        let d = self.data_mut();
        d.types = types;
        d.rows.push(row);
        Ok(())
    }

    /// Alias of [`Table::add_row`] (the official client's `add_data`).
    pub fn add_data(&mut self, row: Vec<Cell>) -> Result<()> {
        self.add_row(row)
    }

    /// Appends a column; `values` must have one cell per existing row (for
    /// a table without columns it sets the row count) and the name must be new.
    pub fn add_column(&mut self, name: impl Into<String>, values: Vec<Cell>) -> Result<()> {
        let name = name.into();
        if self.data.columns.contains(&name) {
            return Err(Error::Table(format!("column {name:?} already exists")));
        }
        let nrows = self.data.rows.len();
        let first = self.data.columns.is_empty() && nrows == 0;
        if !first && values.len() != nrows {
            return Err(Error::Table(format!(
                "column {name:?} has {} values but the table has {nrows} rows",
                values.len()
            )));
        }
        if values.len() > MAX_ARTIFACT_ROWS {
            return Err(Error::Table(format!(
                "column {name:?} has {} values, more than the {MAX_ARTIFACT_ROWS} rows W&B accepts",
                values.len()
            )));
        }
        let mut ty = ColumnType::Unknown;
        for c in &values {
            if let Err(why) = ty.assign(c) {
                return Err(Error::Table(format!("column {name:?}: {why}")));
            }
        }
        let d = self.data_mut();
        d.columns.push(name);
        d.types.push(ty);
        if first {
            d.rows = values.into_iter().map(|c| vec![c]).collect();
        } else {
            for (row, c) in d.rows.iter_mut().zip(values) {
                row.push(c);
            }
        }
        Ok(())
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.data.columns
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.data.rows
    }

    /// The cells of one column, if it exists.
    pub fn column(&self, name: &str) -> Option<Vec<&Cell>> {
        let i = self.data.columns.iter().position(|c| c == name)?;
        Some(self.data.rows.iter().map(|r| &r[i]).collect())
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.data.rows.len()
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.data.columns.len()
    }

    /// The run file content: compact `{"columns":[..],"data":[..]}` of the
    /// first [`MAX_RUN_FILE_ROWS`] rows, media cells as their type name.
    pub fn run_file_json(&self) -> String {
        let d = &self.data;
        Py::dict([
            (
                "columns",
                Py::List(d.columns.iter().map(|c| Py::s(c.clone())).collect()),
            ),
            (
                "data",
                Py::List(
                    d.rows
                        .iter()
                        .take(MAX_RUN_FILE_ROWS)
                        .map(|r| Py::List(r.iter().map(Cell::run_file_py).collect()))
                        .collect(),
                ),
            ),
        ])
        .to_compact()
    }

    /// Builds the artifact copy `<key>.table.json` (`json.dumps(sort_keys=True)`
    /// of the typed table) and collects the media files it references.
    fn artifact_files(&self, entry_name: &str) -> Vec<artifact::Entry> {
        let d = &self.data;
        // Media files by logical path (deduplicated, like artifact entries).
        let mut media: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let rows: Vec<Py> = d
            .rows
            .iter()
            .take(MAX_ARTIFACT_ROWS)
            .map(|r| {
                Py::List(
                    r.iter()
                        .map(|c| match c {
                            Cell::Image(img) => {
                                let path = artifact::media_entry_path(
                                    "images",
                                    img.extension(),
                                    img.bytes(),
                                );
                                let sha = wandb_core::media::hex_sha256(img.bytes());
                                let cell = img.artifact_cell(&path, &sha);
                                media.entry(path).or_insert_with(|| img.bytes().to_vec());
                                cell
                            }
                            Cell::Html(h) => {
                                let bytes = h.html().as_bytes();
                                let path = artifact::media_entry_path("html", ".html", bytes);
                                let sha = wandb_core::media::hex_sha256(bytes);
                                media.entry(path.clone()).or_insert_with(|| bytes.to_vec());
                                Py::dict([
                                    ("_type", Py::s("html-file")),
                                    ("path", Py::s(path)),
                                    ("sha256", Py::s(sha)),
                                ])
                            }
                            // `json_friendly` turns NaN into None for the
                            // artifact copy (the run file keeps `NaN`).
                            Cell::Float(f) if f.is_nan() => Py::Null,
                            other => other.run_file_py(),
                        })
                        .collect(),
                )
            })
            .collect();
        let nrows = rows.len() as i64;
        let table = Py::dict([
            ("_type", Py::s("table")),
            ("column_types", types::column_types_py(&d.columns, &d.types)),
            (
                "columns",
                Py::List(d.columns.iter().map(|c| Py::s(c.clone())).collect()),
            ),
            ("data", Py::List(rows)),
            ("log_mode", Py::s("IMMUTABLE")),
            ("ncols", Py::Int(d.columns.len() as i64)),
            ("nrows", Py::Int(nrows)),
        ]);
        let mut entries = vec![artifact::Entry {
            path: entry_name.to_owned(),
            bytes: table.to_stdlib_sorted().into_bytes(),
        }];
        entries.extend(
            media
                .into_iter()
                .map(|(path, bytes)| artifact::Entry { path, bytes }),
        );
        entries
    }

    /// The artifact copy of the table (`<key>.table.json` in the
    /// `run_table` artifact), exactly as written to the staging file.
    pub fn artifact_json(&self) -> String {
        let e = self.artifact_files("t.table.json");
        String::from_utf8_lossy(&e[0].bytes).into_owned()
    }
}

impl Media for Table {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let mut cache = self
            .logged
            .lock()
            .map_err(|_| wandb_core::Error::InvalidValue("table cache poisoned".into()))?;
        if let Some(l) = cache.as_ref() {
            if l.run_id == ctx.run().run_id {
                return Ok(l.value.clone());
            }
        }
        let run_file = self.run_file_json();
        let file = ctx.write_media_file("table", ".table.json", run_file.as_bytes())?;
        let entry_name = format!("{}.table.json", ctx.key());
        let ids = artifact::log_run_table_artifact(ctx, self.artifact_files(&entry_name))?;
        let mut m = Map::new();
        m.insert("_type".into(), Value::from("table-file"));
        m.insert("sha256".into(), Value::from(file.sha256.as_str()));
        m.insert("size".into(), Value::UInt(file.size));
        m.insert(
            "artifact_path".into(),
            Value::from(format!(
                "wandb-client-artifact://{}/{entry_name}",
                ids.client_id
            )),
        );
        m.insert(
            "_latest_artifact_path".into(),
            Value::from(format!(
                "wandb-client-artifact://{}:latest/{entry_name}",
                ids.sequence_client_id
            )),
        );
        m.insert("path".into(), Value::from(file.path.as_str()));
        m.insert("ncols".into(), Value::UInt(self.ncols() as u64));
        m.insert("nrows".into(), Value::UInt(self.nrows() as u64));
        m.insert("log_mode".into(), Value::from("IMMUTABLE"));
        let value = Value::Map(m);
        *cache = Some(Logged {
            run_id: ctx.run().run_id.clone(),
            value: value.clone(),
        });
        Ok(value)
    }
}

impl From<Table> for Value {
    fn from(t: Table) -> Self {
        Value::media(t)
    }
}
