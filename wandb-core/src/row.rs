//! [`Row`]: one call's worth of history values, and the [`row!`](crate::row) macro.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::value::{Map, Value};

/// A history key. Keys up to 24 bytes are stored inline, so building a row
/// of short keys (`row!{"loss" => x}`) allocates nothing per key; converts
/// from `&str`, `String`, `&String`, `Cow<str>` and `Box<str>`.
pub type RowKey = compact_str::CompactString;

/// The keys of a row that the run fills in itself. `_timestamp` and
/// `_runtime` may be given to override the measured ones (as the TensorBoard
/// integration does); `_step` may not: use [`crate::LogOptions::step`].
pub const RESERVED_OVERRIDABLE_KEYS: &[&str] = &["_timestamp", "_runtime"];

/// A set of key/value pairs to log at one step. Keys keep insertion order;
/// nested maps become nested keys (`{"a": {"b": 1}}` -> `a.b`). A key
/// inserted twice keeps its last value. (Stored as a plain list: building a
/// row hashes nothing, which keeps `log()` cheap.)
///
/// ```
/// use wandb_core::{row, Row};
/// let r: Row = row! { "loss" => 0.25, "acc" => f64::NAN, "epoch" => 3 };
/// assert_eq!(r.len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub(crate) items: Vec<(RowKey, Value)>,
}

impl Row {
    /// An empty row.
    pub fn new() -> Self {
        Row::default()
    }

    /// An empty row with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Row {
            items: crate::row_pool::take(n),
        }
    }

    /// Sets `key` to `value` (a later value for the same key wins).
    pub fn insert(&mut self, key: impl Into<RowKey>, value: impl Into<Value>) -> &mut Self {
        if self.items.capacity() == 0 {
            self.items = crate::row_pool::take(4);
        }
        self.items.push((key.into(), value.into()));
        self
    }

    /// Builder form of [`Row::insert`].
    pub fn with(mut self, key: impl Into<RowKey>, value: impl Into<Value>) -> Self {
        self.insert(key, value);
        self
    }

    /// Number of entries (a key inserted twice counts twice).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the row has no keys.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The value under a top-level key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Iterates over the top-level keys and values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.items.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Consumes the row into its map.
    pub fn into_map(self) -> Map {
        self.items
            .into_iter()
            .map(|(k, v)| (k.into_string(), v))
            .collect()
    }

    /// Checks every key: non-empty, and no leading `_` except
    /// [`RESERVED_OVERRIDABLE_KEYS`] at the top level.
    pub fn validate(&self) -> Result<()> {
        for (k, v) in &self.items {
            validate_key(k, true)?;
            if let Value::Map(m) = v {
                validate_nested(m)?;
            }
        }
        Ok(())
    }
}

fn validate_nested(m: &Map) -> Result<()> {
    for (k, v) in m {
        validate_key(k, false)?;
        if let Value::Map(inner) = v {
            validate_nested(inner)?;
        }
    }
    Ok(())
}

/// Validates one key of a row, config or summary.
pub(crate) fn validate_key(key: &str, top_level: bool) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidKey {
            key: key.to_owned(),
            reason: "keys must not be empty",
        });
    }
    if top_level && key.starts_with('_') && !RESERVED_OVERRIDABLE_KEYS.contains(&key) {
        return Err(Error::InvalidKey {
            key: key.to_owned(),
            reason: "keys starting with '_' are reserved by W&B (only _timestamp and _runtime may be set; use LogOptions::step for the step)",
        });
    }
    Ok(())
}

impl FromIterator<(String, Value)> for Row {
    fn from_iter<T: IntoIterator<Item = (String, Value)>>(iter: T) -> Self {
        Row {
            items: iter
                .into_iter()
                .map(|(k, v)| (RowKey::from(k), v))
                .collect(),
        }
    }
}

impl FromIterator<(RowKey, Value)> for Row {
    fn from_iter<T: IntoIterator<Item = (RowKey, Value)>>(iter: T) -> Self {
        Row {
            items: iter.into_iter().collect(),
        }
    }
}

/// Anything that can be logged as one row: a [`Row`], a `serde_json` object,
/// a map of keys to values, or a list of pairs.
pub trait IntoRow {
    /// Converts into a row; fails when the value is not an object.
    fn into_row(self) -> Result<Row>;
}

impl IntoRow for Row {
    fn into_row(self) -> Result<Row> {
        Ok(self)
    }
}

impl IntoRow for Map {
    fn into_row(self) -> Result<Row> {
        Ok(self.into_iter().collect())
    }
}

impl IntoRow for serde_json::Value {
    fn into_row(self) -> Result<Row> {
        match self {
            serde_json::Value::Object(o) => o.into_row(),
            other => Err(Error::InvalidValue(format!(
                "log() takes an object of key/value pairs, got {}",
                json_kind(&other)
            ))),
        }
    }
}

impl IntoRow for serde_json::Map<String, serde_json::Value> {
    fn into_row(self) -> Result<Row> {
        Ok(self.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
    }
}

impl IntoRow for Value {
    fn into_row(self) -> Result<Row> {
        match self {
            Value::Map(m) => Ok(m.into_iter().collect()),
            other => Err(Error::InvalidValue(format!(
                "log() takes an object of key/value pairs, got {other:?}"
            ))),
        }
    }
}

impl<K: Into<String>, V: Into<Value>, S> IntoRow for HashMap<K, V, S> {
    fn into_row(self) -> Result<Row> {
        Ok(self
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}

impl<K: Into<String>, V: Into<Value>> IntoRow for BTreeMap<K, V> {
    fn into_row(self) -> Result<Row> {
        Ok(self
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}

impl<K: Into<String>, V: Into<Value>> IntoRow for Vec<(K, V)> {
    fn into_row(self) -> Result<Row> {
        Ok(self
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Builds a [`Row`]: `row! { "loss" => 0.5, "img" => image }`. Values are
/// anything `Into<Value>`, including `f64::NAN` and media objects.
#[macro_export]
macro_rules! row {
    () => { $crate::Row::new() };
    ($($key:expr => $value:expr),+ $(,)?) => {{
        let mut row = $crate::Row::with_capacity($crate::__count!($($key)+));
        $( row.insert($key, $value); )+
        row
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __count {
    () => { 0usize };
    ($head:tt $($tail:tt)*) => { 1usize + $crate::__count!($($tail)*) };
}
