//! The search space flattened into one list of parameters, each with its
//! CDF and inverse CDF (the official `HyperParameter`/`HyperParameterSet`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::config::{Distribution as D, Num, Parameter, Quantum};
use crate::special::{beta_cdf, beta_ppf, norm_cdf, norm_ppf};

/// One leaf parameter of the search space.
#[derive(Debug, Clone, PartialEq)]
pub struct HyperParam {
    /// Its path: `["optimizer", "lr"]` for a nested `optimizer.lr`.
    pub path: Vec<String>,
    /// Its distribution; `int_uniform`/`q_uniform` become categorical in grids.
    pub dist: D,
}

/// Every leaf parameter in the official order: keys sorted at each level,
/// depth first.
pub fn flatten(parameters: &BTreeMap<String, Parameter>) -> Vec<HyperParam> {
    fn walk(ps: &BTreeMap<String, Parameter>, prefix: &[String], out: &mut Vec<HyperParam>) {
        for (k, p) in ps {
            let mut path = prefix.to_vec();
            path.push(k.clone());
            match p {
                Parameter::Dist(d) => out.push(HyperParam {
                    path,
                    dist: d.clone(),
                }),
                Parameter::Nested { parameters } => walk(parameters, &path, out),
            }
        }
    }
    let mut out = Vec::new();
    walk(parameters, &[], &mut out);
    out
}

fn f(n: &Num) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

