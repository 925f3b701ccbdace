//! `VarStore` checkpoints through the framework-neutral `ModelCheckpoint`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tch::nn::{VarStore, Variables};
use tch::{TchError, Tensor};
use wandb_callbacks::{BoxError, Mode, ModelCheckpoint};

/// Saves the variables of `vars` like `VarStore::save`: safetensors when the
/// path ends in `.safetensors`, libtorch's format otherwise.
fn save_variables(vars: &Mutex<Variables>, path: &Path) -> Result<(), TchError> {
    let vars = vars.lock().unwrap_or_else(PoisonError::into_inner);
    let mut named: Vec<(&String, &Tensor)> = vars.named_variables.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    match path.extension().and_then(|x| x.to_str()) {
        Some("safetensors") => Tensor::write_safetensors(&named, path),
        _ => Tensor::save_multi(&named, path),
    }
}

/// Saves `vs` to `path` (what `vs.save(path)` does, without its panic on a
/// poisoned lock).
pub fn save_var_store(vs: &VarStore, path: impl AsRef<Path>) -> Result<(), TchError> {
    save_variables(&vs.variables_, path.as_ref())
}

/// A [`ModelCheckpoint`] that saves `vs` to
/// `dir/model-epoch<epoch>.safetensors` at the end of an epoch, tracking
/// `monitor` (an epoch metric such as `val_loss`) with `mode`. Refine it
/// with its builder methods: `.save_best_only(true)`, `.every_n_epochs(n)`,
/// `.log_to_run(&run)` (each file becomes a version of the run's `model-<run id>` artifact).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("demo"))?;
/// let vs = tch::nn::VarStore::new(tch::Device::Cpu);
/// let ckpt = wandb_tch::var_store_checkpoint(&vs, "checkpoints", "val_loss", wandb_tch::Mode::Min)
///     .save_best_only(true)
///     .log_to_run(&run);
/// # let _ = ckpt; Ok(()) }
/// ```
pub fn var_store_checkpoint(
    vs: &VarStore,
    dir: impl Into<PathBuf>,
    monitor: impl Into<String>,
    mode: Mode,
) -> ModelCheckpoint {
    let vars = Arc::clone(&vs.variables_);
    let dir = dir.into();
    ModelCheckpoint::new(monitor, mode, move |req| {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("model-epoch{}.safetensors", req.epoch));
        save_variables(&vars, &path).map_err(|e| -> BoxError { Box::new(e) })?;
        Ok(Some(path))
    })
}
