//! Bayesian search (the official `bayes_search_next_run`).

use serde_json::{Map, Value};

use crate::config::{Distribution as D, Goal, Impute, SweepConfig};
use crate::gp::Gp;
use crate::params::{flatten, to_config, HyperParam};
use crate::rng::Mt19937;
use crate::run::{RunState, SweepRun};
use crate::special::{norm_cdf, norm_pdf};
use crate::SearchError;

const MAX_SAMPLES: usize = 100;
const CANDIDATES: usize = 1000;
const EPS: f64 = 1e-6;

/// What the model said about its suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct BayesInfo {
    /// Probability that the suggestion improves on the best run.
    pub success_probability: f64,
    /// Predicted metric, in the minimised space (negated for `maximize`, as the official info).
    pub predicted_value: f64,
    /// Predicted standard deviation.
    pub predicted_std: f64,
    /// Expected improvement (normalised units).
    pub expected_improvement: f64,
    /// The suggestion in `[0, 1]` per searchable parameter.
    pub normalized: Vec<f64>,
    /// Set when the fit was bad and the suggestion is a random candidate.
    pub random_fallback: bool,
}

fn falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// A run's parameter mapped into `[0, 1]` (`normalize_runs_as_array`).
fn normalize(p: &HyperParam, run: &SweepRun) -> f64 {
    let raw = match p.value_in(&run.config) {
        None => 0.0,
        Some(v) if falsy(v) => 0.0,
        Some(v) => match &p.dist {
            D::Categorical { values } => match values.iter().position(|x| x == v) {
                Some(i) => i as f64,
                None => f64::NAN,
            },
            _ => match v {
                Value::Bool(true) => 1.0,
                other => other.as_f64().unwrap_or(f64::NAN),
            },
        },
    };
    if raw.is_nan() {
        0.0
    } else {
        p.cdf(raw)
    }
}

fn extremum(run: &SweepRun, metric: &str, goal: Goal) -> Option<f64> {
    run.metric_extremum(metric, goal == Goal::Maximize)
}

fn impute(strategy: Impute, run: &SweepRun, metric: &str, goal: Goal, worst: f64) -> f64 {
    match strategy {
        Impute::Best => extremum(run, metric, goal).unwrap_or(0.0),
        Impute::Latest => run.metric_history(metric).last().copied().unwrap_or(0.0),
        Impute::Worst | Impute::False => worst,
    }
}

/// Suggests the next run's parameters. `rng` plays NumPy's global
/// generator (seed it with [`Mt19937::numpy`] to reproduce the official
/// package after `np.random.seed`).
pub fn bayes_next(
    config: &SweepConfig,
    runs: &[SweepRun],
    rng: &mut Mt19937,
) -> Result<(Map<String, Value>, BayesInfo), SearchError> {
    let metric = config
        .metric
        .as_ref()
        .ok_or(SearchError::Missing("metric"))?;
    let (name, goal) = (metric.name.as_str(), metric.goal);
    let params = flatten(&config.parameters);
    let searchable: Vec<&HyperParam> = params.iter().filter(|p| p.searchable()).collect();
    if searchable.is_empty() {
        return Err(SearchError::Unsupported(
            "bayes search needs at least one searchable parameter".into(),
        ));
    }
    // The worst value over terminal runs, used for failed runs.
    let worst = runs
        .iter()
        .filter(|r| r.state.is_terminal())
        .filter_map(|r| r.metric_extremum(name, goal == Goal::Minimize))
        .reduce(|a, b| {
            if goal == Goal::Maximize {
                a.min(b)
            } else {
                a.max(b)
            }
        })
        .unwrap_or(0.0);
    let (mut sample_x, mut y, mut current_x) = (Vec::new(), Vec::new(), Vec::new());
    for run in runs {
        let x: Vec<f64> = searchable.iter().map(|p| normalize(p, run)).collect();
        let measured = |s: Impute| {
            extremum(run, name, goal).unwrap_or_else(|| impute(s, run, name, goal, worst))
        };
        match run.state {
            RunState::Finished => {
                y.push(measured(metric.impute));
                sample_x.push(x);
            }
            RunState::Failed | RunState::Crashed | RunState::Killed => {
                y.push(impute(metric.impute, run, name, goal, worst));
                sample_x.push(x);
            }
            RunState::Running if metric.impute_while_running != Impute::False => {
                y.push(measured(metric.impute_while_running));
                sample_x.push(x);
            }
            _ => current_x.push(x),
        }
    }
    let sign = if goal == Goal::Maximize { -1.0 } else { 1.0 };
    let y: Vec<f64> = y
        .into_iter()
        .map(|v| {
            if v.is_finite() {
                v * sign
            } else {
                worst * sign
            }
        })
        .collect();
    let d = searchable.len();
    let (fx, fy): (Vec<Vec<f64>>, Vec<f64>) = sample_x
        .into_iter()
        .zip(y)
        .filter(|(x, y)| y.is_finite() && x.iter().all(|v| v.is_finite()))
        .unzip();
    let info = if fx.len() < 2 {
        let x: Vec<f64> = (0..d).map(|_| rng.next_f64()).collect();
        let pred = fy.first().copied().unwrap_or(0.0);
        BayesInfo {
            success_probability: 1.0,
            predicted_value: pred,
            predicted_std: f64::NAN,
            expected_improvement: f64::NAN,
            normalized: x,
            random_fallback: false,
        }
    } else {
        next_sample(&fx, &fy, current_x, d, rng)?
    };

    let mut j = 0;
    let values: Vec<(Vec<String>, Value)> = params
        .iter()
        .map(|p| {
            if p.searchable() {
                let v = p.ppf(info.normalized[j]);
                j += 1;
                (p.path.clone(), v)
            } else {
                (p.path.clone(), p.ppf(0.0))
            }
        })
        .collect();
    Ok((to_config(&values), info))
}

