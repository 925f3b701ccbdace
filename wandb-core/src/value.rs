//! [`Value`]: what can be logged, put in the config or the summary.
//!
//! Unlike `serde_json::Value` it carries `NaN` and `±Infinity`, keeps `f32`
//! values apart (they are written with `f32` shortest formatting, as W&B
//! does), and can hold media objects (implementors of [`Media`]) that are
//! turned into files and JSON on the writer thread.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::{Error, Result};
use crate::media::Media;

/// An ordered map of keys to values (insertion order is kept).
pub type Map = IndexMap<String, Value>;

/// A loggable value.
#[derive(Clone, Default)]
pub enum Value {
    /// JSON `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer, written exactly.
    Int(i64),
    /// An unsigned integer; values above `i64::MAX` are written as floats, as W&B does.
    UInt(u64),
    /// A double; `NaN` and `±Infinity` are written as the bare tokens W&B uses.
    Float(f64),
    /// A single-precision float, written with `f32` shortest formatting (`0.1f32` -> `0.1`).
    Float32(f32),
    /// A string.
    Str(String),
    /// A list of values.
    List(Vec<Value>),
    /// A nested object; in history and summary its leaves become nested keys.
    Map(Map),
    /// A media object (image, table, histogram, ...), materialised on the writer thread.
    Media(Arc<dyn Media>),
}

impl Value {
    /// Wraps a media object.
    pub fn media(media: impl Media + 'static) -> Self {
        Value::Media(Arc::new(media))
    }

    /// Converts any `Serialize` value through `serde_json`.
    ///
    /// ```
    /// # use wandb_core::Value;
    /// #[derive(serde::Serialize)]
    /// struct Hp { lr: f64, layers: Vec<u32> }
    /// let v = Value::from_serialize(&Hp { lr: 0.1, layers: vec![8, 4] }).unwrap();
    /// assert!(matches!(v, Value::Map(_)));
    /// ```
    pub fn from_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self> {
        serde_json::to_value(value)
            .map(Value::from)
            .map_err(|e| Error::InvalidValue(format!("cannot serialise value: {e}")))
    }

    /// The value as an `f64` if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::UInt(u) => Some(u as f64),
            Value::Float(f) => Some(f),
            Value::Float32(f) => Some(shortest_f32_as_f64(f)),
            _ => None,
        }
    }

    /// The value as a string slice if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The nested map if the value is an object.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list if the value is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether the value (or anything inside it) is a media object.
    pub fn contains_media(&self) -> bool {
        match self {
            Value::Media(_) => true,
            Value::List(l) => l.iter().any(Value::contains_media),
            Value::Map(m) => m.values().any(Value::contains_media),
            _ => false,
        }
    }

    /// Converts to `serde_json::Value`. Non-finite floats become `null` and
    /// media objects their debug description, since JSON cannot hold them;
    /// use [`crate::json::to_json_string`] for the W&B encoding.
    pub fn to_serde_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Float32(f) => {
                serde_json::Number::from_f64(shortest_f32_as_f64(*f)).map_or(J::Null, J::Number)
            }
            Value::Str(s) => J::String(s.clone()),
            Value::List(l) => J::Array(l.iter().map(Value::to_serde_json).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.to_serde_json()))
                    .collect(),
            ),
            Value::Media(m) => J::String(format!("{m:?}")),
        }
    }
}

/// The `f64` closest to the shortest decimal form of an `f32` (`0.1f32` -> `0.1`).
pub(crate) fn shortest_f32_as_f64(f: f32) -> f64 {
    if !f.is_finite() {
        return f as f64;
    }
    let mut buf = zmij::Buffer::new();
    buf.format_finite(f).parse().unwrap_or(f as f64)
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Float32(x) => write!(f, "{x:?}f32"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(l) => f.debug_list().entries(l).finish(),
            Value::Map(m) => f.debug_map().entries(m).finish(),
            Value::Media(m) => write!(f, "Media({m:?})"),
        }
    }
}

/// `value["key"]`: the entry of an object, `Null` when the value is no
/// object or has no such key (as `serde_json::Value`).
///
/// ```
/// let v = wandb_core::Value::from(serde_json::json!({"loss": {"min": 0.25}}));
/// assert_eq!(v["loss"]["min"].as_f64(), Some(0.25));
/// assert!(v["nothing"]["here"].is_null());
/// ```
impl std::ops::Index<&str> for Value {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Map(m) => m.get(key).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Media(a), Value::Media(b)) => Arc::ptr_eq(a, b),
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::UInt(a), Value::UInt(b)) => a == b,
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
                _ => false,
            },
        }
    }
}

macro_rules! from_int {
    ($variant:ident as $target:ty: $($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$variant(v as $target) }
        }
    )*};
}
from_int!(Int as i64: i8, i16, i32, i64, isize);
from_int!(UInt as u64: u8, u16, u32, u64, usize);

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float32(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Str(v.clone())
    }
}
impl From<std::borrow::Cow<'_, str>> for Value {
    fn from(v: std::borrow::Cow<'_, str>) -> Self {
        Value::Str(v.into_owned())
    }
}
impl From<Map> for Value {
    fn from(v: Map) -> Self {
        Value::Map(v)
    }
}
impl From<Arc<dyn Media>> for Value {
    fn from(v: Arc<dyn Media>) -> Self {
        Value::Media(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value> + Clone> From<&[T]> for Value {
    fn from(v: &[T]) -> Self {
        Value::List(v.iter().cloned().map(Into::into).collect())
    }
}
impl<T: Into<Value>, const N: usize> From<[T; N]> for Value {
    fn from(v: [T; N]) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
impl<K: Into<String>, V: Into<Value>> From<BTreeMap<K, V>> for Value {
    fn from(v: BTreeMap<K, V>) -> Self {
        Value::Map(v.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}
impl<K: Into<String>, V: Into<Value>, S> From<HashMap<K, V, S>> for Value {
    fn from(v: HashMap<K, V, S>) -> Self {
        Value::Map(v.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::UInt(u)
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            J::String(s) => Value::Str(s),
            J::Array(a) => Value::List(a.into_iter().map(Value::from).collect()),
            J::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, Value::from(v))).collect()),
        }
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Self {
        Value::from(v.clone())
    }
}
