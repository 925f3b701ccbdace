//! The history of one or more runs as a columnar table: one column per
//! (dotted) key, one row per history record, a dtype per column.

use std::collections::HashMap;

use foldhash::HashMap as FastMap;

use wandb_core::{proto, Value};

use crate::digest::history_step;
use crate::wire;

/// A column's values. Missing cells hold a default and are marked in
/// [`Column::valid`].
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// 64-bit integers.
    Int(Vec<i64>),
    /// 64-bit floats (a mix of integers and floats becomes this).
    Float(Vec<f64>),
    /// Booleans.
    Bool(Vec<bool>),
    /// Strings: text values, media file paths, lists and values of mixed
    /// types as JSON text.
    Str(Vec<String>),
}

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The dotted key (`train.loss`, `val/acc`, `_step`, `run_id`).
    pub name: String,
    /// The values.
    pub data: Data,
    /// `false` where the row has no value for this column.
    pub valid: Vec<bool>,
}

impl Column {
    /// The dtype name: `int64`, `float64`, `bool` or `string`.
    pub fn dtype(&self) -> &'static str {
        match self.data {
            Data::Int(_) => "int64",
            Data::Float(_) => "float64",
            Data::Bool(_) => "bool",
            Data::Str(_) => "string",
        }
    }
    /// Whether some row has no value.
    pub fn has_missing(&self) -> bool {
        self.valid.iter().any(|v| !v)
    }
}

/// A history table: `run_id` (when built from several runs), `_step`, then
/// the other columns sorted by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The columns, all of [`Table::rows`] length.
    pub columns: Vec<Column>,
    /// Number of rows.
    pub rows: usize,
}

/// A cell being added.
#[derive(Debug, Clone)]
enum Cell {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

/// A column while rows are added; `None` data until its first value.
struct Builder {
    name: String,
    data: Option<Data>,
    valid: Vec<bool>,
}

impl Builder {
    fn pad_to(&mut self, rows: usize) {
        while self.valid.len() < rows {
            self.valid.push(false);
            match &mut self.data {
                None => {}
                Some(Data::Int(v)) => v.push(0),
                Some(Data::Float(v)) => v.push(f64::NAN),
                Some(Data::Bool(v)) => v.push(false),
                Some(Data::Str(v)) => v.push(String::new()),
            }
        }
    }

    /// Sets the last row's value (the column is padded to `row + 1` first).
    fn set(&mut self, row: usize, cell: Cell) {
        self.pad_to(row);
        let n = self.valid.len();
        self.promote_for(&cell, n);
        let is_new = n == row;
        if is_new {
            self.valid.push(true);
        } else if let Some(v) = self.valid.get_mut(row) {
            *v = true;
        }
        match (&mut self.data, cell) {
            (Some(Data::Int(v)), Cell::Int(i)) => put(v, row, i),
            (Some(Data::Float(v)), Cell::Float(f)) => put(v, row, f),
            (Some(Data::Float(v)), Cell::Int(i)) => put(v, row, i as f64),
            (Some(Data::Bool(v)), Cell::Bool(b)) => put(v, row, b),
            (Some(Data::Str(v)), c) => put(v, row, cell_text(&c)),
            _ => {} // unreachable after promote_for
        }
    }

    /// Changes the column's type so that `cell` fits: nothing yet -> the
    /// cell's type; int + float -> float; any other mix -> string.
    fn promote_for(&mut self, cell: &Cell, rows: usize) {
        let fits = matches!(
            (&self.data, cell),
            (Some(Data::Int(_)), Cell::Int(_))
                | (Some(Data::Float(_)), Cell::Float(_) | Cell::Int(_))
                | (Some(Data::Bool(_)), Cell::Bool(_))
                | (Some(Data::Str(_)), _)
        );
        if fits {
            return;
        }
        let new = match (self.data.take(), cell) {
            (None, c) => match c {
                Cell::Int(_) => Data::Int(vec![0; rows]),
                Cell::Float(_) => Data::Float(vec![f64::NAN; rows]),
                Cell::Bool(_) => Data::Bool(vec![false; rows]),
                Cell::Str(_) => Data::Str(vec![String::new(); rows]),
            },
            (Some(Data::Int(v)), Cell::Float(_)) => Data::Float(
                v.iter()
                    .zip(&self.valid)
                    .map(|(i, ok)| if *ok { *i as f64 } else { f64::NAN })
                    .collect(),
            ),
            (Some(old), _) => Data::Str(
                (0..rows)
                    .map(|r| {
                        if self.valid.get(r).copied().unwrap_or(false) {
                            data_text(&old, r)
                        } else {
                            String::new()
                        }
                    })
                    .collect(),
            ),
        };
        self.data = Some(new);
    }

