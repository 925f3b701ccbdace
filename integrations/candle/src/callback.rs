//! [`WandbCallback`]: Keras-like callbacks for hand-written candle loops.

use candle_core::backprop::GradStore;
use candle_core::{DType, Tensor};
use candle_nn::VarMap;
use wandb_callbacks::{
    Callback, CallbackDriver, CallbackList, FitReport, Metrics, TrainState, WatchOptions,
};
use wandb_core::Run;

use crate::error::WandbCandleError;
use crate::watch::Watcher;

/// Drives [`wandb_callbacks`] callbacks from a candle training loop: a
/// [`wandb_callbacks::WandbCallback`] for the run plus any callbacks you add
/// ([`crate::safetensors_checkpoint`], [`wandb_callbacks::EarlyStopping`],
/// [`wandb_callbacks::LearningRateLogger`], ...), and optionally `watch`.
/// It is a thin layer over [`CallbackDriver`] that reads candle tensors.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::{Module, Optimizer, VarBuilder, VarMap};
/// use wandb_callbacks::{EarlyStopping, Mode};
/// use wandb_candle::{WandbCallback, WatchLog, WatchOptions};
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("candle-loop"))?;
/// let varmap = VarMap::new();
/// let fc = candle_nn::linear(4, 1, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
/// let mut opt = candle_nn::SGD::new(varmap.all_vars(), 0.05)?;
/// let mut cb = WandbCallback::new(&run)
///     .with_callback(EarlyStopping::new("val_loss", Mode::Min).patience(2))
///     .with_callback(wandb_candle::safetensors_checkpoint(&varmap, "ckpt", "val_loss", Mode::Min))
///     .watch(&varmap, WatchOptions::new().log(WatchLog::All).log_freq(100));
/// let x = Tensor::ones((8, 4), DType::F32, &Device::Cpu)?;
/// cb.train_begin(Some(10))?;
/// for _epoch in 0..10 {
///     cb.epoch_begin()?;
///     for _batch in 0..50 {
///         let loss = fc.forward(&x)?.sqr()?.mean_all()?;
///         let grads = loss.backward()?;
///         cb.after_backward(&grads)?;             // histograms every 100 steps
///         opt.step(&grads)?;
///         cb.batch_end_loss(&loss, Some(0.05))?;  // the batch row
///     }
///     cb.validation_end(&[("loss", 0.1)])?;       // val_loss
///     if cb.epoch_end()? { break; }
/// }
/// cb.train_end()?;
/// # Ok(()) }
/// ```
pub struct WandbCallback {
    driver: CallbackDriver<CallbackList>,
    watcher: Option<Watcher>,
    run: Run,
}

impl std::fmt::Debug for WandbCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WandbCallback")
            .field("state", self.driver.state())
            .field("watcher", &self.watcher)
            .finish()
    }
}

impl WandbCallback {
    /// Logs batch and epoch metrics to `run` (every batch; see
    /// [`WandbCallback::with_wandb`] to configure it).
    pub fn new(run: &Run) -> Self {
        Self::with_wandb(run, wandb_callbacks::WandbCallback::new(run))
    }

    /// Uses a configured [`wandb_callbacks::WandbCallback`] (log_freq, monitor).
    pub fn with_wandb(run: &Run, wandb: wandb_callbacks::WandbCallback) -> Self {
        WandbCallback {
            driver: CallbackDriver::new(CallbackList::new().with(wandb), None),
            watcher: None,
            run: run.clone(),
        }
    }

    /// Adds a callback (called after the ones added before).
    pub fn with_callback(mut self, callback: impl Callback + 'static) -> Self {
        self.driver.callbacks_mut().push(callback);
        self
    }

    /// Watches `varmap`: [`WandbCallback::after_backward`] then logs histograms.
    pub fn watch(mut self, varmap: &VarMap, options: WatchOptions) -> Self {
        self.watcher = Some(crate::watch(&self.run, varmap, options));
        self
    }

