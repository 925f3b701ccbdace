//! The sweep parameter file, and a trial's metrics read from its run.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use wandb_core::proto::history_item;
use wandb_core::proto::record::RecordType;

/// `{"lr": {"value": 0.1}}` → `{"lr": 0.1}`.
pub fn plain(args: &Map<String, Value>) -> Map<String, Value> {
    args.iter()
        .map(|(k, v)| (k.clone(), v.get("value").cloned().unwrap_or(Value::Null)))
        .collect()
}

/// One value in YAML flow style that PyYAML (YAML 1.1) and YAML 1.2
/// readers both read back exactly: floats always carry a `.` (`1.0e-05`).
fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            let s = super::python_str(v);
            match s.as_str() {
                "nan" => ".nan".into(),
                "inf" => ".inf".into(),
                "-inf" => "-.inf".into(),
                _ if !s.contains('.') => s.replacen('e', ".0e", 1),
                _ => {
                    debug_assert_eq!(s.parse::<f64>().ok(), Some(x));
                    s
                }
            }
        }
        Value::Number(n) => n.to_string(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A key plain when it is a parameter name YAML cannot misread, else quoted.
fn yaml_key(k: &str) -> String {
    const SPECIAL: [&str; 10] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ];
    let plain = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !SPECIAL.contains(&k.to_ascii_lowercase().as_str());
    if plain {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

/// The file behind `WANDB_SWEEP_PARAM_PATH`: `wandb_version: 1`, a blank
/// line, then `key:\n  value: v` per parameter, as the official agent
/// writes it (values in flow style).
pub fn param_file(args: &Map<String, Value>) -> String {
    let mut s = String::from("wandb_version: 1\n");
    if !args.is_empty() {
        s.push('\n');
    }
    for (k, v) in args {
        let value = v.get("value").unwrap_or(&Value::Null);
        s.push_str(&format!("{}:\n  value: {}\n", yaml_key(k), flow(value)));
    }
    s
}

/// The sweep parameters of this trial (`{"lr": 0.1, ...}`), read from
/// `WANDB_SWEEP_PARAM_PATH`; `Ok(None)` outside a sweep. Pass them to
/// `InitOptions::config` so the run records them.
///
/// ```no_run
/// let params = wandb_sweeps::sweep_params_from_env()?.unwrap_or_default();
/// let lr = params.get("lr").and_then(|v| v.as_f64()).unwrap_or(1e-3);
/// # Ok::<(), wandb_sweeps::ConfigError>(())
/// ```
pub fn sweep_params_from_env() -> Result<Option<Map<String, Value>>, crate::ConfigError> {
    let Some(path) = std::env::var_os("WANDB_SWEEP_PARAM_PATH") else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        crate::ConfigError::Parse(format!(
            "cannot read WANDB_SWEEP_PARAM_PATH {}: {e}",
            PathBuf::from(&path).display()
        ))
    })?;
    let v: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| crate::ConfigError::Parse(e.to_string()))?;
    let mut m = match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    m.remove("wandb_version");
    Ok(Some(plain(&m)))
}

/// The `.wandb` file of run `id` under `<dir>/wandb/`.
fn run_file(dir: &Path, id: &str) -> Option<PathBuf> {
    let suffix = format!("-{id}");
    std::fs::read_dir(dir.join("wandb"))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(&suffix))
        })
        .map(|p| p.join(format!("run-{id}.wandb")))
        .find(|p| p.is_file())
}

fn item_value(json: &str, value: Option<&history_item::Value>) -> Value {
    if !json.is_empty() {
        return serde_json::from_str(json).unwrap_or(Value::Null);
    }
    match value {
        Some(history_item::Value::Integer(i)) => Value::from(*i),
        Some(history_item::Value::Number(x)) => {
            serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number)
        }
        Some(history_item::Value::Boolean(b)) => Value::Bool(*b),
        Some(history_item::Value::Text(s)) => Value::String(s.clone()),
        Some(history_item::Value::Json(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn key(key: &str, nested: &[String]) -> String {
    if nested.is_empty() {
        key.to_string()
    } else {
        nested.join(".")
    }
}

/// Logged rows of a run, in order.
pub type History = Vec<Map<String, Value>>;

/// History rows and summary of run `id` (as far as written), or `None`
/// when it has no `.wandb` file yet.
pub fn read_run(dir: &Path, id: &str) -> Option<(History, Map<String, Value>)> {
    let file = run_file(dir, id)?;
    let outcome = wandb_core::store::read_file(&file).ok()?;
    let (mut history, mut summary) = (Vec::new(), Map::new());
    for r in outcome.records {
        match r.record_type {
            Some(RecordType::History(h)) => history.push(
                h.item
                    .iter()
                    .map(|i| {
                        (
                            key(&i.key, &i.nested_key),
                            item_value(&i.value_json, i.value.as_ref()),
                        )
                    })
                    .collect(),
            ),
            Some(RecordType::Summary(s)) => {
                for i in s.update {
                    summary.insert(
                        key(&i.key, &i.nested_key),
                        serde_json::from_str(&i.value_json).unwrap_or(Value::Null),
                    );
                }
            }
            _ => {}
        }
    }
    Some((history, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn param_file_round_trips_every_value_exactly() {
        let args = json!({
            "lr": {"value": 1.1308573712462676e-5}, "bs": {"value": 32}, "on": {"value": true},
            "yes": {"value": "no"}, "opt": {"value": {"beta": 0.9, "name": "adam"}},
            "list": {"value": [1, 2.5, null]}, "big": {"value": 1e300}
        });
        let args = args.as_object().unwrap().clone();
        let text = param_file(&args);
        assert!(text.starts_with("wandb_version: 1\n\n"), "{text}");
        assert!(
            text.contains("lr:\n  value: 1.1308573712462676e-05\n"),
            "{text}"
        );
        assert!(text.contains("\"yes\":\n  value: \"no\"\n"), "{text}");
        let back: Value = serde_yaml_ng::from_str(&text).unwrap();
        let mut back = back.as_object().unwrap().clone();
        assert_eq!(back.remove("wandb_version"), Some(json!(1)));
        assert_eq!(back, args);
    }
}
