//! [`EarlyStopping`]: stops training when the monitored metric stops improving.

use crate::callback::{Callback, Metrics, TrainState};
use crate::error::{BoxError, CallbackError};
use crate::monitor::{Mode, Monitor};

type Hook = Box<dyn FnMut(usize) -> Result<(), BoxError> + Send>;

/// Stops training after `patience` epochs without an improvement of the
/// monitored metric by more than `min_delta`, like Keras' `EarlyStopping`.
///
/// With [`EarlyStopping::on_improvement`] a hook runs at each new best epoch
/// (snapshot the weights there); with [`EarlyStopping::restore_best`] a hook
/// runs at the end of training with the best epoch when the last epoch was
/// not the best (load the snapshot there).
///
/// ```
/// use wandb_callbacks::{EarlyStopping, Mode};
/// let stop = EarlyStopping::new("val_loss", Mode::Min)
///     .patience(3)
///     .min_delta(1e-4)
///     .restore_best(|best_epoch| { println!("restore epoch {best_epoch}"); Ok(()) });
/// # let _ = stop;
/// ```
pub struct EarlyStopping {
    monitor: Monitor,
    patience: usize,
    wait: usize,
    stopped_epoch: Option<usize>,
    last_epoch: Option<usize>,
    on_improvement: Option<Hook>,
    restore: Option<Hook>,
}

impl std::fmt::Debug for EarlyStopping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarlyStopping")
            .field("monitor", &self.monitor)
            .field("patience", &self.patience)
            .field("wait", &self.wait)
            .field("stopped_epoch", &self.stopped_epoch)
            .finish()
    }
}

impl EarlyStopping {
    /// Monitors `metric` (an epoch metric such as `val_loss`); patience 0.
    pub fn new(metric: impl Into<String>, mode: Mode) -> Self {
        EarlyStopping {
            monitor: Monitor::new(metric, mode),
            patience: 0,
            wait: 0,
            stopped_epoch: None,
            last_epoch: None,
            on_improvement: None,
            restore: None,
        }
    }

    /// Stop after this many epochs in a row without improvement (0 and 1 both
    /// stop at the first epoch that does not improve, as in Keras).
    pub fn patience(mut self, epochs: usize) -> Self {
        self.patience = epochs;
        self
    }

    /// Minimum change that counts as an improvement.
    pub fn min_delta(mut self, delta: f64) -> Self {
        self.monitor = self.monitor.with_min_delta(delta);
        self
    }

    /// Hook called with the epoch of each new best value.
    pub fn on_improvement<F>(mut self, hook: F) -> Self
    where
        F: FnMut(usize) -> Result<(), BoxError> + Send + 'static,
    {
        self.on_improvement = Some(Box::new(hook));
        self
    }

    /// Hook called at the end of training with the best epoch, when the last
    /// epoch was not the best one.
    pub fn restore_best<F>(mut self, hook: F) -> Self
    where
        F: FnMut(usize) -> Result<(), BoxError> + Send + 'static,
    {
        self.restore = Some(Box::new(hook));
        self
    }

    /// The epoch at which training was stopped, if it was.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The best value and its epoch.
    pub fn best(&self) -> Option<(f64, usize)> {
        Some((self.monitor.best()?, self.monitor.best_epoch()?))
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _state: &mut TrainState) -> Result<(), CallbackError> {
        self.wait = 0;
        self.stopped_epoch = None;
        self.last_epoch = None;
        self.monitor.reset();
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        self.last_epoch = Some(state.epoch);
        let Some(&value) = logs.get(self.monitor.name()) else {
            tracing::warn!(
                monitor = self.monitor.name(),
                "EarlyStopping: the monitored metric is not in the epoch metrics"
            );
            return Ok(());
        };
        self.wait += 1;
        if self.monitor.update(value, state.epoch) {
            self.wait = 0;
            if let Some(hook) = self.on_improvement.as_mut() {
                hook(state.epoch).map_err(CallbackError::Other)?;
            }
            return Ok(());
        }
        // Keras' rule: stop once `patience` epochs in a row did not improve.
        if self.wait >= self.patience.max(1) {
            self.stopped_epoch = Some(state.epoch);
            state.request_stop(format!(
                "EarlyStopping: {} did not improve for {} epochs (best {} at epoch {})",
                self.monitor.name(),
                self.wait,
                self.monitor.best().unwrap_or(f64::NAN),
                self.monitor.best_epoch().unwrap_or(0)
            ));
        }
        Ok(())
    }

    fn on_train_end(
        &mut self,
        _state: &mut TrainState,
        _logs: &Metrics,
    ) -> Result<(), CallbackError> {
        if let (Some(hook), Some(best), Some(last)) = (
            self.restore.as_mut(),
            self.monitor.best_epoch(),
            self.last_epoch,
        ) {
            if best != last {
                hook(best).map_err(|source| CallbackError::Restore {
                    epoch: best,
                    source,
                })?;
            }
        }
        Ok(())
    }
}
