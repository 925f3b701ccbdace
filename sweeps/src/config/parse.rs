//! Validation of a parsed sweep config against the official schema.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::params::parameters;
use super::{Controller, Goal, Hyperband, Impute, Method, MetricSpec, Num, SweepConfig};

/// Why a sweep config was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The text is not YAML/JSON.
    #[error("cannot parse the sweep config: {0}")]
    Parse(String),
    /// A key has a wrong value, is missing or is unknown.
    #[error("sweep config: `{key}`: {message}")]
    Invalid {
        /// Dotted path of the offending key (`parameters.lr.min`).
        key: String,
        /// What is wrong and what is accepted.
        message: String,
    },
}

impl ConfigError {
    /// The dotted key the error is about (empty for parse errors and the root).
    pub fn key(&self) -> &str {
        match self {
            ConfigError::Parse(_) => "",
            ConfigError::Invalid { key, .. } => key,
        }
    }
}

pub(super) type R<T> = Result<T, ConfigError>;

pub(super) fn bad<T>(key: &str, message: impl Into<String>) -> R<T> {
    Err(ConfigError::Invalid {
        key: key.to_string(),
        message: message.into(),
    })
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn object<'a>(v: &'a Value, key: &str) -> R<&'a Map<String, Value>> {
    v.as_object()
        .map_or_else(|| bad(key, format!("must be a mapping, got {v}")), Ok)
}

pub(super) fn only_keys(m: &Map<String, Value>, path: &str, allowed: &[&str], what: &str) -> R<()> {
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return bad(
                &join(path, k),
                format!("unknown key for {what} (allowed: {})", allowed.join(", ")),
            );
        }
    }
    Ok(())
}

pub(super) fn string(m: &Map<String, Value>, path: &str, key: &str) -> R<Option<String>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => bad(&join(path, key), format!("must be a string, got {v}")),
    }
}

pub(super) fn number(m: &Map<String, Value>, path: &str, key: &str) -> R<Option<Num>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(v) => bad(&join(path, key), format!("must be a number, got {v}")),
    }
}

/// JSON-schema `integer`: an int, or a float with no fractional part.
pub(super) fn integer(m: &Map<String, Value>, path: &str, key: &str) -> R<Option<i64>> {
    match number(m, path, key)? {
        None => Ok(None),
        Some(n) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                _ => bad(&join(path, key), format!("must be an integer, got {n}")),
            },
        },
    }
}

pub(super) fn enum_str<'a>(
    m: &Map<String, Value>,
    path: &str,
    key: &str,
    allowed: &[&'a str],
) -> R<Option<&'a str>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => match allowed.iter().find(|a| **a == s) {
            Some(a) => Ok(Some(a)),
            None => bad(
                &join(path, key),
                format!("`{s}` is not one of {}", allowed.join(", ")),
            ),
        },
        Some(v) => bad(
            &join(path, key),
            format!("must be one of {}, got {v}", allowed.join(", ")),
        ),
    }
}

const TOP_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "controller",
    "description",
    "program",
    "job",
    "image_uri",
    "entity",
    "project",
    "method",
    "command",
    "name",
    "run_cap",
    "metric",
    "metrics",
    "scheduler",
    "early_terminate",
    "parameters",
];

pub(super) fn sweep_config(v: &Value) -> R<SweepConfig> {
    let m = object(v, "")?;
    only_keys(m, "", TOP_KEYS, "a sweep config")?;
    let method = match enum_str(m, "", "method", &["grid", "random", "bayes", "custom"])? {
        Some("grid") => Method::Grid,
        Some("random") => Method::Random,
        Some("bayes") => Method::Bayes,
        Some(_) => Method::Custom,
        None => return bad("method", "is required (grid, random, bayes or custom)"),
    };
    let metric = m
        .get("metric")
        .map(|v| metric_spec(v, "metric"))
        .transpose()?;
    let metrics = match m.get("metrics") {
        None => None,
        Some(Value::Array(a)) if a.len() >= 2 => Some(
            a.iter()
                .enumerate()
                .map(|(i, v)| metric_spec(v, &format!("metrics.{i}")))
                .collect::<R<Vec<_>>>()?,
        ),
        Some(v) => {
            return bad(
                "metrics",
                format!("must be a list of at least 2 metrics, got {v}"),
            )
        }
    };
    if metric.is_some() && metrics.is_some() {
        return bad("metrics", "`metric` and `metrics` cannot both be set");
    }
    if metrics.is_some() && method != Method::Custom {
        return bad("metrics", "requires `method: custom`");
    }
    let mut warnings = Vec::new();
    let has_search_space = m
        .get("scheduler")
        .and_then(|s| s.get("search_space"))
        .is_some_and(|s| s.as_str().is_some_and(|s| !s.is_empty()));
    let parameters = match m.get("parameters") {
        Some(p) => parameters(p, "parameters", &mut warnings)?,
        None if has_search_space => BTreeMap::new(),
        None => {
            return bad(
                "parameters",
                "is required (unless `scheduler.search_space` is set)",
            )
        }
    };
    let early_terminate = m.get("early_terminate").map(hyperband).transpose()?;
    let run_cap = match integer(m, "", "run_cap")? {
        None => None,
        Some(n) if n > 0 => Some(n as u64),
        Some(n) => return bad("run_cap", format!("must be an integer > 0, got {n}")),
    };
    let command = match m.get("command") {
        None => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(v) => return bad("command", format!("must be a list, got {v}")),
    };
    let controller = match m.get("controller") {
        None => None,
        Some(c) => {
            let cm = object(c, "controller")?;
            match enum_str(cm, "controller", "type", &["local", "cloud"])? {
                Some(t) => Some(Controller {
                    kind: t.to_string(),
                }),
                None => return bad("controller.type", "is required (local or cloud)"),
            }
        }
    };
    let mut other = BTreeMap::new();
    for key in ["apiVersion", "job", "image_uri"] {
        if let Some(s) = string(m, "", key)? {
            other.insert(key.to_string(), Value::String(s));
        }
    }
    if enum_str(m, "", "kind", &["sweep"])?.is_some() {
        other.insert("kind".into(), Value::from("sweep"));
    }
    if let Some(s) = m.get("scheduler") {
        scheduler(s, method)?;
        if controller.as_ref().is_some_and(|c| c.kind == "local") {
            return bad(
                "controller",
                "`controller: {type: local}` cannot be used with `scheduler`",
            );
        }
        if early_terminate.is_some() {
            return bad(
                "early_terminate",
                "cannot be used together with `scheduler`",
            );
        }
        other.insert("scheduler".into(), s.clone());
    }
    if let Some(ms) = &metrics {
        other.insert(
            "metrics".into(),
            serde_json::to_value(ms).unwrap_or(Value::Null),
        );
    }
    Ok(SweepConfig {
        method,
        metric,
        metrics,
        parameters,
        early_terminate,
        run_cap,
        command,
        program: string(m, "", "program")?,
        name: string(m, "", "name")?,
        description: string(m, "", "description")?,
        entity: string(m, "", "entity")?,
        project: string(m, "", "project")?,
        controller,
        other: other.into_iter().filter(|(k, _)| k != "metrics").collect(),
        warnings,
    })
}

