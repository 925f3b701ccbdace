//! Validation of `parameters`: each entry's distribution, as the official
//! schema's `parameter` alternatives decide it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::parse::{bad, enum_str, join, number, object, only_keys, R};
use super::{Distribution, Num, Parameter, Quantum};

fn valid_name(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub(super) fn parameters(
    v: &Value,
    path: &str,
    warnings: &mut Vec<String>,
) -> R<BTreeMap<String, Parameter>> {
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
