//! Runs started by a sweep agent: the parameter file behind
//! `WANDB_SWEEP_PARAM_PATH` and how its values enter the config.
//!
//! The agents (the official `wandb agent` and `wandb-rs sweep`) write the
//! file as `wandb_version: 1`, a blank line, then one `key:` per parameter
//! with an indented `value: v`. wandb-core has no YAML dependency, so it
//! reads what those writers produce, and refuses the rest with an error
//! naming the line:
//! - a file that is one JSON object (`{"lr": {"value": 0.1}}`);
//! - block YAML as PyYAML's `SafeDumper` writes it (the official agent):
//!   mappings, sequences (also at their key's indentation, `- - 1`,
//!   `- a: 1`), scalars folded over several lines;
//! - scalars: JSON first (numbers, double-quoted strings, `[..]`, `{..}` in
//!   JSON form: what `wandb-rs sweep` writes), else as PyYAML reads them
//!   (`~`, YAML 1.1 `yes`/`no`/`on`/`off`, `.nan`, `.inf`, `'single quoted'`,
//!   plain text; a float needs a `.`, so `1e-5` is a string, as in PyYAML).
//!   `sweep_params.json` (tests/fixtures) holds 200 random files written
//!   and read back by the official code; all are read the same here.
//!
//! Not read: anchors and aliases, tags, `|`/`>` block scalars, flow
//! collections that are not JSON (no agent writes them).

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
                return Err(format!(
                    "unknown wandb_version {} (only 1 is known)",
                    v.to_serde_json()
                ));
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

/// One line of the file: its indentation and text (`skip`: blank or a comment).
#[derive(Clone, Copy)]
struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
    skip: bool,
}

type Parsed<T> = std::result::Result<T, String>;

/// The block YAML that PyYAML's `SafeDumper` writes: mappings, sequences
/// (also at the indentation of their key), scalars on one line or folded
/// over several.
fn parse_yaml_shape(text: &str) -> Parsed<Map> {
    let mut lines: Vec<Line<'_>> = text
        .lines()
        .enumerate()
        .map(|(no, raw)| {
            let text = raw.trim_end();
            let content = text.trim_start();
            Line {
                no: no + 1,
                indent: text.len() - content.len(),
                text: content,
                skip: content.is_empty() || content.starts_with('#') || content == "---",
            }
        })
        .collect();
    let mut i = next(&lines, 0);
    if i == lines.len() {
        return Ok(Map::new());
    }
    if lines[i].indent != 0 {
        return Err(format!("line {}: an indented first line", lines[i].no));
    }
    let top = block_map(&mut lines, &mut i, 0)?;
    i = next(&lines, i);
    match lines.get(i) {
        Some(l) => Err(format!("line {}: expected `key:`", l.no)),
        None => Ok(top),
    }
}

