//! Runs started by a sweep agent: the parameter file behind
//! `WANDB_SWEEP_PARAM_PATH` and how its values enter the config.
//!
//! The agents (the official `wandb agent` and `wandb-rs sweep`) write the
//! file as `wandb_version: 1`, a blank line, then one `key:` per parameter
//! with an indented `value: v`. wandb-core has no YAML dependency, so it
//! reads exactly that shape:
//! - a file that is one JSON object (`{"lr": {"value": 0.1}}`) is read as JSON;
//! - otherwise each `value:` must be a scalar on its line: JSON (numbers,
//!   double-quoted strings, `true`, `null`, flow lists and objects in JSON
//!   form, which is what `wandb-rs sweep` writes), or a YAML scalar as PyYAML
//!   writes it (`~`, `yes`/`no`, `.nan`, `.inf`, `'single quoted'`, plain
//!   text); YAML 1.1 booleans are read as PyYAML reads them;
//! - a value written as a block list or mapping on the following lines
//!   (the official agent does this for nested and list parameters) is a
//!   typed error naming the parameter, never a silent guess.

use std::path::Path;

use crate::error::{Error, Result};
use crate::value::{Map, Value};

/// The setting named in errors about the parameter file.
const SETTING: &str = "sweep_param_path (WANDB_SWEEP_PARAM_PATH)";

/// The parameters of the sweep run (`{"lr": 0.1}`), read from `path`.
pub(crate) fn read_params(path: &Path) -> Result<Map> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io("cannot read the sweep parameter file", path, e))?;
    parse_params(&text).map_err(|reason| Error::InvalidSetting {
        name: SETTING.into(),
        reason: format!("{}: {reason}", path.display()),
    })
}

/// Parses the text of a sweep parameter file (see the module docs).
pub fn parse_params(text: &str) -> std::result::Result<Map, String> {
    let text = text.trim_start_matches('\u{feff}');
    let top = if text.trim_start().starts_with('{') {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect::<Map>(),
            Ok(_) => return Err("the JSON parameter file must be one object".into()),
            Err(e) => return Err(format!("invalid JSON: {e}")),
        }
    } else {
        parse_yaml_shape(text)?
    };
    let mut out = Map::new();
    for (k, v) in top {
        if k == "wandb_version" {
            if !matches!(v, Value::Int(1) | Value::UInt(1)) {
                return Err(format!("unknown wandb_version {v:?} (only 1 is known)"));
            }
            continue;
        }
        match v {
            Value::Map(mut m) => match m.shift_remove("value") {
                Some(value) => {
                    out.insert(k, value);
                }
                None => return Err(format!("parameter `{k}` has no `value`")),
            },
            _ => {
                return Err(format!(
                    "parameter `{k}` must be a mapping with a `value` key (`{k}: {{value: ...}}`)"
                ))
            }
        }
    }
    Ok(out)
}

/// `key:` lines, each followed by indented `name: scalar` lines.
fn parse_yaml_shape(text: &str) -> std::result::Result<Map, String> {
    let mut out = Map::new();
    let mut current: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') || content == "---" {
            continue;
        }
        let at = |msg: &str| format!("line {}: {msg}", n + 1);
        let indented = content.len() != line.len();
        let (key, rest) = split_key(content).ok_or_else(|| at("expected `key:`"))?;
        if !indented {
            if rest.is_empty() {
                out.insert(key.clone(), Value::Map(Map::new()));
                current = Some(key);
            } else {
                out.insert(key, scalar(rest).map_err(|e| at(&e))?);
                current = None;
            }
            continue;
        }
        let Some(param) = current.as_ref() else {
            return Err(at("an indented line outside a parameter"));
        };
        if rest.is_empty() {
            return Err(at(&format!(
                "parameter `{param}`: a `{key}` written as a block list or mapping is not read \
                 by wandb-core; write the parameter file as JSON \
                 ({{\"{param}\": {{\"value\": ...}}}}) or the value in flow style on one line"
            )));
        }
        let value = scalar(rest).map_err(|e| at(&format!("parameter `{param}`: {e}")))?;
        if let Some(Value::Map(m)) = out.get_mut(param) {
            m.insert(key, value);
        }
    }
    Ok(out)
}