fn scheduler(v: &Value, method: Method) -> R<()> {
    let m = object(v, "scheduler")?;
    only_keys(
        m,
        "scheduler",
        &["engine", "source", "optimizer", "search_space"],
        "scheduler",
    )?;
    let engine = match enum_str(m, "scheduler", "engine", &["optuna", "ax", "wandb"])? {
        Some(e) => e,
        None => return bad("scheduler.engine", "is required (optuna, ax or wandb)"),
    };
    for k in ["source", "optimizer", "search_space"] {
        string(m, "scheduler", k)?;
    }
    if (m.contains_key("optimizer") || m.contains_key("search_space")) && !m.contains_key("source")
    {
        return bad(
            "scheduler.source",
            "is required with `optimizer` or `search_space`",
        );
    }
    let ok = match engine {
        "wandb" => matches!(method, Method::Grid | Method::Random | Method::Bayes),
        _ => method == Method::Custom,
    };
    if !ok {
        return bad(
            "method",
            format!("`scheduler.engine: {engine}` does not support this method"),
        );
    }
    Ok(())
}

fn metric_spec(v: &Value, path: &str) -> R<MetricSpec> {
    let m = object(v, path)?;
    only_keys(
        m,
        path,
        &["name", "goal", "target", "impute", "impute_while_running"],
        "metric",
    )?;
    let name = match string(m, path, "name")? {
        Some(n) => n,
        None => return bad(&join(path, "name"), "is required"),
    };
    let goal = match enum_str(m, path, "goal", &["minimize", "maximize"])? {
        Some("maximize") => Goal::Maximize,
        _ => Goal::Minimize,
    };
    let imp = |key: &str, allowed: &[&'static str], default: Impute| -> R<Impute> {
        Ok(match enum_str(m, path, key, allowed)? {
            Some("latest") => Impute::Latest,
            Some("best") => Impute::Best,
            Some("worst") => Impute::Worst,
            Some(_) => Impute::False,
            None => default,
        })
    };
    Ok(MetricSpec {
        name,
        goal,
        target: number(m, path, "target")?.and_then(|n| n.as_f64()),
        impute: imp("impute", &["latest", "best", "worst"], Impute::Worst)?,
        impute_while_running: imp(
            "impute_while_running",
            &["latest", "best", "worst", "false"],
            Impute::False,
        )?,
    })
}

fn hyperband(v: &Value) -> R<Hyperband> {
    let p = "early_terminate";
    let m = object(v, p)?;
    only_keys(
        m,
        p,
        &["type", "max_iter", "min_iter", "s", "eta", "strict"],
        "hyperband",
    )?;
    if enum_str(m, p, "type", &["hyperband"])?.is_none() {
        return bad("early_terminate.type", "is required (hyperband)");
    }
    let min_iter = integer(m, p, "min_iter")?;
    if min_iter.is_some_and(|n| n < 1) {
        return bad("early_terminate.min_iter", "must be ≥ 1");
    }
    let max_iter = integer(m, p, "max_iter")?;
    let s = number(m, p, "s")?.and_then(|n| n.as_f64());
    if min_iter.is_none() && (max_iter.is_none() || s.is_none()) {
        return bad(p, "needs `min_iter`, or `max_iter` and `s`");
    }
    if max_iter.is_some_and(|n| n < 0) {
        return bad("early_terminate.max_iter", "must be ≥ 0");
    }
    let eta = number(m, p, "eta")?.and_then(|n| n.as_f64()).unwrap_or(3.0);
    if eta <= 1.0 {
        return bad("early_terminate.eta", format!("must be > 1, got {eta}"));
    }
    let strict = match m.get("strict") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return bad(
                "early_terminate.strict",
                format!("must be true or false, got {v}"),
            )
        }
    };
    Ok(Hyperband {
        kind: "hyperband".into(),
        min_iter: min_iter.map(|n| n as u64),
        max_iter: max_iter.map(|n| n as u64),
        s,
        eta,
        strict,
    })
}