/// `(gp, y_mean, y_std)` fitted on `y` normalised as the official code does.
fn fit_normalized(x: Vec<Vec<f64>>, y: &[f64]) -> Result<(Gp, f64, f64), SearchError> {
    let (norm, mean, std) = if y.len() == 1 {
        (vec![0.0], y[0], 1.0)
    } else {
        let scale = y.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let ys: Vec<f64> = y.iter().map(|v| v / scale).collect();
        let m = ys.iter().sum::<f64>() / ys.len() as f64;
        let sd = (ys.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / ys.len() as f64).sqrt()
            + EPS / scale;
        (
            ys.iter().map(|v| (v - m) / sd).collect(),
            m * scale,
            sd * scale,
        )
    };
    let gp = Gp::fit(x, &norm)
        .ok_or_else(|| SearchError::Unsupported("the Gaussian process fit failed".into()))?;
    Ok((gp, mean, std))
}

fn next_sample(
    fx: &[Vec<f64>],
    fy: &[f64],
    current_x: Vec<Vec<f64>>,
    d: usize,
    rng: &mut Mt19937,
) -> Result<BayesInfo, SearchError> {
    let mut current: Vec<Vec<f64>> = current_x
        .into_iter()
        .filter(|x| x.iter().all(|v| v.is_finite()))
        .collect();
    current.truncate(MAX_SAMPLES - 5);
    let (mut x, mut y) = (fx.to_vec(), fy.to_vec());
    if x.len() > MAX_SAMPLES {
        let idx: Vec<usize> = (0..MAX_SAMPLES)
            .map(|_| rng.numpy_randint(0, fx.len() as i64) as usize)
            .collect();
        x = idx.iter().map(|&i| fx[i].clone()).collect();
        y = idx.iter().map(|&i| fy[i]).collect();
    }
    let (mut gp, mut mean, mut std) = fit_normalized(x.clone(), &y)?;
    if !current.is_empty() {
        for c in current {
            let f = gp.predict(&c).0 * std + mean;
            if f.is_finite() {
                x.push(c);
                y.push(f);
            }
        }
        (gp, mean, std) = fit_normalized(x, &y)?;
    }
    let test: Vec<Vec<f64>> = (0..CANDIDATES)
        .map(|_| (0..d).map(|_| rng.next_f64()).collect())
        .collect();
    let preds: Vec<(f64, f64)> = test.iter().map(|t| gp.predict(t)).collect();
    let best_y = fy.iter().copied().fold(f64::INFINITY, f64::min);
    let min_norm = (best_y - mean) / std;
    let ei = |(m, s): (f64, f64)| {
        let z = -(m - min_norm) / (s + EPS);
        (-(m - min_norm) * norm_cdf(z) + s * norm_pdf(z), norm_cdf(z))
    };
    // np.argmax: the first maximum, or the first NaN if there is one.
    let mut best = 0;
    for (i, p) in preds.iter().enumerate() {
        let (e, b) = (ei(*p).0, ei(preds[best]).0);
        if b.is_nan() {
            break;
        }
        if e.is_nan() || e > b {
            best = i;
            if e.is_nan() {
                break;
            }
        }
    }
    let random_fallback = gp.at_bounds();
    if random_fallback {
        best = rng.numpy_randint(0, CANDIDATES as i64 - 1) as usize;
    }
    let (m, s) = preds[best];
    let (e, pi) = ei((m, s));
    Ok(BayesInfo {
        success_probability: pi,
        predicted_value: m * std + mean,
        predicted_std: s * std,
        expected_improvement: e,
        normalized: test[best].clone(),
        random_fallback,
    })
}
