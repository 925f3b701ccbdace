//! The `filters` of the `Runs` query: the MongoDB-style subset the W&B
//! server accepts, applied to stored runs. Fields: `name`, `state`,
//! `display_name`/`displayName`, `group`, `jobType`, `tags`,
//! `config.<key>[.value]`, `summary_metrics.<key>`; operators: equality,
//! `$eq $ne $gt $gte $lt $lte $in $nin $exists`, and `$and`/`$or` lists.
//! A filter on an unknown field matches nothing.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::store::RunData;

/// Whether `run` satisfies `filter` (an object; `{}` matches every run).
pub(crate) fn matches(filter: &Value, run: &RunData) -> bool {
    let Some(m) = filter.as_object() else {
        return false;
    };
    m.iter().all(|(k, cond)| match k.as_str() {
        "$and" => list(cond).iter().all(|f| matches(f, run)),
        "$or" => list(cond).iter().any(|f| matches(f, run)),
        field => test(field_value(field, run).as_ref(), cond),
    })
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn field_value(field: &str, r: &RunData) -> Option<Value> {
    let s = |o: &Option<String>| o.as_ref().map(|v| json!(v));
    match field {
        "name" => Some(json!(r.name)),
        "state" => Some(json!(r.state())),
        "display_name" | "displayName" => s(&r.display_name).or(Some(json!(r.name))),
        "group" => s(&r.group),
        "jobType" | "job_type" => s(&r.job_type),
        "tags" => Some(json!(r.tags)),
        "sweep" => s(&r.sweep),
        _ => {
            if let Some(rest) = field.strip_prefix("config.") {
                let key = rest.strip_suffix(".value").unwrap_or(rest);
                r.config
                    .get(key)
                    .map(|c| c.get("value").cloned().unwrap_or(c.clone()))
            } else if let Some(rest) = field
                .strip_prefix("summary_metrics.")
                .or(field.strip_prefix("summaryMetrics."))
            {
                rest.split('.')
                    .try_fold(&r.summary, |v, k| v.get(k))
                    .cloned()
            } else {
                None
            }
        }
    }
}

fn test(value: Option<&Value>, cond: &Value) -> bool {
    let ops = cond
        .as_object()
        .filter(|m| !m.is_empty() && m.keys().all(|k| k.starts_with('$')));
    let Some(ops) = ops else {
        return value.is_some_and(|v| equal(v, cond));
    };
    ops.iter().all(|(op, arg)| match op.as_str() {
        "$eq" => value.is_some_and(|v| equal(v, arg)),
        "$ne" => !value.is_some_and(|v| equal(v, arg)),
        "$gt" => compare(value, arg).is_some_and(|o| o.is_gt()),
        "$gte" => compare(value, arg).is_some_and(|o| o.is_ge()),
        "$lt" => compare(value, arg).is_some_and(|o| o.is_lt()),
        "$lte" => compare(value, arg).is_some_and(|o| o.is_le()),
        "$in" => value.is_some_and(|v| list(arg).iter().any(|a| equal(v, a))),
        "$nin" => !value.is_some_and(|v| list(arg).iter().any(|a| equal(v, a))),
        "$exists" => value.is_some() == arg.as_bool().unwrap_or(true),
        _ => false,
    })
}

/// Equality; a list (tags) equals a scalar it contains.
fn equal(v: &Value, want: &Value) -> bool {
    match (v, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(items), w) if !w.is_array() => items.iter().any(|i| equal(i, w)),
        (a, b) => a == b,
    }
}

fn compare(v: Option<&Value>, arg: &Value) -> Option<std::cmp::Ordering> {
    match (v?, arg) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// The creation order of a run: the number in its storage id (`Run:<n>`).
pub(crate) fn created_seq(r: &RunData) -> u64 {
    base64::engine::general_purpose::STANDARD
        .decode(&r.storage_id)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.rsplit(':').next().and_then(|n| n.parse().ok()))
        .unwrap_or(u64::MAX)
}
