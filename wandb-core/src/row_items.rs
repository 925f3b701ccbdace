//! Operations on a committed row's item list (the writer thread's).

use crate::row::RowKey;
use crate::value::Value;

/// Removes earlier entries of keys that occur again (the last value wins),
/// keeping the order of first appearance.
pub(crate) fn dedup_last_wins(items: &mut Vec<(RowKey, Value)>) {
    let n = items.len();
    if n < 2 {
        return;
    }
    let has_dup = if n <= 32 {
        (1..n).any(|i| items[..i].iter().any(|(k, _)| *k == items[i].0))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(n);
        !items.iter().all(|(k, _)| seen.insert(k.as_str()))
    };
    if !has_dup {
        return;
    }
    let mut merged: indexmap::IndexMap<RowKey, Value> = indexmap::IndexMap::with_capacity(n);
    for (k, v) in items.drain(..) {
        merged.insert(k, v);
    }
    items.extend(merged);
}

/// Removes a key from the row, returning its (last) value.
pub(crate) fn take_key(items: &mut Vec<(RowKey, Value)>, key: &str) -> Option<Value> {
    let pos = items.iter().position(|(k, _)| k == key)?;
    Some(items.remove(pos).1)
}
