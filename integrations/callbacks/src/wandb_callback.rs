//! [`WandbCallback`]: sends batch and epoch metrics to a W&B run.

use wandb_core::{Goal, MetricDefinition, MetricSummary, Row, Run};

use crate::callback::{Callback, Metrics, TrainState};
use crate::error::CallbackError;
use crate::monitor::{Mode, Monitor};

/// Logs training metrics to a run, like the official Keras `WandbMetricsLogger`
/// plus the best-value bookkeeping of the legacy `WandbCallback`.
///
/// - every `log_freq`-th training batch: a row with `batch/<name>` for each
///   batch metric, `batch/step` (the global step) and, when the loop knows
///   it, `batch/learning_rate`;
/// - at each epoch end: a row with `epoch` (counted from 0, as in Keras),
///   `epoch/<name>` for each epoch metric (training averages and `val_*`)
///   and `epoch/learning_rate`;
/// - `epoch/*` is defined with `epoch` as its step metric and `batch/*`
///   with `batch/step` (`run.define_metric`), so charts use those axes;
/// - the monitored metric (default `val_loss`, falling back to `loss` when
///   there is no validation) is defined with the summary `min` or `max` and
///   the matching goal, and `best_<monitor>` / `best_epoch` are kept in the
///   run summary;
/// - with [`WandbCallback::stop_on_request`], training stops cleanly at the
///   end of the epoch once the run was stopped from the W&B UI
///   ([`Run::stop_requested`]); the run still finishes normally.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wandb_callbacks::{CallbackList, Mode, WandbCallback};
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("demo"))?;
/// let callbacks = CallbackList::new()
///     .with(WandbCallback::new(&run).log_freq(10).monitor("val_loss", Mode::Min));
/// # let _ = callbacks; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WandbCallback {
    run: Run,
    log_freq: u64,
    log_learning_rate: bool,
    monitor: Option<Monitor>,
    monitor_explicit: bool,
    defined: bool,
    monitor_defined: bool,
    stop_on_request: bool,
}

impl WandbCallback {
    /// Logs to `run` every batch and every epoch, monitoring `val_loss`
    /// (or `loss` without validation) for the best value.
    pub fn new(run: &Run) -> Self {
        WandbCallback {
            run: run.clone(),
            log_freq: 1,
            log_learning_rate: true,
            monitor: Some(Monitor::new("val_loss", Mode::Auto)),
            monitor_explicit: false,
            defined: false,
            monitor_defined: false,
            stop_on_request: false,
        }
    }

    /// Logs batch metrics every `n` training batches; `0` turns batch
    /// logging off (epoch rows only).
    pub fn log_freq(mut self, n: u64) -> Self {
        self.log_freq = n;
        self
    }

    /// Whether to log the learning rate the loop reports (default on).
    pub fn log_learning_rate(mut self, on: bool) -> Self {
        self.log_learning_rate = on;
        self
    }

    /// Which epoch metric's best value to track, and whether lower or higher is better.
    pub fn monitor(mut self, name: impl Into<String>, mode: Mode) -> Self {
        self.monitor = Some(Monitor::new(name, mode));
        self.monitor_explicit = true;
        self
    }

    /// `true`: ask the loop to stop (after the current epoch) once the run
    /// was stopped from the W&B UI (online runs; see [`Run::stop_requested`]).
    pub fn stop_on_request(mut self, on: bool) -> Self {
        self.stop_on_request = on;
        self
    }

    fn check_stop(&self, state: &mut TrainState) {
        if self.stop_on_request && !state.stop_requested() && self.run.stop_requested() {
            state.request_stop(STOPPED_FROM_WANDB);
        }
    }

    /// Tracks no best value.
    pub fn no_monitor(mut self) -> Self {
        self.monitor = None;
        self
    }

    /// The best value of the monitored metric so far and its epoch.
    pub fn best(&self) -> Option<(f64, usize)> {
        let m = self.monitor.as_ref()?;
        Some((m.best()?, m.best_epoch()?))
    }

    fn define_monitor(&mut self, logs: &Metrics) -> Result<(), CallbackError> {
        if self.monitor_defined {
            return Ok(());
        }
        let Some(mon) = self.monitor.as_mut() else {
            return Ok(());
        };
        if !logs.contains_key(mon.name()) && !self.monitor_explicit {
            // Default monitor without validation: fall back to the training loss.
            if logs.contains_key("loss") {
                *mon = Monitor::new("loss", Mode::Auto);
            } else {
                return Ok(());
            }
        }
        if !logs.contains_key(mon.name()) {
            return Ok(());
        }
        let (summary, goal) = match mon.mode() {
            Mode::Max => (MetricSummary::Max, Goal::Maximize),
            _ => (MetricSummary::Min, Goal::Minimize),
        };
        self.run.define_metric(
            MetricDefinition::new(format!("epoch/{}", mon.name()))
                .step_metric("epoch")
                .summary(summary)
                .goal(goal),
        )?;
        self.monitor_defined = true;
        Ok(())
    }
}

/// The stop reason when the run was stopped from the W&B UI.
pub const STOPPED_FROM_WANDB: &str = "the run was stopped from W&B";

impl Callback for WandbCallback {
    fn on_train_begin(&mut self, _state: &mut TrainState) -> Result<(), CallbackError> {
        if !self.defined {
            self.run.define_metric(MetricDefinition::new("epoch"))?;
            self.run
                .define_metric(MetricDefinition::new("epoch/*").step_metric("epoch"))?;
            if self.log_freq > 0 {
                self.run
                    .define_metric(MetricDefinition::new("batch/step"))?;
                self.run
                    .define_metric(MetricDefinition::new("batch/*").step_metric("batch/step"))?;
            }
            self.defined = true;
        }
        Ok(())
    }

    fn on_batch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        self.check_stop(state);
        if self.log_freq == 0 || !state.global_step.is_multiple_of(self.log_freq) {
            return Ok(());
        }
        let mut row = Row::with_capacity(logs.len() + 2);
        for (k, v) in logs {
            row.insert(format!("batch/{k}"), *v);
        }
        if self.log_learning_rate {
            if let Some(lr) = state.learning_rate {
                row.insert("batch/learning_rate", lr);
            }
        }
        row.insert("batch/step", state.global_step);
        self.run.log(row)?;
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        self.check_stop(state);
        self.define_monitor(logs)?;
        let mut row = Row::with_capacity(logs.len() + 2);
        row.insert("epoch", state.epoch);
        for (k, v) in logs {
            row.insert(format!("epoch/{k}"), *v);
        }
        if self.log_learning_rate {
            if let Some(lr) = state.learning_rate {
                row.insert("epoch/learning_rate", lr);
            }
        }
        self.run.log(row)?;
        if let Some(mon) = self.monitor.as_mut() {
            if let Some(&value) = logs.get(mon.name()) {
                if mon.update(value, state.epoch) {
                    let summary = self.run.summary();
                    summary.set(format!("best_{}", mon.name()), value)?;
                    summary.set("best_epoch", state.epoch)?;
                }
            }
        }
        Ok(())
    }
}
