//! Validation of a parsed sweep config against the official schema.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    Controller, Distribution, Goal, Hyperband, Impute, Method, MetricSpec, Num, Parameter, Quantum,
    SweepConfig,
};

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

type R<T> = Result<T, ConfigError>;

fn bad<T>(key: &str, message: impl Into<String>) -> R<T> {
    Err(ConfigError::Invalid {
        key: key.to_string(),
        message: message.into(),
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'a>(v: &'a Value, key: &str) -> R<&'a Map<String, Value>> {
    v.as_object()
        .map_or_else(|| bad(key, format!("must be a mapping, got {v}")), Ok)
}

fn only_keys(m: &Map<String, Value>, path: &str, allowed: &[&str], what: &str) -> R<()> {
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

fn string(m: &Map<String, Value>, path: &str, key: &str) -> R<Option<String>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => bad(&join(path, key), format!("must be a string, got {v}")),
    }
}

fn number(m: &Map<String, Value>, path: &str, key: &str) -> R<Option<Num>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(v) => bad(&join(path, key), format!("must be a number, got {v}")),
    }
}

/// JSON-schema `integer`: an int, or a float with no fractional part.
fn integer(m: &Map<String, Value>, path: &str, key: &str) -> R<Option<i64>> {
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

fn enum_str<'a>(
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

fn valid_name(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn parameters(v: &Value, path: &str, warnings: &mut Vec<String>) -> R<BTreeMap<String, Parameter>> {
    let m = object(v, path)?;
    if m.is_empty() {
        return bad(path, "must hold at least one parameter");
    }
    let mut out = BTreeMap::new();
    for (k, pv) in m {
        let kp = join(path, k);
        if !valid_name(k) {
            return bad(&kp, "parameter names must match ^[A-Za-z_][A-Za-z0-9_.-]*$");
        }
        out.insert(k.clone(), parameter(pv, &kp, k, warnings)?);
    }
    Ok(out)
}

const DISTRIBUTIONS: &[&str] = &[
    "constant",
    "categorical",
    "categorical_w_probabilities",
    "int_uniform",
    "uniform",
    "q_uniform",
    "log_uniform",
    "log_uniform_values",
    "inv_log_uniform",
    "inv_log_uniform_values",
    "q_log_uniform",
    "q_log_uniform_values",
    "normal",
    "q_normal",
    "log_normal",
    "q_log_normal",
    "beta",
    "q_beta",
];

fn parameter(v: &Value, path: &str, name: &str, warnings: &mut Vec<String>) -> R<Parameter> {
    let m = object(v, path)?;
    let dist = match enum_str(m, path, "distribution", DISTRIBUTIONS)? {
        Some(d) => d,
        None => {
            if m.contains_key("parameters") {
                only_keys(m, path, &["parameters"], "a nested parameter")?;
                let nested = parameters(&m["parameters"], &join(path, "parameters"), warnings)?;
                return Ok(Parameter::Nested { parameters: nested });
            }
            implied(m, path)?
        }
    };
    let d = distribution(m, path, dist)?;
    let replacement = match dist {
        "log_uniform" => Some("log_uniform_values"),
        "inv_log_uniform" => Some("inv_log_uniform_values"),
        "q_log_uniform" => Some("q_log_uniform_values"),
        _ => None,
    };
    if let Some(r) = replacement {
        warnings.push(format!(
            "{name} uses {dist}, where min/max specify base-e exponents. Use {r} to specify limit values."
        ));
    }
    Ok(Parameter::Dist(d))
}

/// The distribution a parameter without `distribution` stands for.
fn implied(m: &Map<String, Value>, path: &str) -> R<&'static str> {
    if m.contains_key("value") {
        return Ok("constant");
    }
    if m.contains_key("values") {
        return Ok(if m.contains_key("probabilities") {
            "categorical_w_probabilities"
        } else {
            "categorical"
        });
    }
    match (m.get("min"), m.get("max")) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => {
            let int = |n: &Num| n.is_i64() || n.is_u64();
            Ok(if int(a) && int(b) { "int_uniform" } else { "uniform" })
        }
        (Some(a), Some(b)) => {
            let (key, v) = if a.is_number() { ("max", b) } else { ("min", a) };
            bad(&join(path, key), format!("must be a number, got {v}"))
        }
        _ => bad(
            path,
            "cannot tell the distribution: give `value`, `values`, `min`+`max`, `parameters` or `distribution`",
        ),
    }
}

