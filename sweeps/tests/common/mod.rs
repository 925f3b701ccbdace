//! Shared by the oracle tests: the golden vectors of the official `sweeps`
//! package (written by tests/oracle/gen_vectors.py) and a numeric-tolerant
//! JSON comparison.
#![allow(dead_code)]

use serde_json::Value;

pub fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors.json");
    let text = std::fs::read_to_string(path).expect("tests/fixtures/vectors.json");
    serde_json::from_str(&text).expect("vectors.json is JSON")
}

/// Numbers compare with a relative tolerance; ints and floats compare by value.
pub fn close(a: &Value, b: &Value, rel: f64) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= rel * x.abs().max(y.abs()).max(1e-300)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| close(a, b, rel))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| close(v, w, rel)))
        }
        _ => a == b,
    }
}

pub fn assert_close(ours: &Value, theirs: &Value, rel: f64, what: &str) {
    assert!(
        close(ours, theirs, rel),
        "{what}:\n ours   {ours}\n theirs {theirs}"
    );
}
