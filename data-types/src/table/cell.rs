//! Table cells.

use wandb_core::Value;

use crate::error::{Error, Result};
use crate::html::Html;
use crate::image::Image;
use crate::pyjson::Py;

/// One table cell: a scalar, a string, `null`, or a media value.
///
/// Numbers keep the int/float distinction of the official client (`1` vs
/// `1.0` in the files).
#[derive(Debug, Clone)]
pub enum Cell {
    /// `null` (`None`).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (NaN/±Infinity allowed, written as `NaN`/`Infinity`).
    Float(f64),
    /// A string.
    Str(String),
    /// An image, stored in the table's artifact.
    Image(Box<Image>),
    /// An HTML snippet, stored in the table's artifact.
    Html(Html),
}

impl Cell {
    /// The `wb_type` name the official client infers for this cell.
    pub fn wb_type(&self) -> &'static str {
        match self {
            Cell::Null => "none",
            Cell::Bool(_) => "boolean",
            Cell::Int(_) | Cell::Float(_) => "number",
            Cell::Str(_) => "string",
            Cell::Image(_) => "image-file",
            Cell::Html(_) => "html-file",
        }
    }

    /// The cell as an `f64`, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Cell::Int(i) => Some(i as f64),
            Cell::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The cell as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The cell in the run file (`media/table/*.table.json`): media cells
    /// are written as their class name (`"Image"`), as the official client does.
    pub(crate) fn run_file_py(&self) -> Py {
        match self {
            Cell::Null => Py::Null,
            Cell::Bool(b) => Py::Bool(*b),
            Cell::Int(i) => Py::Int(*i),
            Cell::Float(f) => Py::Float(*f),
            Cell::Str(s) => Py::Str(s.clone()),
            Cell::Image(_) => Py::s("Image"),
            Cell::Html(_) => Py::s("Html"),
        }
    }

    /// Converts a logged-style [`Value`] (scalars and strings only).
    pub fn from_value(v: &Value) -> Result<Cell> {
        Ok(match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Int(i) => Cell::Int(*i),
            Value::UInt(u) => match i64::try_from(*u) {
                Ok(i) => Cell::Int(i),
                Err(_) => Cell::Float(*u as f64),
            },
            Value::Float(f) => Cell::Float(*f),
            Value::Float32(f) => Cell::Float(*f as f64),
            Value::Str(s) => Cell::Str(s.clone()),
            other => {
                return Err(Error::Table(format!(
                    "cell value {other:?} is not supported: use numbers, strings, booleans, null, Image or Html (nested lists and objects are not supported yet; serialise them to a string)"
                )))
            }
        })
    }
}

macro_rules! cell_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Cell {
            fn from(v: $t) -> Self { Cell::Int(v as i64) }
        }
    )*};
}
cell_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        i64::try_from(v).map_or(Cell::Float(v as f64), Cell::Int)
    }
}
impl From<usize> for Cell {
    fn from(v: usize) -> Self {
        Cell::from(v as u64)
    }
}
impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Float(v)
    }
}
impl From<f32> for Cell {
    /// Like numpy's `float32.item()`: the exact value as a double.
    fn from(v: f32) -> Self {
        Cell::Float(v as f64)
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Str(v.to_owned())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Str(v)
    }
}
impl From<&String> for Cell {
    fn from(v: &String) -> Self {
        Cell::Str(v.clone())
    }
}
impl From<Image> for Cell {
    fn from(v: Image) -> Self {
        Cell::Image(Box::new(v))
    }
}
impl From<Html> for Cell {
    fn from(v: Html) -> Self {
        Cell::Html(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}
impl From<()> for Cell {
    fn from(_: ()) -> Self {
        Cell::Null
    }
}

/// Builds a `Vec<Cell>` row from mixed values: `cells![1, "x", 2.5, true]`.
#[macro_export]
macro_rules! cells {
    ($($v:expr),* $(,)?) => {
        vec![$($crate::Cell::from($v)),*]
    };
}
