//! Setting and removing values at nested key paths of a [`Map`] (the
//! summary and config trees built from nested keys).

use crate::value::{Map, Value};

/// Sets `value` at `path`, creating maps on the way (a non-map value in the
/// way is replaced by a map).
pub(crate) fn set_path<S: AsRef<str>>(map: &mut Map, path: &[S], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = map;
    for p in parents {
        let entry = cur
            .entry(p.as_ref().to_owned())
            .or_insert_with(|| Value::Map(Map::new()));
        if !matches!(entry, Value::Map(_)) {
            *entry = Value::Map(Map::new());
        }
        let Value::Map(m) = entry else { return };
        cur = m;
    }
    cur.insert(last.as_ref().to_owned(), value);
}

/// Removes the value at `path`, if present.
pub(crate) fn remove_path<S: AsRef<str>>(map: &mut Map, path: &[S]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = map;
    for p in parents {
        match cur.get_mut(p.as_ref()) {
            Some(Value::Map(m)) => cur = m,
            _ => return,
        }
    }
    cur.shift_remove(last.as_ref());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_remove_nested() {
        let mut m = Map::new();
        set_path(&mut m, &["a", "b"], Value::Int(1));
        set_path(&mut m, &["a", "c"], Value::Int(2));
        set_path(&mut m, &["x"], Value::Int(3));
        set_path(&mut m, &["x", "y"], Value::Int(4)); // replaces the scalar
        remove_path(&mut m, &["a", "b"]);
        remove_path(&mut m, &["missing", "k"]);
        assert_eq!(
            crate::json::to_json_string(&Value::Map(m)).unwrap(),
            r#"{"a":{"c":2},"x":{"y":4}}"#
        );
    }
}
