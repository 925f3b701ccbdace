//! A small, framework-neutral `fit` loop that drives [`Callback`]s.
//!
//! Any framework plugs in by implementing [`TrainTask`]: hand out batches,
//! run one training step on a batch, optionally validate. [`fit`] runs the
//! epochs, averages the batch metrics into epoch metrics, adds the
//! validation metrics as `val_<name>` and calls the callbacks at the right
//! moments, stopping early when one of them asks.

use crate::callback::{Callback, Metrics, TrainState};
use crate::error::{BoxError, CallbackError};

/// One model's training, as [`fit`] sees it.
pub trait TrainTask {
    /// A training batch.
    type Batch;

    /// Prepares epoch `state.epoch` (shuffle, rewind the data). The default does nothing.
    fn begin_epoch(&mut self, state: &TrainState) -> Result<(), BoxError> {
        let _ = state;
        Ok(())
    }

    /// The next training batch of the current epoch, or `None` when the epoch is done.
    fn next_batch(&mut self, state: &TrainState) -> Option<Self::Batch>;

    /// Runs forward, backward and the optimiser on one batch; returns its
    /// metrics (at least the loss, by convention under `loss`).
    fn train_step(
        &mut self,
        batch: Self::Batch,
        state: &mut TrainState,
    ) -> Result<Metrics, BoxError>;

    /// Validates the model after an epoch; `None` (the default) when there is
    /// no validation.
    fn validate(&mut self, state: &mut TrainState) -> Result<Option<Metrics>, BoxError> {
        let _ = state;
        Ok(None)
    }

    /// The learning rate the next batch will use, when known (the default
    /// says nothing). Stored in [`TrainState::learning_rate`].
    fn learning_rate(&self, state: &TrainState) -> Option<f64> {
        let _ = state;
        None
    }
}

/// What [`fit`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitReport {
    /// Epochs that ran to their end.
    pub epochs_run: usize,
    /// Training batches run in total.
    pub global_step: u64,
    /// The reason given by the callback that stopped training early, if any.
    pub stopped_early: Option<String>,
    /// The metrics of each epoch (training averages and `val_*`).
    pub history: Vec<Metrics>,
}

/// Trains `task` for `epochs` epochs, calling `callbacks` (one callback or a
/// [`crate::CallbackList`]).
///
/// Errors of the task or of a callback end the loop; `on_train_end` is still
/// called on every callback before the first error is returned.
///
/// ```
/// use wandb_callbacks::{fit, Callback, Metrics, TrainState, TrainTask, BoxError};
///
/// struct Quadratic { w: f64, left: usize }
/// impl TrainTask for Quadratic {
///     type Batch = f64;
///     fn begin_epoch(&mut self, _: &TrainState) -> Result<(), BoxError> { self.left = 4; Ok(()) }
///     fn next_batch(&mut self, _: &TrainState) -> Option<f64> {
///         (self.left > 0).then(|| { self.left -= 1; 3.0 })
///     }
///     fn train_step(&mut self, target: f64, _: &mut TrainState) -> Result<Metrics, BoxError> {
///         let loss = (self.w - target).powi(2);
///         self.w -= 0.1 * 2.0 * (self.w - target);
///         Ok(Metrics::from([("loss".to_string(), loss)]))
///     }
/// }
///
/// struct Count(usize);
/// impl Callback for Count {
///     fn on_batch_end(&mut self, _: &mut TrainState, _: &Metrics) -> Result<(), wandb_callbacks::CallbackError> {
///         self.0 += 1;
///         Ok(())
///     }
/// }
///
/// let mut count = Count(0);
/// let report = fit(&mut Quadratic { w: 0.0, left: 0 }, 3, &mut count).unwrap();
/// assert_eq!((count.0, report.epochs_run, report.global_step), (12, 3, 12));
/// assert!(report.history[2]["loss"] < report.history[0]["loss"]);
/// ```
pub fn fit<T, C>(task: &mut T, epochs: usize, callbacks: &mut C) -> Result<FitReport, CallbackError>
where
    T: TrainTask + ?Sized,
    C: Callback + ?Sized,
{
    let mut driver = CallbackDriver::new(callbacks, Some(epochs));
    let result = run_epochs(task, epochs, &mut driver);
    let end = driver.train_end();
    let report = driver.report();
    result?;
    end?;
    Ok(report)
}

fn run_epochs<T, C>(
    task: &mut T,
    epochs: usize,
    driver: &mut CallbackDriver<C>,
) -> Result<(), CallbackError>
where
    T: TrainTask + ?Sized,
    C: Callback,
{
    driver.train_begin()?;
    for _ in 0..epochs {
        if driver.state().stop_requested() {
            break;
        }
        let epoch = driver.epoch_begin_with(|state| task.begin_epoch(state))?;
        let step_err = |source| CallbackError::Step { epoch, source };
        while let Some(batch) = task.next_batch(driver.state()) {
            let lr = task.learning_rate(driver.state());
            driver.batch_begin(lr)?;
            let logs = task
                .train_step(batch, driver.state_mut())
                .map_err(step_err)?;
            driver.batch_end(&logs)?;
        }
        if let Some(val) = task.validate(driver.state_mut()).map_err(step_err)? {
            driver.validation_end(&val)?;
        }
        driver.epoch_end()?;
    }
    Ok(())
}

