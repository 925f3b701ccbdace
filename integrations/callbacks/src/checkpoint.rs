//! [`ModelCheckpoint`]: saves the model through a user closure, every N
//! epochs or only when the monitored metric improves, and optionally adds
//! the files to the run.

use std::path::{Path, PathBuf};

use wandb_core::{proto, Run};

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
    /// Where it was copied in the run (`files/<this>`), if it was logged.
    pub run_path: Option<String>,
}

type Writer = Box<dyn FnMut(&CheckpointRequest<'_>) -> Result<Option<PathBuf>, BoxError> + Send>;

/// Saves checkpoints as Keras' `ModelCheckpoint` does, through a closure that
/// writes the model (so it works with any framework).
///
/// The writer receives a [`CheckpointRequest`] and returns the path of the
/// file it wrote (or `None`). With [`ModelCheckpoint::log_to_run`], that file
/// is copied to `files/checkpoints/<file name>` in the run directory and a
/// `files` record is written, so `wandb sync` uploads it.
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
    run: Option<Run>,
    saved: Vec<SavedCheckpoint>,
}

impl std::fmt::Debug for ModelCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelCheckpoint")
            .field("monitor", &self.monitor)
            .field("save_best_only", &self.save_best_only)
            .field("every_n_epochs", &self.every_n_epochs)
            .field("log_to_run", &self.run.is_some())
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
            run: None,
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

    /// Copies each written file into the run's `files/checkpoints/` and
    /// records it for upload.
    pub fn log_to_run(mut self, run: &Run) -> Self {
        self.run = Some(run.clone());
        self
    }

    /// The checkpoints written so far.
    pub fn saved(&self) -> &[SavedCheckpoint] {
        &self.saved
    }

    /// The best value of the monitored metric and its epoch.
    pub fn best(&self) -> Option<(f64, usize)> {
        Some((self.monitor.best()?, self.monitor.best_epoch()?))
    }

    fn copy_into_run(run: &Run, path: &Path) -> Result<String, CallbackError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "checkpoint".to_owned());
        let rel = format!("checkpoints/{name}");
        let dest = run.files_dir().join(&rel);
        let copy_err = |source| CallbackError::CheckpointCopy {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(copy_err)?;
        }
        std::fs::copy(path, &dest).map_err(copy_err)?;
        run.emit_record(proto::record::RecordType::Files(proto::FilesRecord {
            files: vec![proto::FilesItem {
                path: rel.clone(),
                policy: proto::files_item::PolicyType::Now as i32,
                r#type: proto::files_item::FileType::Other as i32,
            }],
            info: None,
        }))?;
        Ok(rel)
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
        let run_path = match (&self.run, &path) {
            (Some(run), Some(p)) => Some(Self::copy_into_run(run, p)?),
            _ => None,
        };
        self.saved.push(SavedCheckpoint {
            epoch: state.epoch,
            value,
            path,
            run_path,
        });
        Ok(())
    }
}
