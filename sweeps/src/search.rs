//! Grid and random search (the official `grid_search_next_runs` and
//! `random_search_next_runs`).

use serde_json::{Map, Value};

use crate::config::{Distribution as D, SweepConfig};
use crate::params::{flatten, to_config, HyperParam};
use crate::rng::Mt19937;
use crate::run::SweepRun;
use crate::SearchError;

/// The values a grid walks for one parameter; `None` for a constant.
fn grid_values(p: &HyperParam) -> Result<Option<Vec<Value>>, SearchError> {
    Ok(Some(match &p.dist {
        D::Constant { .. } => return Ok(None),
        D::Categorical { values } => values.clone(),
        D::IntUniform { min, max } => (*min..=*max).map(Value::from).collect(),
        D::QUniform { min, max, q } => {
            let (lo, hi) = (min.as_f64().unwrap_or(0.0), max.as_f64().unwrap_or(0.0));
            let n = ((hi - lo) / q.q).ceil().max(0.0) as usize;
            let ints = min.is_i64() && max.is_i64() && q.integer;
            (0..n)
                .map(|i| {
                    let x = lo + i as f64 * q.q;
                    if ints {
                        Value::from(x as i64)
                    } else {
                        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                    }
                })
                .collect()
        }
        _ => {
            return Err(SearchError::Unsupported(format!(
                "parameter {} is a disallowed type with grid search: grid search requires all \
                 parameters to be categorical, constant, int_uniform or q_uniform",
                p.name()
            )))
        }
    }))
}

/// Integral floats become ints, as the official grid's hash does
/// (`3e6` in a sweep config and `3000000` in a run config are one point).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(x as i64),
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        _ => v.clone(),
    }
}

/// The next grid point not yet in `runs`, or `None` once the grid is done.
/// The first parameter (sorted by name) varies slowest, the last fastest.
pub fn grid_next(
    config: &SweepConfig,
    runs: &[SweepRun],
) -> Result<Option<Map<String, Value>>, SearchError> {
    let params = flatten(&config.parameters);
    let mut axes: Vec<(usize, Vec<Value>)> = Vec::new();
    for (i, p) in params.iter().enumerate() {
        if let Some(vals) = grid_values(p)? {
            axes.push((i, vals));
        }
    }
    let seen: Vec<Vec<Option<Value>>> = runs
        .iter()
        .map(|r| {
            axes.iter()
                .map(|(i, vals)| {
                    params[*i].value_in(&r.config).map(|v| {
                        // Keys added to dict values at run time do not count.
                        let v = match (v, vals.iter().find(|x| x.is_object())) {
                            (Value::Object(m), Some(_)) => {
                                let known: Vec<&String> = vals
                                    .iter()
                                    .filter_map(|x| x.as_object())
                                    .flat_map(|o| o.keys())
                                    .collect();
                                Value::Object(
                                    m.iter()
                                        .filter(|(k, _)| known.contains(k))
                                        .map(|(k, v)| (k.clone(), v.clone()))
                                        .collect(),
                                )
                            }
                            _ => v.clone(),
                        };
                        canonical(&v)
                    })
                })
                .collect()
        })
        .collect();
    if axes.iter().any(|(_, v)| v.is_empty()) {
        return Ok(None);
    }
    let mut idx = vec![0usize; axes.len()];
    loop {
        let point: Vec<Value> = axes
            .iter()
            .zip(&idx)
            .map(|((_, v), &i)| canonical(&v[i]))
            .collect();
        let taken = seen
            .iter()
            .any(|s| s.iter().zip(&point).all(|(a, b)| a.as_ref() == Some(b)));
        if !taken {
            let mut values: Vec<(Vec<String>, Value)> = Vec::new();
            let mut axis = 0;
            for (i, p) in params.iter().enumerate() {
                let v = if axes.get(axis).is_some_and(|(ai, _)| *ai == i) {
                    let v = axes[axis].1[idx[axis]].clone();
                    axis += 1;
                    v
                } else {
                    p.ppf(0.0)
                };
                values.push((p.path.clone(), v));
            }
            return Ok(Some(to_config(&values)));
        }
        // Odometer: the last axis turns fastest.
        let mut k = axes.len();
        loop {
            if k == 0 {
                return Ok(None);
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < axes[k].1.len() {
                break;
            }
            idx[k] = 0;
        }
    }
}

/// The whole grid in order (for dry runs and tests).
pub fn grid_points(config: &SweepConfig) -> Result<Vec<Map<String, Value>>, SearchError> {
    let mut runs = Vec::new();
    while let Some(c) = grid_next(config, &runs)? {
        runs.push(SweepRun::new(
            format!("g{}", runs.len()),
            crate::RunState::Finished,
            c,
        ));
    }
    Ok(runs.into_iter().map(|r| r.config).collect())
}

/// One random draw: every parameter (constants included, as the official
/// code does) takes one `random.uniform(0, 1)` and maps it through its ppf.
pub fn random_next(config: &SweepConfig, rng: &mut Mt19937) -> Map<String, Value> {
    let values: Vec<(Vec<String>, Value)> = flatten(&config.parameters)
        .iter()
        .map(|p| (p.path.clone(), p.ppf(rng.next_f64())))
        .collect();
    to_config(&values)
}
