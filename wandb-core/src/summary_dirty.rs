//! The summary leaves changed since the last summary record, with a
//! positional fast path: training loops log the same keys in the same order
//! every step, so the leaf at position `n` of a row usually updates the
//! same entry as last time, found without hashing.

use indexmap::IndexMap;

use crate::value::Value;

/// Fast hashing is fine: keys come from the program itself.
type DirtyMap = IndexMap<String, Option<Value>, foldhash::fast::FixedState>;

/// Changed summary leaves (`Some` = set, `None` = removed), keyed by the
/// nested path joined with [`PATH_SEP`].
#[derive(Default)]
pub(crate) struct DirtySummary {
    map: DirtyMap,
    /// `hint[n]` = index in `map` that the n-th leaf of the last row updated.
    hint: Vec<usize>,
}

/// Separator of nested key paths (a control character that cannot clash
/// with real keys in practice).
pub(crate) const PATH_SEP: char = '\u{1f}';

impl DirtySummary {
    /// Records the latest value of the leaf at position `slot` of a row.
    pub(crate) fn set_at(&mut self, slot: usize, key: &str, value: Option<Value>) {
        if let Some(&idx) = self.hint.get(slot) {
            if let Some((k, v)) = self.map.get_index_mut(idx) {
                if k == key {
                    *v = value;
                    return;
                }
            }
        }
        let idx = self.set(key, value);
        if self.hint.len() <= slot {
            self.hint.resize(slot + 1, usize::MAX);
        }
        self.hint[slot] = idx;
    }

    /// Records the latest value of a leaf; returns its index.
    pub(crate) fn set(&mut self, key: &str, value: Option<Value>) -> usize {
        match self.map.get_full_mut(key) {
            Some((idx, _, v)) => {
                *v = value;
                idx
            }
            None => self.map.insert_full(key.to_owned(), value).0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Takes every change, leaving the set empty.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (String, Option<Value>)> + '_ {
        self.hint.clear();
        self.map.drain(..)
    }
}

/// Joins a nested key path with [`PATH_SEP`] into `buf`.
pub(crate) fn join_path(path: &[&str], buf: &mut String) {
    buf.clear();
    for (i, p) in path.iter().enumerate() {
        if i > 0 {
            buf.push(PATH_SEP);
        }
        buf.push_str(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_rows_and_survive_layout_changes() {
        let mut d = DirtySummary::default();
        d.set_at(0, "a", Some(Value::Int(1)));
        d.set_at(1, "b", Some(Value::Int(2)));
        d.set_at(0, "a", Some(Value::Int(3)));
        d.set_at(1, "c", Some(Value::Int(4))); // other key at the same position
        d.set_at(1, "b", Some(Value::Int(5)));
        let all: Vec<_> = d.drain().collect();
        assert_eq!(
            all,
            vec![
                ("a".into(), Some(Value::Int(3))),
                ("b".into(), Some(Value::Int(5))),
                ("c".into(), Some(Value::Int(4))),
            ]
        );
        assert!(d.is_empty());
        d.set_at(1, "z", None);
        assert_eq!(d.len(), 1);
    }
}
