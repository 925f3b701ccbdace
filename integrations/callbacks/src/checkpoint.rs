//! [`ModelCheckpoint`]: saves the model through a user closure, every N
//! epochs or only when the monitored metric improves, and optionally logs
//! each checkpoint as a version of the run's `model` artifact
//! ([`wandb_core::CheckpointManager`]).

use std::path::PathBuf;

use wandb_core::{CheckpointManager, Goal, LoggedArtifact, Run};

use crate::callback::{Callback, Metrics, TrainState};
use crate::error::{BoxError, CallbackError};
use crate::monitor::{Mode, Monitor};

/// What the checkpoint writer is asked to save.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointRequest<'a> {
    /// Epoch (from 0) that just ended.
    pub epoch: usize,
    /// Training batches run so far.
    pub global_step: u64,
    /// Value of the monitored metric at this epoch, if present.
    pub value: Option<f64>,
    /// Whether this epoch is the best so far by the monitored metric.
    pub is_best: bool,
    /// All epoch metrics.
    pub metrics: &'a Metrics,
}

/// A checkpoint written by [`ModelCheckpoint`].
#[derive(Debug, Clone, PartialEq)]
pub struct SavedCheckpoint {
    /// Epoch (from 0).
    pub epoch: usize,
    /// Monitored value at that epoch.
    pub value: Option<f64>,
    /// The file the writer returned, if any.
    pub path: Option<PathBuf>,
    /// The artifact version recorded for it, if it was logged to the run.
    pub artifact: Option<LoggedArtifact>,
}

type Writer = Box<dyn FnMut(&CheckpointRequest<'_>) -> Result<Option<PathBuf>, BoxError> + Send>;

/// Saves checkpoints as Keras' `ModelCheckpoint` does, through a closure that
/// writes the model (so it works with any framework).
///
/// The writer receives a [`CheckpointRequest`] and returns the path of the
/// file (or directory) it wrote, or `None`. With [`ModelCheckpoint::log_to_run`],
/// each one is logged as a version of the `model` artifact `model-<run id>`
/// with aliases `latest`, `epoch_<n>` (n from 0) and, when the monitored
/// metric improves, `best`; the score is in the version's metadata
/// (see [`CheckpointManager`]).
///
/// ```
/// use wandb_callbacks::{ModelCheckpoint, Mode};
/// let dir = std::env::temp_dir();
/// let ckpt = ModelCheckpoint::new("val_loss", Mode::Min, move |req| {
///     let path = dir.join(format!("model-{}.bin", req.epoch));
///     // std::fs::write(&path, model_bytes)?;
///     Ok(Some(path))
/// })
/// .save_best_only(true);
/// # let _ = ckpt;
/// ```
pub struct ModelCheckpoint {
    monitor: Monitor,
    save_best_only: bool,
    every_n_epochs: usize,
    writer: Writer,
    manager: Option<CheckpointManager>,
    saved: Vec<SavedCheckpoint>,
}

impl std::fmt::Debug for ModelCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelCheckpoint")
            .field("monitor", &self.monitor)
            .field("save_best_only", &self.save_best_only)
            .field("every_n_epochs", &self.every_n_epochs)
            .field("log_to_run", &self.manager.is_some())
            .field("saved", &self.saved)
            .finish()
    }
}

impl ModelCheckpoint {
    /// Checkpoints every epoch, tracking `monitor` with `mode`; `writer`
    /// writes the model.
    pub fn new<F>(monitor: impl Into<String>, mode: Mode, writer: F) -> Self
    where
        F: FnMut(&CheckpointRequest<'_>) -> Result<Option<PathBuf>, BoxError> + Send + 'static,
    {
        ModelCheckpoint {
            monitor: Monitor::new(monitor, mode),
            save_best_only: false,
            every_n_epochs: 1,
            writer: Box::new(writer),
            manager: None,
            saved: Vec::new(),
        }
    }

    /// Saves only when the monitored metric improves (epochs without the
    /// metric are skipped with a warning).
    pub fn save_best_only(mut self, on: bool) -> Self {
        self.save_best_only = on;
        self
    }

    /// Saves every `n` epochs (the `n`-th, `2n`-th, ...); `0` is treated as 1.
    /// Combined with `save_best_only`, only improving epochs among those are saved.
    pub fn every_n_epochs(mut self, n: usize) -> Self {
        self.every_n_epochs = n.max(1);
        self
    }

    /// Logs each written checkpoint as a version of the run's `model`
    /// artifact (`model-<run id>`), monitoring the same metric.
    pub fn log_to_run(self, run: &Run) -> Self {
        let goal = match self.monitor.mode() {
            Mode::Max => Goal::Maximize,
            _ => Goal::Minimize,
        };
        let manager = CheckpointManager::new(run).monitor(self.monitor.name(), goal);
        self.with_manager(manager)
    }

    /// Logs checkpoints through `manager` (another artifact name, another
    /// monitored metric).
    pub fn with_manager(mut self, manager: CheckpointManager) -> Self {
        self.manager = Some(manager);
        self
    }

    /// The checkpoint manager, when checkpoints are logged to a run.
    pub fn manager(&self) -> Option<&CheckpointManager> {
        self.manager.as_ref()
    }

    /// The checkpoints written so far.
    pub fn saved(&self) -> &[SavedCheckpoint] {
        &self.saved
    }

    /// The best value of the monitored metric and its epoch.
    pub fn best(&self) -> Option<(f64, usize)> {
        Some((self.monitor.best()?, self.monitor.best_epoch()?))
    }
}

impl Callback for ModelCheckpoint {
    fn on_epoch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        let value = logs.get(self.monitor.name()).copied();
        let is_best = match value {
            Some(v) => self.monitor.update(v, state.epoch),
            None => false,
        };
        if !(state.epoch + 1).is_multiple_of(self.every_n_epochs) {
            return Ok(());
        }
        if self.save_best_only {
            if value.is_none() {
                tracing::warn!(
                    monitor = self.monitor.name(),
                    "ModelCheckpoint: the monitored metric is not in the epoch metrics; skipping"
                );
                return Ok(());
            }
            if !is_best {
                return Ok(());
            }
        }
        let req = CheckpointRequest {
            epoch: state.epoch,
            global_step: state.global_step,
            value,
            is_best,
            metrics: logs,
        };
        let path = (self.writer)(&req).map_err(|source| CallbackError::Checkpoint {
            epoch: state.epoch,
            source,
        })?;
        let artifact = match (&mut self.manager, &path) {
            (Some(m), Some(p)) => Some(m.save_as(p, state.epoch as u64, value, is_best)?.artifact),
            _ => None,
        };
        self.saved.push(SavedCheckpoint {
            epoch: state.epoch,
            value,
            path,
            artifact,
        });
        Ok(())
    }
}
