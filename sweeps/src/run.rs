//! A run as the search algorithms see it (the official `SweepRun`).

use serde_json::{Map, Value};

/// The state of a run in the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Scheduled, not started.
    Pending,
    /// Started, not finished.
    Running,
    /// Exited 0.
    Finished,
    /// Stopped by the controller (early termination) or a signal.
    Killed,
    /// Died without reporting an exit code.
    Crashed,
    /// Exited non-zero.
    Failed,
    /// Being preempted.
    Preempting,
    /// Preempted.
    Preempted,
}

impl RunState {
    /// Finished, crashed, failed or killed.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Finished | Self::Crashed | Self::Failed | Self::Killed
        )
    }
}

/// One run of a sweep: its parameters, state and metric values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepRun {
    /// Run id.
    pub name: String,
    /// Its state.
    pub state: RunState,
    /// Its sweep parameters: `{"lr": {"value": 0.1}, ...}`.
    pub config: Map<String, Value>,
    /// Logged rows, in order.
    #[serde(default)]
    pub history: Vec<Map<String, Value>>,
    /// The final summary.
    #[serde(default)]
    pub summary: Map<String, Value>,
}

/// A finite number that is not a bool (the official `is_number`).
pub fn finite(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite())
}

impl SweepRun {
    /// A run with parameters and no metrics yet.
    pub fn new(name: impl Into<String>, state: RunState, config: Map<String, Value>) -> Self {
        SweepRun {
            name: name.into(),
            state,
            config,
            history: Vec::new(),
            summary: Map::new(),
        }
    }

    /// Appends a history row holding only `metric = value`.
    pub fn push(&mut self, metric: &str, value: f64) {
        let mut row = Map::new();
        row.insert(metric.to_string(), serde_json::json!(value));
        self.history.push(row);
    }

    /// The metric's finite values in history order (`filter_invalid=True`).
    pub fn metric_history(&self, metric: &str) -> Vec<f64> {
        self.history
            .iter()
            .filter_map(|row| row.get(metric).and_then(finite))
            .collect()
    }

    /// Minimum (`max = false`) or maximum over history and summary; `None`
    /// when the run has no finite value of the metric.
    pub fn metric_extremum(&self, metric: &str, max: bool) -> Option<f64> {
        let vals = self
            .history
            .iter()
            .filter_map(|row| row.get(metric))
            .chain(self.summary.get(metric))
            .filter_map(finite);
        vals.reduce(|a, b| if (b > a) == max && b != a { b } else { a })
    }
}
