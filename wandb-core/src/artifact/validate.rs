//! Validation as the official constructor and `log_artifact` do it
//! (spec artifacts.md §1.1).

use super::ArtifactError;
use crate::error::Result;
use crate::value::Value;

/// Longest name or type.
const NAME_MAXLEN: usize = 128;
/// Most metadata keys.
const MAX_METADATA_KEYS: usize = 100;

pub(super) fn name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty".to_string()
    } else if name.chars().count() > NAME_MAXLEN {
        format!("it is longer than {NAME_MAXLEN} characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        "it may only contain letters, digits, '-', '_' and '.'".to_string()
    } else {
        return Ok(());
    };
    Err(ArtifactError::InvalidName {
        name: name.to_string(),
        reason,
    }
    .into())
}

pub(super) fn artifact_type(t: &str, name: &str) -> Result<()> {
    let reason = if t.is_empty() {
        "it is empty"
    } else if t.contains('/') || t.contains(':') {
        "types must not contain '/' or ':'"
    } else if t.chars().count() > NAME_MAXLEN {
        "types must be at most 128 characters"
    } else if t.starts_with("wandb-")
        || t == "job"
        || (t == "run_table" && name.starts_with("run-"))
        || (t == "code" && name.starts_with("source-"))
    {
        "it is reserved for internal use; use a different type"
    } else {
        return Ok(());
    };
    Err(ArtifactError::InvalidType {
        r#type: t.to_string(),
        reason: reason.to_string(),
    }
    .into())
}

/// The aliases to record: the given ones (validated, de-duplicated, in
/// order) plus `latest`, which `log_artifact` always adds.
pub(crate) fn aliases<S: AsRef<str>>(given: &[S]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(given.len() + 1);
    for a in given {
        let a = a.as_ref();
        if a.is_empty() || a.contains('/') || a.contains(':') {
            return Err(ArtifactError::InvalidAlias {
                alias: a.to_string(),
            }
            .into());
        }
        if !out.iter().any(|x| x == a) {
            out.push(a.to_string());
        }
    }
    if !out.iter().any(|x| x == "latest") {
        out.push("latest".into());
    }
    Ok(out)
}

/// A logical path: relative, `/` separators, no `..`, no empty or `.`
/// components (those are dropped, as path normalisation does).
pub(crate) fn logical_path(p: &str) -> Result<String> {
    let bad = || ArtifactError::InvalidPath {
        path: p.to_string(),
    };
    let unified = p.replace('\\', "/");
    if unified.starts_with('/') || unified.as_bytes().get(1) == Some(&b':') {
        return Err(bad().into());
    }
    let mut parts = Vec::new();
    for c in unified.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(bad().into()),
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(bad().into());
    }
    Ok(parts.join("/"))
}

/// NaN → null; an infinity is an error.
fn clean(v: Value) -> Result<Value, String> {
    Ok(match v {
        Value::Float(f) if f.is_nan() => Value::Null,
        Value::Float(f) if f.is_infinite() => {
            return Err("infinite numbers cannot be stored; use a string or null".into())
        }
        Value::List(l) => Value::List(l.into_iter().map(clean).collect::<Result<_, _>>()?),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| clean(v).map(|v| (k, v)))
                .collect::<Result<_, _>>()?,
        ),
        Value::Media(_) => return Err("media objects cannot be metadata".into()),
        other => other,
    })
}

/// Compact JSON of a metadata object; `None` when it is empty.
pub(super) fn metadata(v: Value) -> Result<Option<String>> {
    let v = clean(v).map_err(ArtifactError::InvalidMetadata)?;
    let n = match &v {
        Value::Map(m) => m.len(),
        Value::Null => 0,
        _ => {
            return Err(ArtifactError::InvalidMetadata(
                "metadata must serialise to a JSON object (a struct or a map)".into(),
            )
            .into())
        }
    };
    if n > MAX_METADATA_KEYS {
        return Err(ArtifactError::InvalidMetadata(format!(
            "{n} keys; at most {MAX_METADATA_KEYS} are allowed"
        ))
        .into());
    }
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(crate::json::to_json_string(&v)?))
}