fn required_num(m: &Map<String, Value>, path: &str, key: &str) -> R<Num> {
    match number(m, path, key)? {
        Some(n) => Ok(n),
        None => bad(&join(path, key), "is required"),
    }
}

fn min_max(m: &Map<String, Value>, path: &str, positive_min: bool) -> R<(Num, Num)> {
    let (min, max) = (required_num(m, path, "min")?, required_num(m, path, "max")?);
    let (a, b) = (
        min.as_f64().unwrap_or(f64::NAN),
        max.as_f64().unwrap_or(f64::NAN),
    );
    if positive_min && a <= 0.0 {
        return bad(
            &join(path, "min"),
            format!("must be > 0 for this distribution, got {min}"),
        );
    }
    if a >= b || a.is_nan() || b.is_nan() {
        return bad(
            &join(path, "min"),
            format!("min {min} is not less than max {max}"),
        );
    }
    Ok((min, max))
}

fn quantum(m: &Map<String, Value>, path: &str) -> R<Quantum> {
    match number(m, path, "q")? {
        None => Ok(Quantum {
            q: 1.0,
            integer: false,
        }),
        Some(n) => {
            let q = n.as_f64().unwrap_or(f64::NAN);
            if q.is_nan() || q <= 0.0 {
                return bad(&join(path, "q"), format!("must be > 0, got {n}"));
            }
            Ok(Quantum {
                q,
                integer: n.is_i64() || n.is_u64(),
            })
        }
    }
}

fn num_or(m: &Map<String, Value>, path: &str, key: &str, default: Num, min0: bool) -> R<Num> {
    let n = number(m, path, key)?.unwrap_or(default);
    if min0 && n.as_f64().is_some_and(|x| x < 0.0) {
        return bad(&join(path, key), format!("must be ≥ 0, got {n}"));
    }
    Ok(n)
}

