//! Checkpoints of a candle `VarMap`: [`safetensors_checkpoint`] writes
//! them with `VarMap::save`, [`restore_best_weights`] keeps the best epoch's
//! weights in memory for `EarlyStopping`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use candle_core::Tensor;
use candle_nn::VarMap;
use wandb_callbacks::{BoxError, EarlyStopping, Mode, ModelCheckpoint};

/// A [`ModelCheckpoint`] monitoring `monitor` that saves `varmap` as
/// safetensors to `dir/model-epoch<epoch>.safetensors` (epoch from 0, as in
/// the callbacks' `TrainState`), creating `dir` when needed. Configure it
/// further as usual (`save_best_only`, `every_n_epochs`, `log_to_run`).
///
/// ```no_run
/// use wandb_callbacks::Mode;
/// let varmap = candle_nn::VarMap::new();
/// let ckpt = wandb_candle::safetensors_checkpoint(&varmap, "checkpoints", "val_loss", Mode::Min)
///     .save_best_only(true);
/// # let _ = ckpt;
/// ```
pub fn safetensors_checkpoint(
    varmap: &VarMap,
    dir: impl Into<PathBuf>,
    monitor: impl Into<String>,
    mode: Mode,
) -> ModelCheckpoint {
    let varmap = varmap.clone();
    let dir = dir.into();
    ModelCheckpoint::new(monitor, mode, move |req| {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("model-epoch{}.safetensors", req.epoch));
        varmap.save(&path)?;
        Ok(Some(path))
    })
}

/// The best epoch's variables, copied in memory.
type Snapshot = Arc<Mutex<HashMap<String, Tensor>>>;

/// Makes `stopping` keep a copy of `varmap`'s variables at each improvement
/// and put them back at the end of training when the last epoch was not the
/// best (Keras' `restore_best_weights`). The copy costs as much memory as
/// the model (on the variables' device).
///
/// ```
/// use wandb_callbacks::{EarlyStopping, Mode};
/// let varmap = candle_nn::VarMap::new();
/// let stop = wandb_candle::restore_best_weights(
///     EarlyStopping::new("val_loss", Mode::Min).patience(3),
///     &varmap,
/// );
/// # let _ = stop;
/// ```
pub fn restore_best_weights(stopping: EarlyStopping, varmap: &VarMap) -> EarlyStopping {
    let best: Snapshot = Arc::default();
    let (save_map, save_best) = (varmap.clone(), best.clone());
    let (restore_map, restore_best) = (varmap.clone(), best);
    stopping
        .on_improvement(move |_epoch| {
            let data = save_map
                .data()
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut copies = HashMap::with_capacity(data.len());
            for (name, var) in data.iter() {
                copies.insert(name.clone(), var.as_tensor().copy()?);
            }
            drop(data);
            *save_best.lock().unwrap_or_else(PoisonError::into_inner) = copies;
            Ok(())
        })
        .restore_best(move |_epoch| -> Result<(), BoxError> {
            let best = restore_best.lock().unwrap_or_else(PoisonError::into_inner);
            let data = restore_map
                .data()
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for (name, var) in data.iter() {
                if let Some(t) = best.get(name) {
                    var.set(t)?;
                }
            }
            Ok(())
        })
}
