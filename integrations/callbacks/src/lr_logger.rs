//! [`LearningRateLogger`]: puts the learning rate into the run's history.

use wandb_core::{LogOptions, Row, Run};

use crate::callback::{Callback, Metrics, TrainState};
use crate::error::CallbackError;

/// How often [`LearningRateLogger`] records the learning rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interval {
    /// At the start of every training batch.
    #[default]
    Batch,
    /// At the end of every epoch (place the logger before [`crate::WandbCallback`]
    /// in the list so that the value joins its epoch row).
    Epoch,
}

/// Records [`TrainState::learning_rate`] under a key (default `lr`), like
/// Lightning's `LearningRateMonitor`.
///
/// The value is logged with `commit = false` when the batch starts (or the
/// epoch ends), so it joins the row the next committed `log()` writes (the batch
/// row of [`crate::WandbCallback`], or your own). Nothing is logged while the
/// loop reports no learning rate.
#[derive(Debug, Clone)]
pub struct LearningRateLogger {
    run: Run,
    key: String,
    interval: Interval,
}

impl LearningRateLogger {
    /// Logs to `run` under `lr` at every batch.
    pub fn new(run: &Run) -> Self {
        LearningRateLogger {
            run: run.clone(),
            key: "lr".to_owned(),
            interval: Interval::Batch,
        }
    }

    /// The history key to use.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Per batch or per epoch.
    pub fn interval(mut self, interval: Interval) -> Self {
        self.interval = interval;
        self
    }

    fn record(&self, state: &TrainState) -> Result<(), CallbackError> {
        if let Some(lr) = state.learning_rate {
            let row = Row::new().with(self.key.clone(), lr);
            self.run.log_with(row, LogOptions::new().commit(false))?;
        }
        Ok(())
    }
}

impl Callback for LearningRateLogger {
    fn on_batch_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        if self.interval == Interval::Batch {
            self.record(state)?;
        }
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        state: &mut TrainState,
        _logs: &Metrics,
    ) -> Result<(), CallbackError> {
        // The epoch's learning rate joins the epoch row committed after this hook
        // when this logger runs before the WandbCallback in the list.
        if self.interval == Interval::Epoch {
            self.record(state)?;
        }
        Ok(())
    }
}
