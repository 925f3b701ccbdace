//! [`WandbCallback`]: Keras-like callbacks for hand-written burn loops.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use wandb_callbacks::{
    Callback, CallbackDriver, CallbackList, FitReport, Metrics, TrainState, WatchOptions,
};
use wandb_core::Run;

use crate::error::WandbBurnError;
use crate::watch::Watcher;

/// Drives [`wandb_callbacks`] callbacks from a burn training loop you write
/// yourself: a [`wandb_callbacks::WandbCallback`] for the run plus any
/// callbacks you add ([`wandb_callbacks::ModelCheckpoint`],
/// [`wandb_callbacks::EarlyStopping`], ...), and optionally `watch`.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wandb_burn::WandbCallback;
/// use wandb_callbacks::{EarlyStopping, Mode, WatchLog, WatchOptions};
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("burn-loop"))?;
/// let mut cb = WandbCallback::new(&run)
///     .with_callback(EarlyStopping::new("val_loss", Mode::Min).patience(2))
///     .watch(WatchOptions::new().log(WatchLog::All).log_freq(100));
/// cb.train_begin(Some(10))?;
/// for _epoch in 0..10 {
///     cb.epoch_begin()?;
///     // for each batch: forward, let grads = loss.backward();
///     //   let grads = GradientsParams::from_grads(grads, &model);
///     //   cb.observe(&model, &grads)?;          // histograms every 100 steps
///     //   model = optim.step(lr, model, grads);
///     //   cb.batch_end_loss(loss, lr)?;
///     // validation: cb.validation_end(&[("loss", val_loss)])?;
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

    /// Watches the model: [`WandbCallback::observe`] then logs histograms.
    pub fn watch(mut self, options: WatchOptions) -> Self {
        self.watcher = Some(Watcher::new(&self.run, options));
        self
    }

    /// The loop state (epoch, batch, global step, stop request).
    pub fn state(&self) -> &TrainState {
        self.driver.state()
    }

    /// Training starts, with `epochs` planned when known.
    pub fn train_begin(&mut self, epochs: Option<usize>) -> Result<(), WandbBurnError> {
        self.driver.state_mut().epochs = epochs;
        Ok(self.driver.train_begin()?)
    }

    /// An epoch starts; returns its number (from 0).
    pub fn epoch_begin(&mut self) -> Result<usize, WandbBurnError> {
        Ok(self.driver.epoch_begin()?)
    }

    /// A batch starts with learning rate `lr` (when known).
    pub fn batch_begin(&mut self, lr: Option<f64>) -> Result<(), WandbBurnError> {
        Ok(self.driver.batch_begin(lr)?)
    }

    /// Logs the watched model's histograms when this step is due (call it
    /// after the backward pass, once per batch); returns how many were logged.
    pub fn observe<M: Module>(
        &self,
        model: &M,
        grads: &GradientsParams,
    ) -> Result<usize, WandbBurnError> {
        match &self.watcher {
            Some(w) => w.observe(model, grads),
            None => Ok(0),
        }
    }

    /// A batch ended with these metrics.
    pub fn batch_end(&mut self, metrics: &[(&str, f64)]) -> Result<(), WandbBurnError> {
        let logs: Metrics = metrics.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        Ok(self.driver.batch_end(&logs)?)
    }

    /// A batch ended with this scalar loss tensor (read back to the host) and
    /// learning rate: `batch_begin` + `batch_end` with `loss`, for loops that
    /// need nothing in between.
    pub fn batch_end_loss(
        &mut self,
        loss: Tensor<1>,
        lr: Option<f64>,
    ) -> Result<(), WandbBurnError> {
        let loss: f64 = loss
            .try_into_scalar::<f64>()
            .map_err(|e| WandbBurnError::TensorRead(e.to_string()))?;
        self.driver.batch_begin(lr)?;
        self.batch_end(&[("loss", loss)])
    }

    /// Validation ended with these metrics (they appear as `val_<name>` in
    /// the epoch metrics).
    pub fn validation_end(&mut self, metrics: &[(&str, f64)]) -> Result<(), WandbBurnError> {
        let logs: Metrics = metrics.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        Ok(self.driver.validation_end(&logs)?)
    }

    /// The epoch ended; returns whether a callback asked to stop.
    pub fn epoch_end(&mut self) -> Result<bool, WandbBurnError> {
        Ok(self.driver.epoch_end()?)
    }

    /// Training ended; returns what happened.
    pub fn train_end(&mut self) -> Result<FitReport, WandbBurnError> {
        self.driver.train_end()?;
        Ok(self.driver.report())
    }
}