fn float(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn quantise(x: f64, q: &Quantum) -> Value {
    let v = (x / q.q).round_ties_even() * q.q;
    if q.integer && v.is_finite() {
        Value::from(v as i64)
    } else {
        float(v)
    }
}

/// SciPy `randint.ppf(p, low, high)` (values `low..high`).
pub fn randint_ppf(p: f64, low: i64, high: i64) -> i64 {
    if p <= 0.0 {
        return low - 1;
    }
    if p >= 1.0 {
        return high - 1;
    }
    let vals = (p * (high - low) as f64 + low as f64).ceil() - 1.0;
    let vals1 = (vals - 1.0).clamp(low as f64, high as f64);
    if randint_cdf(vals1, low, high) >= p {
        vals1 as i64
    } else {
        vals as i64
    }
}

/// SciPy `randint.cdf(k, low, high)`.
pub fn randint_cdf(k: f64, low: i64, high: i64) -> f64 {
    if k < low as f64 {
        0.0
    } else if k >= (high - 1) as f64 {
        1.0
    } else {
        (k.floor() - low as f64 + 1.0) / (high - low) as f64
    }
}

fn pick(values: &[Value], i: i64) -> Value {
    let n = values.len() as i64;
    let i = if i < 0 { i + n } else { i };
    values
        .get(i.clamp(0, n.max(1) - 1) as usize)
        .cloned()
        .unwrap_or(Value::Null)
}

impl HyperParam {
    /// The dotted name (`optimizer.lr`).
    pub fn name(&self) -> String {
        self.path.join(".")
    }

    /// Whether it is part of the search space (constants are not).
    pub fn searchable(&self) -> bool {
        !matches!(self.dist, D::Constant { .. })
    }

    /// The value at percentile `p` in `[0, 1]` (the official `ppf`).
    pub fn ppf(&self, p: f64) -> Value {
        match &self.dist {
            D::Constant { value } => value.clone(),
            D::Categorical { values } => pick(values, randint_ppf(p, 0, values.len() as i64)),
            D::CategoricalWProbabilities {
                values,
                probabilities,
            } => {
                let mut acc = 0.0;
                let idx = probabilities
                    .iter()
                    .position(|pr| {
                        acc += pr;
                        p < acc
                    })
                    .unwrap_or(0);
                pick(values, idx as i64)
            }
            D::IntUniform { min, max } => Value::from(randint_ppf(p, *min, *max + 1)),
            D::Uniform { min, max } => float(p * (f(max) - f(min)) + f(min)),
            D::QUniform { min, max, q } => quantise(p * (f(max) - f(min)) + f(min), q),
            D::LogUniform { min, max } => float((p * (f(max) - f(min)) + f(min)).exp()),
            D::LogUniformValues { min, max } => {
                let (a, b) = (f(min).ln(), f(max).ln());
                float((p * (b - a) + a).exp())
            }
            D::InvLogUniform { min, max } => {
                float((-((1.0 - p) * (f(max) - f(min)) + f(min))).exp())
            }
            D::InvLogUniformValues { min, max } => {
                let (a, b) = (-f(max).ln(), -f(min).ln());
                float((-((1.0 - p) * (b - a) + a)).exp())
            }
            D::QLogUniform { min, max, q } => quantise((p * (f(max) - f(min)) + f(min)).exp(), q),
            D::QLogUniformValues { min, max, q } => {
                let (a, b) = (f(min).ln(), f(max).ln());
                quantise((p * (b - a) + a).exp(), q)
            }
            D::Normal { mu, sigma } => float(f(mu) + f(sigma) * norm_ppf(p)),
            D::QNormal { mu, sigma, q } => quantise(f(mu) + f(sigma) * norm_ppf(p), q),
            D::LogNormal { mu, sigma } => float(f(mu).exp() * (f(sigma) * norm_ppf(p)).exp()),
            D::QLogNormal { mu, sigma, q } => {
                quantise(f(mu).exp() * (f(sigma) * norm_ppf(p)).exp(), q)
            }
            D::Beta { a, b } => float(beta_ppf(p, f(a), f(b))),
            D::QBeta { a, b, q } => quantise(beta_ppf(p, f(a), f(b)), q),
        }
    }

    /// The CDF at a raw value `x` (for categoricals: the value's index),
    /// which maps a run's parameter into `[0, 1]` for the bayes model.
    pub fn cdf(&self, x: f64) -> f64 {
        let uni = |x: f64, lo: f64, hi: f64| ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
        match &self.dist {
            D::Constant { .. } => 0.0,
            D::Categorical { values } => randint_cdf(x, 0, values.len() as i64),
            D::CategoricalWProbabilities { probabilities, .. } => {
                let i = (x.max(0.0) as usize).min(probabilities.len().saturating_sub(1));
                probabilities[..=i].iter().sum()
            }
            D::IntUniform { min, max } => randint_cdf(x, *min, *max + 1),
            D::Uniform { min, max } | D::QUniform { min, max, .. } => uni(x, f(min), f(max)),
            D::LogUniform { min, max } | D::QLogUniform { min, max, .. } => {
                uni(x.ln(), f(min), f(max))
            }
            D::LogUniformValues { min, max } | D::QLogUniformValues { min, max, .. } => {
                uni(x.ln(), f(min).ln(), f(max).ln())
            }
            D::InvLogUniform { min, max } => 1.0 - uni((1.0 / x).ln(), f(min), f(max)),
            D::InvLogUniformValues { min, max } => {
                let lo = -f(max).ln();
                1.0 - uni((1.0 / x).ln(), lo, lo + (f(max).ln() - f(min).ln()).abs())
            }
            D::Normal { mu, sigma } | D::QNormal { mu, sigma, .. } => {
                norm_cdf((x - f(mu)) / f(sigma))
            }
            D::LogNormal { mu, sigma } | D::QLogNormal { mu, sigma, .. } => {
                if x <= 0.0 {
                    0.0
                } else {
                    norm_cdf((x / f(mu).exp()).ln() / f(sigma))
                }
            }
            D::Beta { a, b } | D::QBeta { a, b, .. } => beta_cdf(x, f(a), f(b)),
        }
    }

    /// The value of this parameter in a run config shaped like
    /// `{"optimizer": {"value": {"lr": 0.1}}}`.
    pub fn value_in<'a>(&self, config: &'a Map<String, Value>) -> Option<&'a Value> {
        let mut v = config.get(self.path.first()?)?.get("value")?;
        for k in &self.path[1..] {
            v = v.get(k)?;
        }
        Some(v)
    }
}

/// Builds a run config from `(path, value)` pairs: top-level keys wrapped
/// in `{"value": ...}`, nested ones as dicts (the official `to_config`).
pub fn to_config(values: &[(Vec<String>, Value)]) -> Map<String, Value> {
    let mut plain = Map::new();
    for (path, v) in values {
        insert_path(&mut plain, path, v.clone());
    }
    plain
        .into_iter()
        .map(|(k, v)| (k, serde_json::json!({ "value": v })))
        .collect()
}

fn insert_path(m: &mut Map<String, Value>, path: &[String], v: Value) {
    match path {
        [] => {}
        [last] => {
            m.insert(last.clone(), v);
        }
        [first, rest @ ..] => {
            let e = m
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !e.is_object() {
                *e = Value::Object(Map::new());
            }
            if let Value::Object(sub) = e {
                insert_path(sub, rest, v);
            }
        }
    }
}