fn distribution(m: &Map<String, Value>, path: &str, dist: &str) -> R<Distribution> {
    use Distribution as D;
    let keys: &[&str] = match dist {
        "constant" => &["distribution", "value"],
        "categorical" => &["distribution", "values"],
        "categorical_w_probabilities" => &["distribution", "values", "probabilities"],
        "int_uniform"
        | "uniform"
        | "log_uniform"
        | "log_uniform_values"
        | "inv_log_uniform"
        | "inv_log_uniform_values" => &["distribution", "min", "max"],
        "q_uniform" | "q_log_uniform" | "q_log_uniform_values" => {
            &["distribution", "min", "max", "q"]
        }
        "normal" | "log_normal" => &["distribution", "mu", "sigma"],
        "q_normal" | "q_log_normal" => &["distribution", "mu", "sigma", "q"],
        "beta" => &["distribution", "a", "b"],
        _ => &["distribution", "a", "b", "q"],
    };
    only_keys(m, path, keys, &format!("distribution {dist}"))?;
    let values = || -> R<Vec<Value>> {
        match m.get("values") {
            Some(Value::Array(a)) if !a.is_empty() => Ok(a.clone()),
            Some(v) => bad(
                &join(path, "values"),
                format!("must be a non-empty list, got {v}"),
            ),
            None => bad(&join(path, "values"), "is required"),
        }
    };
    let int = |n: f64| Num::from(n as i64);
    let float = |n: f64| Num::from_f64(n).unwrap_or_else(|| Num::from(0));
    Ok(match dist {
        "constant" => match m.get("value") {
            Some(v) => D::Constant { value: v.clone() },
            None => return bad(&join(path, "value"), "is required"),
        },
        "categorical" => D::Categorical { values: values()? },
        "categorical_w_probabilities" => {
            let values = values()?;
            let probs = match m.get("probabilities") {
                Some(Value::Array(a)) if !a.is_empty() => a
                    .iter()
                    .map(|p| p.as_f64().filter(|p| *p >= 0.0))
                    .collect::<Option<Vec<f64>>>(),
                _ => None,
            };
            let Some(probabilities) = probs else {
                return bad(
                    &join(path, "probabilities"),
                    "must be a non-empty list of numbers ≥ 0",
                );
            };
            if probabilities.len() != values.len() {
                return bad(
                    &join(path, "probabilities"),
                    "must have as many entries as `values`",
                );
            }
            let sum: f64 = probabilities.iter().sum();
            if (sum - 1.0).abs() > 1e-8 + 1e-5 {
                return bad(
                    &join(path, "probabilities"),
                    format!("must sum to 1, they sum to {sum}"),
                );
            }
            D::CategoricalWProbabilities {
                values,
                probabilities,
            }
        }
        "int_uniform" => {
            let (min, max) = min_max(m, path, false)?;
            match (min.as_i64(), max.as_i64()) {
                (Some(min), Some(max)) => D::IntUniform { min, max },
                _ => return bad(&join(path, "min"), "int_uniform needs integer min and max"),
            }
        }
        "uniform" => {
            let (min, max) = min_max(m, path, false)?;
            D::Uniform { min, max }
        }
        "log_uniform" => {
            let (min, max) = min_max(m, path, false)?;
            D::LogUniform { min, max }
        }
        "inv_log_uniform" => {
            let (min, max) = min_max(m, path, false)?;
            D::InvLogUniform { min, max }
        }
        "log_uniform_values" => {
            let (min, max) = min_max(m, path, true)?;
            D::LogUniformValues { min, max }
        }
        "inv_log_uniform_values" => {
            let (min, max) = min_max(m, path, true)?;
            D::InvLogUniformValues { min, max }
        }
        "q_uniform" => {
            let (min, max) = min_max(m, path, false)?;
            D::QUniform {
                min,
                max,
                q: quantum(m, path)?,
            }
        }
        "q_log_uniform" => {
            let (min, max) = min_max(m, path, false)?;
            D::QLogUniform {
                min,
                max,
                q: quantum(m, path)?,
            }
        }
        "q_log_uniform_values" => {
            let (min, max) = min_max(m, path, true)?;
            D::QLogUniformValues {
                min,
                max,
                q: quantum(m, path)?,
            }
        }
        "normal" => D::Normal {
            mu: num_or(m, path, "mu", float(0.0), false)?,
            sigma: num_or(m, path, "sigma", float(1.0), true)?,
        },
        "log_normal" => D::LogNormal {
            mu: num_or(m, path, "mu", float(0.0), false)?,
            sigma: num_or(m, path, "sigma", float(1.0), true)?,
        },
        "q_normal" => D::QNormal {
            mu: num_or(m, path, "mu", int(0.0), false)?,
            sigma: num_or(m, path, "sigma", int(1.0), true)?,
            q: quantum(m, path)?,
        },
        "q_log_normal" => D::QLogNormal {
            mu: num_or(m, path, "mu", int(0.0), false)?,
            sigma: num_or(m, path, "sigma", int(1.0), true)?,
            q: quantum(m, path)?,
        },
        "beta" => D::Beta {
            a: num_or(m, path, "a", int(1.0), true)?,
            b: num_or(m, path, "b", int(1.0), true)?,
        },
        _ => D::QBeta {
            a: num_or(m, path, "a", int(1.0), true)?,
            b: num_or(m, path, "b", int(1.0), true)?,
            q: quantum(m, path)?,
        },
    })
}
