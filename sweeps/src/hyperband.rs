//! Hyperband early termination (the official `hyperband_stop_runs`).

use crate::config::{Goal, SweepConfig};
use crate::run::{RunState, SweepRun};
use crate::SearchError;

/// The bands (history lengths at which runs are compared).
pub fn bands(config: &SweepConfig) -> Result<Vec<usize>, SearchError> {
    let et = config
        .early_terminate
        .as_ref()
        .ok_or(SearchError::Missing("early_terminate"))?;
    let bands: Vec<usize> = if let (Some(max_iter), Some(s)) = (et.max_iter, et.s) {
        let mut band = max_iter as f64;
        let mut out = Vec::new();
        let mut i = 0.0;
        while i < s {
            band /= et.eta;
            if band < 1.0 {
                break;
            }
            out.push(band as usize);
            i += 1.0;
        }
        out.sort_unstable();
        out
    } else if let Some(min_iter) = et.min_iter {
        let mut band = min_iter as f64;
        (0..100)
            .map(|_| {
                let b = band as usize;
                band *= et.eta;
                b
            })
            .collect()
    } else {
        return Err(SearchError::Unsupported(
            "hyperband needs `min_iter`, or `max_iter` and `s`".into(),
        ));
    };
    if bands.is_empty() {
        return Err(SearchError::Unsupported(
            "hyperband has no bands: increase s, decrease eta or increase min_iter".into(),
        ));
    }
    Ok(bands)
}

/// The names of the running runs to stop now.
pub fn hyperband_stop(config: &SweepConfig, runs: &[SweepRun]) -> Result<Vec<String>, SearchError> {
    let metric = config
        .metric
        .as_ref()
        .ok_or(SearchError::Missing("metric"))?;
    let et = config
        .early_terminate
        .as_ref()
        .ok_or(SearchError::Missing("early_terminate"))?;
    let bands = bands(config)?;
    let r = 1.0 / et.eta;
    let sign = if metric.goal == Goal::Maximize {
        -1.0
    } else {
        1.0
    };
    let histories: Vec<Vec<f64>> = runs
        .iter()
        .map(|run| {
            run.metric_history(&metric.name)
                .into_iter()
                .map(|v| v * sign)
                .collect()
        })
        .collect();
    let thresholds: Vec<f64> = bands
        .iter()
        .map(|&band| {
            let mut vals: Vec<f64> = histories
                .iter()
                .filter(|h| band >= 1 && h.len() >= band)
                .map(|h| h[band - 1])
                .collect();
            if vals.is_empty() {
                return f64::INFINITY;
            }
            vals.sort_by(f64::total_cmp);
            vals[((r * vals.len() as f64) as usize).min(vals.len() - 1)]
        })
        .collect();
    let mut stop = Vec::new();
    for (run, history) in runs.iter().zip(&histories) {
        if run.state != RunState::Running {
            continue;
        }
        let mut closest: Option<(usize, f64)> = None;
        for (&band, &threshold) in bands.iter().zip(&thresholds) {
            if band <= history.len() {
                closest = Some((band, threshold));
            } else {
                break;
            }
        }
        let Some((band, threshold)) = closest else {
            continue;
        };
        let value = if et.strict && band >= 1 {
            history[band - 1]
        } else {
            history.iter().copied().fold(f64::INFINITY, f64::min)
        };
        if value > threshold {
            stop.push(run.name.clone());
        }
    }
    Ok(stop)
}