/// Splits `key: rest` (the key plain, double- or single-quoted).
fn split_key(line: &str) -> Option<(String, &str)> {
    let (key, after) = if let Some(body) = line.strip_prefix('"') {
        let end = quoted_end(body, '"')?;
        let key: String = serde_json::from_str(&line[..end + 2]).ok()?;
        (key, &body[end + 1..])
    } else if let Some(body) = line.strip_prefix('\'') {
        let end = quoted_end(body, '\'')?;
        (body[..end].replace("''", "'"), &body[end + 1..])
    } else {
        let end = line.find(": ").unwrap_or_else(|| {
            if line.ends_with(':') {
                line.len() - 1
            } else {
                line.len()
            }
        });
        if end == line.len() {
            return None;
        }
        (line[..end].trim().to_owned(), &line[end..])
    };
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, strip_comment(rest.trim())))
}

/// The byte index of the closing quote in `body` (after the opening one).
fn quoted_end(body: &str, quote: char) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == '"' => i += 2,
            b'\'' if quote == '\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote as u8 => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Drops a ` # comment` after a plain scalar (not inside quotes or JSON).
fn strip_comment(s: &str) -> &str {
    if s.starts_with(['"', '\'', '[', '{']) {
        return s;
    }
    s.find(" #").map_or(s, |i| s[..i].trim_end())
}

/// One scalar value as PyYAML reads it (JSON first).
fn scalar(s: &str) -> std::result::Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(s) {
        return Ok(Value::from(v));
    }
    if let Some(body) = s.strip_prefix('\'') {
        return match quoted_end(body, '\'') {
            Some(end) if end + 1 == body.len() => Ok(Value::Str(body[..end].replace("''", "'"))),
            _ => Err(format!("unterminated single-quoted string {s}")),
        };
    }
    if s.starts_with(['"', '[', '{']) {
        return Err(format!(
            "{s} is neither JSON nor a plain YAML scalar; write it as JSON"
        ));
    }
    Ok(match s {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Value::Bool(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        _ => number(s).unwrap_or_else(|| Value::Str(s.to_owned())),
    })
}

/// An int or a float in YAML spelling (`+1`, `1_000`, `1.0e-05`).
fn number(s: &str) -> Option<Value> {
    let t: String = s.chars().filter(|c| *c != '_').collect();
    if !t.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Int(i));
    }
    if t.chars().any(|c| c.is_ascii_digit()) && !t.contains(['i', 'I', 'n', 'N']) {
        return t.parse::<f64>().ok().map(Value::Float);
    }
    None
}

/// Puts the sweep's parameters into the config over the user's values, as
/// the official `Config.merge_locked`: a mapping merges recursively into a
/// mapping of the user's, anything else replaces it. Returns the keys to
/// lock (later config updates of them are ignored).
pub(crate) fn merge_locked(config: &mut Map, params: Map) -> Vec<String> {
    let mut locked = Vec::with_capacity(params.len());
    for (k, v) in params {
        locked.push(k.clone());
        match (config.get_mut(&k), v) {
            (Some(Value::Map(dest)), Value::Map(src)) => merge_maps(dest, src),
            (_, v) => {
                config.insert(k, v);
            }
        }
    }
    locked
}

fn merge_maps(dest: &mut Map, src: Map) {
    for (k, v) in src {
        match (dest.get_mut(&k), v) {
            (Some(Value::Map(d)), Value::Map(s)) => merge_maps(d, s),
            (_, v) => {
                dest.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
#[path = "sweep_tests.rs"]
mod tests;