    fn finish(mut self, rows: usize) -> Column {
        self.pad_to(rows);
        Column {
            name: self.name,
            data: self.data.unwrap_or(Data::Float(vec![f64::NAN; rows])),
            valid: self.valid,
        }
    }
}

fn put<T>(v: &mut Vec<T>, row: usize, x: T) {
    if row < v.len() {
        v[row] = x;
    } else {
        v.push(x);
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => float_text(*f),
        Cell::Bool(b) => b.to_string(),
        Cell::Str(s) => s.clone(),
    }
}

fn data_text(d: &Data, r: usize) -> String {
    match d {
        Data::Int(v) => v.get(r).map(i64::to_string),
        Data::Float(v) => v.get(r).map(|f| float_text(*f)),
        Data::Bool(v) => v.get(r).map(bool::to_string),
        Data::Str(v) => v.get(r).cloned(),
    }
    .unwrap_or_default()
}

/// A float as W&B JSON writes it (`NaN`, `Infinity`, shortest round trip).
pub(crate) fn float_text(f: f64) -> String {
    let mut s = String::new();
    wandb_core::json::write_f64(f, &mut s);
    s
}

/// Builds a [`Table`] from the history records of one or more runs.
pub struct TableBuilder {
    builders: Vec<Builder>,
    index: FastMap<String, usize>,
    rows: usize,
    with_run_id: bool,
}

impl TableBuilder {
    /// A builder; `with_run_id` adds a `run_id` column (several runs).
    pub fn new(with_run_id: bool) -> Self {
        let mut b = TableBuilder {
            builders: Vec::new(),
            index: FastMap::default(),
            rows: 0,
            with_run_id,
        };
        if with_run_id {
            b.column("run_id");
        }
        b.column("_step");
        b
    }

    fn column(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.builders.len();
        self.builders.push(Builder {
            name: name.to_string(),
            data: None,
            valid: Vec::with_capacity(self.rows),
        });
        self.index.insert(name.to_string(), i);
        i
    }

    fn set(&mut self, name: &str, cell: Cell) {
        let row = self.rows;
        let i = self.column(name);
        if let Some(b) = self.builders.get_mut(i) {
            b.set(row, cell);
        }
    }

    /// Adds one row per history record of `records` (other records are
    /// ignored), with `run_id` in the `run_id` column if there is one.
    pub fn add_run<'a>(
        &mut self,
        run_id: &str,
        records: impl IntoIterator<Item = &'a proto::Record>,
    ) {
        for record in records {
            if let Some(proto::record::RecordType::History(h)) = &record.record_type {
                self.add_row(run_id, h);
            }
        }
    }

    /// Adds the row of an encoded `HistoryRecord` without decoding it into
    /// owned strings; returns its step (`Some(None)` without one), or
    /// `None`, adding nothing, if it holds a media object or is malformed
    /// (use [`TableBuilder::add_row`] on the decoded record then).
    pub fn add_history_bytes(&mut self, run_id: &str, history: &[u8]) -> Option<Option<i64>> {
        let mut items = Vec::with_capacity(8);
        let mut step = wire::history_items(history, &mut items)?;
        let mut buf = String::new();
        if items.iter().any(wire::Item::is_type_marker) {
            return None;
        }
        if step.is_none() {
            step = items
                .iter()
                .find(|i| i.nested_len == 0 && i.key == "_step")
                .and_then(|i| match i.value {
                    wire::ItemValue::Json(j) => j.trim().parse().ok(),
                    wire::ItemValue::Int(n) => Some(n),
                    _ => None,
                });
        }
        if self.with_run_id {
            self.set("run_id", Cell::Str(run_id.to_string()));
        }
        if let Some(s) = step {
            self.set("_step", Cell::Int(s));
        }
        for i in &items {
            let key = i.dotted_key(&mut buf);
            if key == "_step" {
                continue;
            }
            let cell = match i.value {
                wire::ItemValue::Json(j) => parse_cell(j),
                wire::ItemValue::Null => None,
                wire::ItemValue::Bool(b) => Some(Cell::Bool(b)),
                wire::ItemValue::Int(n) => Some(Cell::Int(n)),
                wire::ItemValue::Float(f) => Some(Cell::Float(f)),
                wire::ItemValue::Text(t) => Some(Cell::Str(t.to_string())),
            };
            if let Some(cell) = cell {
                let row = self.rows;
                let idx = match self.index.get(key) {
                    Some(&idx) => idx,
                    None => {
                        let owned = key.to_string();
                        self.column(&owned)
                    }
                };
                if let Some(b) = self.builders.get_mut(idx) {
                    b.set(row, cell);
                }
            }
        }
        self.rows += 1;
        Some(step)
    }

    /// Adds one history row.
    pub fn add_row(&mut self, run_id: &str, h: &proto::HistoryRecord) {
        self.fill_row(run_id, h);
        self.rows += 1;
    }

