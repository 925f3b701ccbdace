//! The [`Callback`] trait, the [`TrainState`] callbacks see and change, and
//! [`CallbackList`], which calls several callbacks in order.

use indexmap::IndexMap;

use crate::error::CallbackError;

/// Metric values of one batch, one validation pass or one epoch, by name
/// (insertion order is kept: it is the order the values are logged in).
pub type Metrics = IndexMap<String, f64>;

/// Where training is and what callbacks asked for; passed to every hook.
///
/// The loop driver ([`crate::fit`], or a framework adapter) updates the
/// counters; callbacks read them and may [request a stop](TrainState::request_stop)
/// or change the learning rate they report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainState {
    /// Current epoch, counted from 0.
    pub epoch: usize,
    /// Total number of epochs planned, when known.
    pub epochs: Option<usize>,
    /// Index of the current batch within the epoch, from 0.
    pub batch: usize,
    /// Number of training batches run so far over all epochs (the global
    /// step); during `on_batch_end` it already counts the batch just run.
    pub global_step: u64,
    /// Learning rate used for the current batch, when the loop knows it.
    pub learning_rate: Option<f64>,
    stop: Option<String>,
}

impl TrainState {
    /// A state at epoch 0, batch 0, with `epochs` planned.
    pub fn new(epochs: Option<usize>) -> Self {
        TrainState {
            epochs,
            ..TrainState::default()
        }
    }

    /// Asks the loop to stop after the current epoch; `reason` is kept for
    /// the report (the first request wins).
    pub fn request_stop(&mut self, reason: impl Into<String>) {
        if self.stop.is_none() {
            self.stop = Some(reason.into());
        }
    }

    /// Whether a callback asked to stop.
    pub fn stop_requested(&self) -> bool {
        self.stop.is_some()
    }

    /// Why training was asked to stop, if it was.
    pub fn stop_reason(&self) -> Option<&str> {
        self.stop.as_deref()
    }
}

/// A training callback in the style of Keras: every hook has a default that
/// does nothing, so implement only those you need.
///
/// Hooks are called in this order: `on_train_begin`, then per epoch
/// `on_epoch_begin`, per batch `on_batch_begin` / `on_batch_end`, then
/// `on_validation_end` (when the loop validates) and `on_epoch_end`, and
/// finally `on_train_end`. Epoch metrics given to `on_epoch_end` contain the
/// training averages and the validation metrics prefixed with `val_`
/// (`loss`, `val_loss`), as in Keras.
///
/// A hook that returns an error stops the loop; the driver still calls
/// `on_train_end` on every callback before returning the error.
pub trait Callback: Send {
    /// Training starts.
    fn on_train_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        let _ = state;
        Ok(())
    }

    /// Training ended (normally, early-stopped or because of an error);
    /// `logs` holds the last epoch's metrics.
    fn on_train_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        let _ = (state, logs);
        Ok(())
    }

    /// An epoch starts (`state.epoch`).
    fn on_epoch_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        let _ = state;
        Ok(())
    }

    /// An epoch ended with these metrics (training averages and `val_*`).
    fn on_epoch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        let _ = (state, logs);
        Ok(())
    }

    /// A training batch starts (`state.batch`, `state.global_step`).
    fn on_batch_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        let _ = state;
        Ok(())
    }

    /// A training batch ended with these metrics.
    fn on_batch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        let _ = (state, logs);
        Ok(())
    }

    /// Validation of the current epoch ended with these metrics (names as
    /// returned by the validation function, without the `val_` prefix).
    fn on_validation_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        let _ = (state, logs);
        Ok(())
    }
}

macro_rules! forward_callback {
    ($($ty:ty),*) => {$(
impl<C: Callback + ?Sized> Callback for $ty {
    fn on_train_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        (**self).on_train_begin(state)
    }
    fn on_train_end(&mut self, state: &mut TrainState, logs: &Metrics) -> Result<(), CallbackError> {
        (**self).on_train_end(state, logs)
    }
    fn on_epoch_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        (**self).on_epoch_begin(state)
    }
    fn on_epoch_end(&mut self, state: &mut TrainState, logs: &Metrics) -> Result<(), CallbackError> {
        (**self).on_epoch_end(state, logs)
    }
    fn on_batch_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        (**self).on_batch_begin(state)
    }
    fn on_batch_end(&mut self, state: &mut TrainState, logs: &Metrics) -> Result<(), CallbackError> {
        (**self).on_batch_end(state, logs)
    }
    fn on_validation_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        (**self).on_validation_end(state, logs)
    }
}
    )*};
}
forward_callback!(Box<C>, &mut C);

/// Several callbacks called in the order they were added; itself a
/// [`Callback`]. A failing callback stops the call of the others for that
/// hook, except in `on_train_end`, which reaches every callback and returns
/// the first error.
#[derive(Default)]
pub struct CallbackList {
    callbacks: Vec<Box<dyn Callback>>,
}

impl std::fmt::Debug for CallbackList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackList")
            .field("len", &self.callbacks.len())
            .finish()
    }
}

impl CallbackList {
    /// An empty list.
    pub fn new() -> Self {
        CallbackList::default()
    }

    /// Adds a callback at the end.
    pub fn push(&mut self, callback: impl Callback + 'static) -> &mut Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Builder form of [`CallbackList::push`].
    pub fn with(mut self, callback: impl Callback + 'static) -> Self {
        self.push(callback);
        self
    }

    /// Number of callbacks.
    pub fn len(&self) -> usize {
        self.callbacks.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.callbacks.is_empty()
    }

    fn each(
        &mut self,
        mut f: impl FnMut(&mut dyn Callback) -> Result<(), CallbackError>,
    ) -> Result<(), CallbackError> {
        for cb in &mut self.callbacks {
            f(cb.as_mut())?;
        }
        Ok(())
    }
}

impl Callback for CallbackList {
    fn on_train_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        self.each(|c| c.on_train_begin(state))
    }
    fn on_train_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        let mut first = None;
        for cb in &mut self.callbacks {
            if let Err(e) = cb.on_train_end(state, logs) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
    fn on_epoch_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        self.each(|c| c.on_epoch_begin(state))
    }
    fn on_epoch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        self.each(|c| c.on_epoch_end(state, logs))
    }
    fn on_batch_begin(&mut self, state: &mut TrainState) -> Result<(), CallbackError> {
        self.each(|c| c.on_batch_begin(state))
    }
    fn on_batch_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        self.each(|c| c.on_batch_end(state, logs))
    }
    fn on_validation_end(
        &mut self,
        state: &mut TrainState,
        logs: &Metrics,
    ) -> Result<(), CallbackError> {
        self.each(|c| c.on_validation_end(state, logs))
    }
}
