//! [`WandbMetricLogger`]: a burn [`MetricLogger`] that streams every metric
//! burn computes to a W&B run.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use burn::train::logger::{InMemoryMetricLogger, MetricLogger};
use burn::train::metric::store::{EpochSummary, MetricsUpdate, Split};
use burn::train::metric::{MetricAttributes, MetricDefinition, MetricId, NumericEntry};
use wandb_core::{Goal, MetricSummary, Row, Run};

use crate::step_join::{self, StepJoin};

/// Sends burn's train and valid metrics to a run.
///
/// Register it with `SupervisedTraining::with_metric_logger`:
///
/// - every training batch commits one row: `train/<Metric>` for each numeric
///   metric (e.g. `train/Loss`), `global_step` (training batches so far,
///   from 1) and `epoch` (burn's, from 1);
/// - at the end of each epoch one row holds the epoch values burn computes:
///   `valid/<Metric>` (validation) and `train_epoch/<Metric>` (the training
///   epoch value), with `epoch` and `global_step`;
/// - `train/*` is defined with `global_step` as its step metric,
///   `valid/*` and `train_epoch/*` with `epoch`; each `valid/<Metric>` gets
///   the summary `min` or `max` and the goal from burn's `higher_is_better`;
/// - test-split epoch values go to the summary as `test/<Metric>` (or
///   `test/<tag>/<Metric>`);
/// - the histograms of a [`crate::Watcher`] of the same run join the row of
///   their training batch (watch step `n` = `global_step` `n`), although
///   burn hands the metrics to this logger later, on another thread.
///
/// Registering a metric logger removes burn's default file logger, which
/// checkpointing and early stopping read from; this logger keeps them
/// working by delegating [`MetricLogger::read_numeric`] to an inner
/// [`InMemoryMetricLogger`] that sees every update too.
///
/// Logging errors (e.g. the run was finished) are reported once through
/// `tracing` and do not interrupt training.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("burn-demo"))?;
/// let logger = wandb_burn::WandbMetricLogger::new(&run);
/// // SupervisedTraining::new(dir, train, valid).with_metric_logger(logger) ...
/// # let _ = logger; Ok(()) }
/// ```
pub struct WandbMetricLogger {
    run: Run,
    inner: InMemoryMetricLogger,
    names: HashMap<MetricId, Metric>,
    defined: HashSet<String>,
    global_step: u64,
    pending: Option<(usize, Row)>,
    warned: bool,
    /// Where the run's watchers leave histograms for the batch rows.
    join: Arc<StepJoin>,
}

struct Metric {
    name: Arc<String>,
    higher_is_better: Option<bool>,
}

impl std::fmt::Debug for WandbMetricLogger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WandbMetricLogger")
            .field("run", &self.run)
            .field("global_step", &self.global_step)
            .finish()
    }
}

impl WandbMetricLogger {
    /// A logger for `run`.
    pub fn new(run: &Run) -> Self {
        WandbMetricLogger {
            run: run.clone(),
            inner: InMemoryMetricLogger::new(),
            names: HashMap::new(),
            defined: HashSet::new(),
            global_step: 0,
            pending: None,
            warned: false,
            join: StepJoin::register(run),
        }
    }

    /// Training batches logged so far.
    pub fn global_step(&self) -> u64 {
        self.global_step
    }

    fn report(&mut self, result: wandb_core::Result<()>) {
        if let Err(e) = result {
            if !self.warned {
                self.warned = true;
                tracing::warn!(error = %e, "WandbMetricLogger: logging to W&B failed; further errors are not reported");
            }
        }
    }

    fn define(&mut self, def: wandb_core::MetricDefinition) {
        if self.defined.insert(def.name().to_owned()) {
            let r = self.run.define_metric(def);
            self.report(r);
        }
    }

    fn define_axes(&mut self) {
        self.define(wandb_core::MetricDefinition::new("global_step"));
        self.define(wandb_core::MetricDefinition::new("epoch"));
        self.define(wandb_core::MetricDefinition::new("train/*").step_metric("global_step"));
        self.define(wandb_core::MetricDefinition::new("train_epoch/*").step_metric("epoch"));
        self.define(wandb_core::MetricDefinition::new("valid/*").step_metric("epoch"));
    }