/// The callback protocol for loops you write yourself: call its methods at
/// the matching points and it keeps [`TrainState`], averages batch metrics
/// into epoch metrics (adding validation metrics as `val_<name>`) and calls
/// the callbacks. [`fit`] is built on it.
///
/// ```
/// use wandb_callbacks::{CallbackDriver, EarlyStopping, Metrics, Mode};
/// let mut stop = EarlyStopping::new("loss", Mode::Min).patience(1);
/// let mut driver = CallbackDriver::new(&mut stop, Some(10));
/// driver.train_begin().unwrap();
/// for epoch in 0..10 {
///     driver.epoch_begin().unwrap();
///     for _batch in 0..3 {
///         driver.batch_begin(Some(1e-3)).unwrap();
///         let loss = 1.0; // a loss that never improves
///         driver.batch_end(&Metrics::from([("loss".into(), loss)])).unwrap();
///     }
///     if driver.epoch_end().unwrap() {
///         assert_eq!(epoch, 1);
///         break;
///     }
/// }
/// driver.train_end().unwrap();
/// ```
pub struct CallbackDriver<C: Callback> {
    callbacks: C,
    state: TrainState,
    sums: Mean,
    val: Option<Metrics>,
    started_epoch: bool,
    epochs_run: usize,
    history: Vec<Metrics>,
}

impl<C: Callback> std::fmt::Debug for CallbackDriver<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackDriver")
            .field("state", &self.state)
            .field("epochs_run", &self.epochs_run)
            .finish()
    }
}

impl<C: Callback> CallbackDriver<C> {
    /// A driver for `callbacks` (one callback, a [`crate::CallbackList`] or a
    /// `&mut` to either) with `epochs` planned, when known.
    pub fn new(callbacks: C, epochs: Option<usize>) -> Self {
        CallbackDriver {
            callbacks,
            state: TrainState::new(epochs),
            sums: Mean::default(),
            val: None,
            started_epoch: false,
            epochs_run: 0,
            history: Vec::new(),
        }
    }

    /// The callbacks.
    pub fn callbacks(&self) -> &C {
        &self.callbacks
    }

    /// The callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut C {
        &mut self.callbacks
    }

    /// Gives the callbacks back.
    pub fn into_callbacks(self) -> C {
        self.callbacks
    }

    /// The current state.
    pub fn state(&self) -> &TrainState {
        &self.state
    }

    /// The current state, mutably (e.g. to set the learning rate).
    pub fn state_mut(&mut self) -> &mut TrainState {
        &mut self.state
    }

    /// Training starts.
    pub fn train_begin(&mut self) -> Result<(), CallbackError> {
        self.callbacks.on_train_begin(&mut self.state)
    }

    /// The next epoch starts (the first is epoch 0); returns its number.
    pub fn epoch_begin(&mut self) -> Result<usize, CallbackError> {
        self.epoch_begin_with(|_| Ok(()))
    }

    fn epoch_begin_with(
        &mut self,
        prepare: impl FnOnce(&TrainState) -> Result<(), BoxError>,
    ) -> Result<usize, CallbackError> {
        if self.started_epoch {
            self.state.epoch += 1;
        }
        self.started_epoch = true;
        self.state.batch = 0;
        self.sums = Mean::default();
        self.val = None;
        let epoch = self.state.epoch;
        prepare(&self.state).map_err(|source| CallbackError::Step { epoch, source })?;
        self.callbacks.on_epoch_begin(&mut self.state)?;
        Ok(epoch)
    }

    /// A training batch starts, with this learning rate if known.
    pub fn batch_begin(&mut self, learning_rate: Option<f64>) -> Result<(), CallbackError> {
        if learning_rate.is_some() {
            self.state.learning_rate = learning_rate;
        }
        self.callbacks.on_batch_begin(&mut self.state)
    }

    /// A training batch ended with these metrics.
    pub fn batch_end(&mut self, logs: &Metrics) -> Result<(), CallbackError> {
        self.state.global_step += 1;
        self.sums.add(logs);
        let r = self.callbacks.on_batch_end(&mut self.state, logs);
        self.state.batch += 1;
        r
    }

    /// Validation of this epoch ended with these metrics.
    pub fn validation_end(&mut self, logs: &Metrics) -> Result<(), CallbackError> {
        self.callbacks.on_validation_end(&mut self.state, logs)?;
        self.val = Some(logs.clone());
        Ok(())
    }

    /// The epoch ended: computes the epoch metrics, calls `on_epoch_end` and
    /// returns whether a callback asked to stop.
    pub fn epoch_end(&mut self) -> Result<bool, CallbackError> {
        let mut logs = std::mem::take(&mut self.sums).into_means();
        if let Some(val) = self.val.take() {
            for (k, v) in val {
                logs.insert(format!("val_{k}"), v);
            }
        }
        self.callbacks.on_epoch_end(&mut self.state, &logs)?;
        self.epochs_run += 1;
        self.history.push(logs);
        Ok(self.state.stop_requested())
    }

    /// Training ended; call it also after an error.
    pub fn train_end(&mut self) -> Result<(), CallbackError> {
        let last = self.history.last().cloned().unwrap_or_default();
        self.callbacks.on_train_end(&mut self.state, &last)
    }

    /// What happened so far.
    pub fn report(&self) -> FitReport {
        FitReport {
            epochs_run: self.epochs_run,
            global_step: self.state.global_step,
            stopped_early: self.state.stop_reason().map(str::to_owned),
            history: self.history.clone(),
        }
    }
}

/// Running means of batch metrics, by key, in first-seen order.
#[derive(Default)]
struct Mean {
    sums: indexmap::IndexMap<String, (f64, u64)>,
}

impl Mean {
    fn add(&mut self, logs: &Metrics) {
        for (k, &v) in logs {
            let e = self.sums.entry(k.clone()).or_insert((0.0, 0));
            e.0 += v;
            e.1 += 1;
        }
    }

    fn into_means(self) -> Metrics {
        self.sums
            .into_iter()
            .map(|(k, (s, n))| (k, if n == 0 { f64::NAN } else { s / n as f64 }))
            .collect()
    }
}
