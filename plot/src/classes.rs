//! Class labels: integers (class indices) or names, ordered the way
//! `numpy.unique` orders them.

use std::fmt;

use wandb_core::Value;

/// One class label as found in `y_true` / `preds`: an integer (usually a
/// class index) or a string. Integers sort numerically, strings by code point,
/// like `numpy.unique`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClassId {
    /// An integer label.
    Int(i128),
    /// A string label.
    Str(String),
}

impl ClassId {
    /// The label as a table cell: integers stay integers, strings stay strings.
    pub fn to_value(&self) -> Value {
        match self {
            ClassId::Int(i) => match i64::try_from(*i) {
                Ok(v) => Value::Int(v),
                Err(_) => match u64::try_from(*i) {
                    Ok(u) => Value::UInt(u),
                    Err(_) => Value::Float(*i as f64),
                },
            },
            ClassId::Str(s) => Value::Str(s.clone()),
        }
    }

    /// Looks the label up in `names` the way Python indexes a list with it
    /// (`names[label]`, negative values counting from the end). `None` for
    /// string labels and out-of-range indices.
    pub(crate) fn index_into<'a, S: AsRef<str>>(&self, names: &'a [S]) -> Option<&'a str> {
        let ClassId::Int(i) = *self else { return None };
        let n = names.len() as i128;
        let idx = if i < 0 { n + i } else { i };
        if (0..n).contains(&idx) {
            Some(names[idx as usize].as_ref())
        } else {
            None
        }
    }
}

impl fmt::Display for ClassId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassId::Int(i) => write!(f, "{i}"),
            ClassId::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Types usable as class labels: all integer types, `str`, `String` and
/// [`ClassId`] itself.
pub trait ClassLabel {
    /// The label as a [`ClassId`].
    fn class_id(&self) -> ClassId;
}

macro_rules! int_label {
    ($($t:ty),*) => {$(
        impl ClassLabel for $t {
            fn class_id(&self) -> ClassId {
                ClassId::Int(*self as i128)
            }
        }
    )*};
}
int_label!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl ClassLabel for str {
    fn class_id(&self) -> ClassId {
        ClassId::Str(self.to_owned())
    }
}

impl ClassLabel for String {
    fn class_id(&self) -> ClassId {
        ClassId::Str(self.clone())
    }
}

impl ClassLabel for ClassId {
    fn class_id(&self) -> ClassId {
        self.clone()
    }
}

impl<T: ClassLabel + ?Sized> ClassLabel for &T {
    fn class_id(&self) -> ClassId {
        (**self).class_id()
    }
}

/// The sorted distinct labels (`numpy.unique`).
pub(crate) fn unique_sorted(ids: &[ClassId]) -> Vec<ClassId> {
    let mut v = ids.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Converts a slice of labels.
pub(crate) fn ids_of<L: ClassLabel>(labels: &[L]) -> Vec<ClassId> {
    labels.iter().map(ClassLabel::class_id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_sorts_like_numpy() {
        let ids = ids_of(&[3, -1, 3, 0]);
        assert_eq!(
            unique_sorted(&ids),
            vec![ClassId::Int(-1), ClassId::Int(0), ClassId::Int(3)]
        );
        let ids = ids_of(&["b", "B", "a", "b"]);
        assert_eq!(
            unique_sorted(&ids),
            vec![
                ClassId::Str("B".into()),
                ClassId::Str("a".into()),
                ClassId::Str("b".into())
            ]
        );
    }

    #[test]
    fn python_style_indexing() {
        let names = ["a", "b", "c"];
        assert_eq!(ClassId::Int(0).index_into(&names), Some("a"));
        assert_eq!(ClassId::Int(-1).index_into(&names), Some("c"));
        assert_eq!(ClassId::Int(3).index_into(&names), None);
        assert_eq!(ClassId::Int(-4).index_into(&names), None);
        assert_eq!(ClassId::Str("a".into()).index_into(&names), None);
    }

    #[test]
    fn values_keep_their_type() {
        assert!(matches!(ClassId::Int(2).to_value(), Value::Int(2)));
        assert!(matches!(ClassId::Str("x".into()).to_value(), Value::Str(ref s) if s == "x"));
        assert!(matches!(
            ClassId::Int(u64::MAX as i128).to_value(),
            Value::UInt(u64::MAX)
        ));
    }
}