    /// The watcher, when [`WandbCallback::watch`] was called.
    pub fn watcher(&self) -> Option<&Watcher> {
        self.watcher.as_ref()
    }

    /// The loop state (epoch, batch, global step, stop request).
    pub fn state(&self) -> &TrainState {
        self.driver.state()
    }

    /// Training starts, with `epochs` planned when known.
    pub fn train_begin(&mut self, epochs: Option<usize>) -> Result<(), WandbCandleError> {
        self.driver.state_mut().epochs = epochs;
        Ok(self.driver.train_begin()?)
    }

    /// An epoch starts; returns its number (from 0).
    pub fn epoch_begin(&mut self) -> Result<usize, WandbCandleError> {
        Ok(self.driver.epoch_begin()?)
    }

    /// A batch starts with learning rate `lr` (when known). Not needed
    /// with [`WandbCallback::batch_end_loss`], which calls it.
    pub fn batch_begin(&mut self, lr: Option<f64>) -> Result<(), WandbCandleError> {
        Ok(self.driver.batch_begin(lr)?)
    }

    /// Logs the watched variables' histograms when this batch is due: the
    /// batch with global step `n` (from 1, as `batch/step`) logs when `n` is
    /// a multiple of `log_freq`, so the histograms join that batch's row.
    /// Call it after `backward`, before the batch ends; returns how many
    /// histograms were logged.
    pub fn after_backward(&self, grads: &GradStore) -> Result<usize, WandbCandleError> {
        match &self.watcher {
            Some(w) => w.after_backward_at(self.driver.state().global_step, grads),
            None => Ok(0),
        }
    }

    /// A batch ended with these metrics.
    pub fn batch_end(&mut self, metrics: &[(&str, f64)]) -> Result<(), WandbCandleError> {
        Ok(self.driver.batch_end(&to_metrics(metrics))?)
    }

    /// A batch ended with this loss tensor (its mean, read back to the host)
    /// and learning rate: `batch_begin(lr)` + `batch_end` with `loss`.
    pub fn batch_end_loss(
        &mut self,
        loss: &Tensor,
        lr: Option<f64>,
    ) -> Result<(), WandbCandleError> {
        let loss = scalar("loss", loss)?;
        self.batch_end_with(lr, &[("loss", loss)])
    }

    /// `batch_begin(lr)` + `batch_end(metrics)`, for loops that need nothing
    /// in between (e.g. `loss` and `acc` computed already).
    pub fn batch_end_with(
        &mut self,
        lr: Option<f64>,
        metrics: &[(&str, f64)],
    ) -> Result<(), WandbCandleError> {
        self.driver.batch_begin(lr)?;
        self.batch_end(metrics)
    }

    /// Validation ended with these metrics (they appear as `val_<name>` in
    /// the epoch metrics).
    pub fn validation_end(&mut self, metrics: &[(&str, f64)]) -> Result<(), WandbCandleError> {
        Ok(self.driver.validation_end(&to_metrics(metrics))?)
    }

    /// The epoch ended; returns whether a callback asked to stop.
    pub fn epoch_end(&mut self) -> Result<bool, WandbCandleError> {
        Ok(self.driver.epoch_end()?)
    }

    /// Training ended (call it also after an error); returns what happened.
    pub fn train_end(&mut self) -> Result<FitReport, WandbCandleError> {
        self.driver.train_end()?;
        Ok(self.driver.report())
    }
}

fn to_metrics(metrics: &[(&str, f64)]) -> Metrics {
    metrics.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// The mean of `t` as an `f64` on the host.
pub(crate) fn scalar(name: &str, t: &Tensor) -> Result<f64, WandbCandleError> {
    let read = || t.to_dtype(DType::F64)?.mean_all()?.to_scalar::<f64>();
    read().map_err(|source| WandbCandleError::TensorRead {
        name: name.to_owned(),
        dtype: format!("{:?}", t.dtype()),
        source: Box::new(source),
    })
}
