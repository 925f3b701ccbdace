//! Checkpoints of burn modules as versions of the run's `model` artifact.
//!
//! - Hand-written loops: [`burnpack_checkpoint`] is a
//!   [`ModelCheckpoint`] that saves the module in a [`ModelSlot`] with
//!   burn's own format (`Module::save_file`, burnpack `.bpk`); add
//!   `.log_to_run(&run)` to log each file through
//!   [`wandb_core::artifact::CheckpointManager`].
//! - burn's `SupervisedTraining` with `with_default_checkpointers()`:
//!   [`LearnerCheckpoints`] logs the `model-<epoch>.bpk` files burn wrote
//!   under `<artifact dir>/checkpoint` once `launch` has returned.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use burn::module::Module;
use wandb_callbacks::{BoxError, Mode, ModelCheckpoint};
use wandb_core::artifact::{CheckpointManager, LoggedCheckpoint};
use wandb_core::{Goal, Run};

use crate::error::WandbBurnError;

/// The module a [`burnpack_checkpoint`] saves: set it to the current model
/// before `epoch_end` (cloning a burn module shares its tensors, it does not
/// copy them).
#[derive(Debug)]
pub struct ModelSlot<M>(Arc<Mutex<Option<M>>>);

impl<M> Clone for ModelSlot<M> {
    fn clone(&self) -> Self {
        ModelSlot(self.0.clone())
    }
}

impl<M> Default for ModelSlot<M> {
    fn default() -> Self {
        ModelSlot(Arc::new(Mutex::new(None)))
    }
}

impl<M: Module> ModelSlot<M> {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `model` the module the next checkpoint saves.
    pub fn set(&self, model: &M) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(model.clone());
    }

    /// The module set last, if any.
    pub fn get(&self) -> Option<M> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Saves `model`'s parameters to `path` in burn's burnpack format
/// (`Module::save_file`); load it back with `Module::try_load_file`.
pub fn save_module<M: Module>(model: &M, path: impl AsRef<Path>) -> Result<(), WandbBurnError> {
    let path = path.as_ref();
    model
        .clone()
        .save_file(path)
        .map_err(|e| WandbBurnError::Save(format!("{}: {e}", path.display())))
}

/// A [`ModelCheckpoint`] monitoring `monitor` that saves the module in
/// `slot` to `dir/model-epoch<epoch>.bpk` (epoch from 0, as in the
/// callbacks' `TrainState`), creating `dir` when needed. An empty slot at
/// save time is an error of the epoch's callbacks. Configure it further as
/// usual (`save_best_only`, `every_n_epochs`, `log_to_run`).
///
/// ```no_run
/// use wandb_burn::{burnpack_checkpoint, ModelSlot};
/// use wandb_callbacks::Mode;
/// # #[derive(burn::module::Module, Debug)] struct Net { fc: burn::nn::Linear }
/// # let run = wandb_core::init(wandb_core::InitOptions::new())?;
/// let slot = ModelSlot::<Net>::new();
/// let ckpt = burnpack_checkpoint(&slot, "checkpoints", "val_loss", Mode::Min)
///     .save_best_only(true)
///     .log_to_run(&run);
/// // each epoch: slot.set(&model); then cb.epoch_end()
/// # let _ = ckpt; Ok::<(), wandb_core::Error>(())
/// ```
pub fn burnpack_checkpoint<M: Module + 'static>(
    slot: &ModelSlot<M>,
    dir: impl Into<PathBuf>,
    monitor: impl Into<String>,
    mode: Mode,
) -> ModelCheckpoint {
    let slot = slot.clone();
    let dir = dir.into();
    ModelCheckpoint::new(monitor, mode, move |req| -> Result<_, BoxError> {
        let model = slot.get().ok_or(
            "no model to checkpoint: call ModelSlot::set(&model) before epoch_end".to_string(),
        )?;
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("model-epoch{}.bpk", req.epoch));
        save_module(&model, &path)?;
        Ok(Some(path))
    })
}

/// Logs the model checkpoints burn's file checkpointer wrote
/// (`<artifact dir>/checkpoint/model-<epoch>.bpk`, epochs from 1) as versions
/// of the run's `model-<run id>` artifact, in epoch order.
///
/// burn writes checkpoints on a background thread and deletes old ones by
/// its checkpointing strategy, so call [`LearnerCheckpoints::log_new`] after
/// `launch` has returned (or at any point: each call logs the files not
/// logged before).
///
/// ```no_run
/// # let run = wandb_core::init(wandb_core::InitOptions::new())?;
/// use wandb_core::Goal;
/// let mut ckpts = wandb_burn::LearnerCheckpoints::new(&run, "artifacts")
///     .monitor("val_loss", Goal::Minimize);
/// // SupervisedTraining::new("artifacts", ..).with_default_checkpointers().launch(..);
/// let val_losses = [0.9, 0.5, 0.7];
/// ckpts.log_new(|epoch| val_losses.get(epoch - 1).copied())?;
/// # Ok::<(), wandb_burn::WandbBurnError>(())
/// ```
#[derive(Debug)]
pub struct LearnerCheckpoints {
    dir: PathBuf,
    manager: CheckpointManager,
    last: Option<usize>,
}

impl LearnerCheckpoints {
    /// Checkpoints of `run` from the training artifact directory given to
    /// `SupervisedTraining::new`.
    pub fn new(run: &Run, artifact_dir: impl AsRef<Path>) -> Self {
        LearnerCheckpoints {
            dir: artifact_dir.as_ref().join("checkpoint"),
            manager: CheckpointManager::new(run),
            last: None,
        }
    }

    /// Gives the `best` alias to the checkpoint whose score (from
    /// [`LearnerCheckpoints::log_new`]'s `score`) improves on every earlier one.
    pub fn monitor(mut self, metric: impl Into<String>, goal: Goal) -> Self {
        self.manager = self.manager.monitor(metric, goal);
        self
    }

    /// The underlying manager (artifact name, best score, logged versions).
    pub fn manager(&self) -> &CheckpointManager {
        &self.manager
    }

    /// Logs every `model-<epoch>.bpk` with an epoch above the last one
    /// logged, in epoch order, with `score(epoch)` as its monitored value.
    /// Returns what was logged.
    pub fn log_new(
        &mut self,
        mut score: impl FnMut(usize) -> Option<f64>,
    ) -> Result<Vec<LoggedCheckpoint>, WandbBurnError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| WandbBurnError::Save(format!("{}: {e}", self.dir.display())))?;
        let mut epochs: Vec<usize> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_prefix("model-")?
                    .strip_suffix(".bpk")?
                    .parse()
                    .ok()
            })
            .filter(|n| self.last.is_none_or(|l| *n > l))
            .collect();
        epochs.sort_unstable();
        let mut logged = Vec::with_capacity(epochs.len());
        for epoch in epochs {
            let path = self.dir.join(format!("model-{epoch}.bpk"));
            logged.push(self.manager.save(path, epoch as u64, score(epoch))?);
            self.last = Some(epoch);
        }
        Ok(logged)
    }
}