/// The index of the next line that is not blank or a comment.
fn next(lines: &[Line<'_>], mut i: usize) -> usize {
    while lines.get(i).is_some_and(|l| l.skip) {
        i += 1;
    }
    i
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The block node at line `i` (a mapping, a sequence or a scalar).
fn block_node(lines: &mut [Line<'_>], i: &mut usize) -> Parsed<Value> {
    let l = lines[*i];
    if is_item(l.text) {
        return block_seq(lines, i, l.indent).map(Value::List);
    }
    if split_key(l.text).is_some() {
        return block_map(lines, i, l.indent).map(Value::Map);
    }
    *i += 1;
    folded_scalar(l.text, lines, i, l.indent.saturating_sub(1))
        .map_err(|e| format!("line {}: {e}", l.no))
}

fn block_map(lines: &mut [Line<'_>], i: &mut usize, indent: usize) -> Parsed<Map> {
    let mut out = Map::new();
    loop {
        *i = next(lines, *i);
        let Some(l) = lines.get(*i).copied() else {
            break;
        };
        if l.indent < indent || (l.indent == indent && is_item(l.text)) {
            break;
        }
        if l.indent > indent {
            return Err(format!("line {}: unexpected indentation", l.no));
        }
        let (key, rest) = split_key(l.text).ok_or(format!("line {}: expected `key:`", l.no))?;
        *i += 1;
        let value = if rest.is_empty() {
            let j = next(lines, *i);
            match lines.get(j) {
                Some(c) if c.indent > indent || (c.indent == indent && is_item(c.text)) => {
                    *i = j;
                    block_node(lines, i)?
                }
                _ => Value::Null,
            }
        } else {
            folded_scalar(rest, lines, i, indent).map_err(|e| format!("line {}: {e}", l.no))?
        };
        out.insert(key, value);
    }
    Ok(out)
}

fn block_seq(lines: &mut [Line<'_>], i: &mut usize, indent: usize) -> Parsed<Vec<Value>> {
    let mut out = Vec::new();
    loop {
        *i = next(lines, *i);
        let Some(l) = lines.get(*i).copied() else {
            break;
        };
        if l.indent != indent || !is_item(l.text) {
            if l.indent > indent {
                return Err(format!("line {}: unexpected indentation", l.no));
            }
            break;
        }
        let rest = l.text[1..].trim_start();
        if rest.is_empty() {
            *i += 1;
            let j = next(lines, *i);
            match lines.get(j) {
                Some(c) if c.indent > indent => {
                    *i = j;
                    out.push(block_node(lines, i)?);
                }
                _ => out.push(Value::Null),
            }
            continue;
        }
        // `- a: 1` / `- - 1`: the item's content is a node at its column.
        lines[*i] = Line {
            indent: l.indent + (l.text.len() - rest.len()),
            text: rest,
            ..l
        };
        out.push(block_node(lines, i)?);
    }
    Ok(out)
}

/// A scalar starting with `first`, continued on the following lines
/// indented more than `indent` (PyYAML folds long scalars): a line break
/// is a space, an empty line a newline.
fn folded_scalar(first: &str, lines: &[Line<'_>], i: &mut usize, indent: usize) -> Parsed<Value> {
    let quote = first.chars().next().filter(|c| matches!(c, '\'' | '"'));
    let closed = |s: &str| match quote {
        Some(q) => quoted_end(&s[1..], q).is_some(),
        None => true,
    };
    let mut text = first.to_owned();
    let mut breaks = 0;
    while let Some(l) = lines.get(*i) {
        let more = if quote.is_some() {
            !closed(&text)
        } else {
            // a `key: v` line there is not text (YAML refuses it)
            !l.text.starts_with('#')
                && (l.text.is_empty() || (l.indent > indent && split_key(l.text).is_none()))
        };
        if !more {
            break;
        }
        *i += 1;
        if l.text.is_empty() {
            breaks += 1;
            continue;
        }
        if breaks > 0 {
            text.push_str(&"\n".repeat(breaks));
        } else {
            text.push(' ');
        }
        breaks = 0;
        text.push_str(l.text);
    }
    if !closed(&text) {
        return Err(format!("unterminated quoted string {first}"));
    }
    scalar(strip_comment(text.trim_end()))
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
        // PyYAML (YAML 1.1) needs a `.` in a float: `1e-5` is a string
        if v.is_number() && s.contains(['e', 'E']) && !s.contains('.') {
            return Ok(Value::Str(s.to_owned()));
        }
        return Ok(Value::from(v));
    }
    if let Some(body) = s.strip_prefix('\'') {
        return match quoted_end(body, '\'') {
            Some(end) if end + 1 == body.len() => Ok(Value::Str(body[..end].replace("''", "'"))),
            _ => Err(format!("unterminated single-quoted string {s}")),
        };
    }
    if s.starts_with(['|', '>', '&', '*', '!', '%', '@', '`']) {
        return Err(format!(
            "{s}: YAML block scalars, anchors, aliases and tags are not read by wandb-core; \
             write the parameter file as JSON"
        ));
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
    if t.contains('.') && t.chars().any(|c| c.is_ascii_digit()) && !t.contains(['i', 'I', 'n', 'N'])
    {
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