    fn pending_row(&mut self, epoch: usize) -> &mut Row {
        if self.pending.as_ref().is_some_and(|(e, _)| *e != epoch) {
            self.flush_pending();
        }
        &mut self.pending.get_or_insert_with(|| (epoch, Row::new())).1
    }

    fn flush_pending(&mut self) {
        if let Some((epoch, row)) = self.pending.take() {
            if row.is_empty() {
                return;
            }
            let row = row
                .with("epoch", epoch)
                .with("global_step", self.global_step);
            let r = self.run.log(row);
            self.report(r);
        }
    }
}

impl MetricLogger for WandbMetricLogger {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        let mut batch = Row::new();
        let mut finals: Vec<(String, f64)> = Vec::new();
        for entry in &update.entries_numeric {
            let (Some(metric), Some(value)) =
                (self.names.get(&entry.entry.metric_id), &entry.numeric_entry)
            else {
                continue;
            };
            let (name, higher_is_better) = (Arc::clone(&metric.name), metric.higher_is_better);
            match (value, split) {
                (NumericEntry::Final(v), Split::Train) => {
                    finals.push((format!("train_epoch/{name}"), *v));
                }
                (NumericEntry::Final(v), Split::Valid) => {
                    let key = format!("valid/{name}");
                    if !self.defined.contains(&key) {
                        let (summary, goal) = match higher_is_better {
                            Some(true) => (MetricSummary::Max, Goal::Maximize),
                            _ => (MetricSummary::Min, Goal::Minimize),
                        };
                        self.define(
                            wandb_core::MetricDefinition::new(key.clone())
                                .step_metric("epoch")
                                .summary(summary)
                                .goal(goal),
                        );
                    }
                    finals.push((key, *v));
                }
                (NumericEntry::Final(v), Split::Test(tag)) => {
                    let key = match tag {
                        Some(t) => format!("test/{t}/{name}"),
                        None => format!("test/{name}"),
                    };
                    let r = self.run.summary().set(key, *v);
                    self.report(r);
                }
                (other, Split::Train) => {
                    batch.insert(format!("train/{name}"), other.current());
                }
                _ => {}
            }
        }
        if !batch.is_empty() {
            if self.pending.as_ref().is_some_and(|(e, _)| *e < epoch) {
                self.flush_pending();
            }
            self.global_step += 1;
            let mut row = batch
                .with("global_step", self.global_step)
                .with("epoch", epoch);
            for histograms in self.join.take_through(self.global_step) {
                step_join::merge(&mut row, histograms);
            }
            let r = self.run.log(row);
            self.report(r);
        }
        if !finals.is_empty() {
            let row = self.pending_row(epoch);
            for (k, v) in finals {
                row.insert(k, v);
            }
        }
        self.inner.log(update, epoch, split);
    }

    fn read_numeric(
        &mut self,
        name: &str,
        epoch: usize,
        split: &Split,
    ) -> Result<Vec<NumericEntry>, String> {
        self.inner.read_numeric(name, epoch, split)
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        if self.defined.is_empty() {
            self.define_axes();
        }
        let higher_is_better = match &definition.attributes {
            MetricAttributes::Numeric(a) => Some(a.higher_is_better),
            MetricAttributes::None => None,
        };
        self.names.insert(
            definition.metric_id.clone(),
            Metric {
                name: definition.name.clone(),
                higher_is_better,
            },
        );
        self.inner.log_metric_definition(definition);
    }

    fn log_epoch_summary(&mut self, summary: EpochSummary) {
        if summary.split == Split::Valid {
            self.flush_pending();
        }
        self.inner.log_epoch_summary(summary);
    }
}

impl Drop for WandbMetricLogger {
    fn drop(&mut self) {
        self.flush_pending();
        // watch steps after the last batch row: one row each
        for histograms in self.join.take_all() {
            let r = self.run.log(histograms);
            self.report(r);
        }
    }
}