    fn fill_row(&mut self, run_id: &str, h: &proto::HistoryRecord) {
        if self.with_run_id {
            self.set("run_id", Cell::Str(run_id.to_string()));
        }
        if let Some(step) = history_step(h) {
            self.set("_step", Cell::Int(step));
        }
        if !h.item.iter().any(is_type_marker) {
            // fast path: no media object in this row
            for i in &h.item {
                if i.nested_key.is_empty() {
                    if i.key != "_step" {
                        if let Some(cell) = parse_cell(&i.value_json) {
                            self.set(&i.key, cell);
                        }
                    }
                } else if let Some(cell) = parse_cell(&i.value_json) {
                    let key = i.nested_key.join(".");
                    if key != "_step" {
                        self.set(&key, cell);
                    }
                }
            }
            return;
        }
        let items: Vec<(String, Value)> = h
            .item
            .iter()
            .map(|i| {
                let key = if i.nested_key.is_empty() {
                    i.key.clone()
                } else {
                    i.nested_key.join(".")
                };
                let value = wandb_core::json::parse(&i.value_json)
                    .unwrap_or_else(|_| Value::Str(i.value_json.clone()));
                (key, value)
            })
            .collect();
        // media objects are logged as `<key>._type`, `<key>.path`, ...
        let media: Vec<&str> = items
            .iter()
            .filter(|(k, v)| k.ends_with("._type") && v.as_str().is_some())
            .filter_map(|(k, _)| k.strip_suffix("._type"))
            .collect();
        if media.is_empty() {
            for (key, value) in &items {
                if key != "_step" {
                    if let Some(cell) = value_cell(value) {
                        self.set(key, cell);
                    }
                }
            }
            return;
        }
        let mut grouped: HashMap<&str, wandb_core::Map> = HashMap::new();
        for (key, value) in &items {
            let owner = media.iter().copied().filter(|m| {
                key.len() > m.len() && key.starts_with(m) && key.as_bytes()[m.len()] == b'.'
            });
            match owner.max_by_key(|m| m.len()) {
                Some(m) => {
                    grouped
                        .entry(m)
                        .or_default()
                        .insert(key[m.len() + 1..].to_string(), value.clone());
                }
                None if key != "_step" => {
                    if let Some(cell) = value_cell(value) {
                        self.set(key, cell);
                    }
                }
                None => {}
            }
        }
        let mut grouped: Vec<_> = grouped.into_iter().collect();
        grouped.sort_by(|a, b| a.0.cmp(b.0));
        for (key, map) in grouped {
            self.set(key, Cell::Str(media_text(&map)));
        }
    }

    /// The table: `run_id`, `_step`, then the other columns by name.
    pub fn finish(self) -> Table {
        let rows = self.rows;
        let mut columns: Vec<Column> = self.builders.into_iter().map(|b| b.finish(rows)).collect();
        let fixed = columns
            .iter()
            .take_while(|c| c.name == "run_id" || c.name == "_step")
            .count();
        columns[fixed..].sort_by(|a, b| a.name.cmp(&b.name));
        Table { columns, rows }
    }
}

/// A media value as its file path(s): `path`, else `filenames` as a JSON
/// list, else the whole object as JSON (histograms and others without a file).
fn media_text(map: &wandb_core::Map) -> String {
    if let Some(p) = map.get("path").and_then(Value::as_str) {
        return p.to_string();
    }
    let v = match map.get("filenames") {
        Some(f) => f.clone(),
        None => Value::Map(map.clone()),
    };
    wandb_core::json::to_json_string(&v).unwrap_or_default()
}

/// Whether a history item is the `_type` of a media object (`img._type`).
fn is_type_marker(i: &proto::HistoryItem) -> bool {
    match i.nested_key.split_last() {
        Some((last, rest)) => last == "_type" && !rest.is_empty(),
        None => i.key.ends_with("._type"),
    }
}

/// The cell of a value's JSON text, with fast paths for numbers and
/// booleans; `None` for null.
fn parse_cell(json: &str) -> Option<Cell> {
    let b = json.as_bytes();
    let numeric = b.first().is_some_and(|c| c.is_ascii_digit() || *c == b'-')
        && b.get(1).is_none_or(|c| *c != b'I');
    if numeric {
        if !b.iter().any(|c| matches!(c, b'.' | b'e' | b'E')) {
            if let Ok(i) = json.parse::<i64>() {
                return Some(Cell::Int(i));
            }
        } else if let Ok(f) = json.parse::<f64>() {
            return Some(Cell::Float(f));
        }
    }
    match json {
        "true" => return Some(Cell::Bool(true)),
        "false" => return Some(Cell::Bool(false)),
        _ => {}
    }
    let value = wandb_core::json::parse(json).unwrap_or_else(|_| Value::Str(json.to_string()));
    value_cell(&value)
}

/// The cell of a logged value; `None` (missing) for a logged null.
fn value_cell(v: &Value) -> Option<Cell> {
    Some(match v {
        Value::Bool(b) => Cell::Bool(*b),
        Value::Int(i) => Cell::Int(*i),
        Value::UInt(u) => i64::try_from(*u).map_or(Cell::Float(*u as f64), Cell::Int),
        Value::Float(f) => Cell::Float(*f),
        Value::Float32(f) => Cell::Float(f64::from(*f)),
        Value::Str(s) => Cell::Str(s.clone()),
        Value::Null => return None,
        other => Cell::Str(wandb_core::json::to_json_string(other).unwrap_or_default()),
    })
}
