//! `watch` for burn modules: parameter and gradient histograms keyed by the
//! module's parameter paths (`fc1.weight`), with the official client's rules
//! (see `wandb_callbacks::watch`).

use std::collections::HashMap;
use std::sync::LazyLock;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use parking_lot::Mutex;
use wandb_callbacks::{WatchOptions, WatchStep};
use wandb_core::Run;

use crate::error::WandbBurnError;

/// A watched burn model. Create it once with [`Watcher::new`] and call
/// [`Watcher::observe`] once per training step after the backward pass
/// (e.g. in `TrainStep::step` or `TrainStep::optimize`).
///
/// It is `Clone + Send + Sync + Debug`, so a model can keep it in a
/// `#[module(skip)]` field. Only the steps that log copy tensors to the host.
#[derive(Clone, Debug)]
pub struct Watcher {
    inner: wandb_callbacks::Watcher,
}

impl Watcher {
    /// Watches a model in `run` with `options` (log, log_freq, filter, cap).
    pub fn new(run: &Run, options: WatchOptions) -> Self {
        Watcher {
            inner: wandb_callbacks::watch(run, options),
        }
    }

    /// The framework-neutral watcher inside.
    pub fn inner(&self) -> &wandb_callbacks::Watcher {
        &self.inner
    }

    /// Counts one step; on every `log_freq`-th step logs the histograms of
    /// `model`'s float parameters and of their gradients in `grads`. They
    /// join the row of that training batch when a [`crate::WandbMetricLogger`]
    /// of the run is live (the `n`-th call joins `global_step` `n`), else the
    /// next committed row. Returns how many histograms were logged.
    pub fn observe<M: Module>(
        &self,
        model: &M,
        grads: &GradientsParams,
    ) -> Result<usize, WandbBurnError> {
        match self.inner.step() {
            Some(step) => fill_and_commit(step, model, Some(grads)),
            None => Ok(0),
        }
    }

    /// Like [`Watcher::observe`] for a loop that counts its steps from 0:
    /// step `n` logs when `n + 1` is a multiple of `log_freq`.
    pub fn observe_at<M: Module>(
        &self,
        step: u64,
        model: &M,
        grads: &GradientsParams,
    ) -> Result<usize, WandbBurnError> {
        match self.inner.step_at(step) {
            Some(s) => fill_and_commit(s, model, Some(grads)),
            None => Ok(0),
        }
    }

    /// Counts one step and logs parameter histograms only (for code that
    /// has no gradients at hand, e.g. an inference-time snapshot).
    pub fn observe_parameters<M: Module>(&self, model: &M) -> Result<usize, WandbBurnError> {
        match self.inner.step() {
            Some(step) => fill_and_commit(step, model, None),
            None => Ok(0),
        }
    }
}

/// One watcher per run for [`watch`], created on first use.
static RUN_WATCHERS: LazyLock<Mutex<HashMap<String, Watcher>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Sets the options [`watch`] uses for `run` (call before the first
/// [`watch`]; later calls replace the watcher and take a new watch index).
pub fn configure_watch(run: &Run, options: WatchOptions) {
    let w = Watcher::new(run, options);
    register(run, w);
}

/// Stores the run's watcher; the entry is removed when the run finishes.
fn register(run: &Run, watcher: Watcher) -> Watcher {
    let previous = RUN_WATCHERS
        .lock()
        .insert(run.id().to_owned(), watcher.clone());
    if previous.is_none() {
        let id = run.id().to_owned();
        run.on_finish(move || {
            RUN_WATCHERS.lock().remove(&id);
        });
    }
    watcher
}

/// Logs histograms of `model`'s parameters and gradients at training step
/// `step` (counted from 0 by the caller): step `n` logs when `n + 1` is a
/// multiple of `log_freq`. Options come from [`configure_watch`], else the
/// official defaults (gradients, every 1000 steps).
///
/// Call it from `TrainStep` after the backward pass:
///
/// ```no_run
/// # use burn::optim::GradientsParams;
/// # fn demo<M: burn::module::Module>(run: &wandb_core::Run, model: &M, grads: &GradientsParams, step: u64) {
/// wandb_burn::configure_watch(run, wandb_callbacks::WatchOptions::new()
///     .log(wandb_callbacks::WatchLog::All).log_freq(100));
/// let logged = wandb_burn::watch(run, model, grads, step).unwrap_or(0);
/// # let _ = logged; }
/// ```
pub fn watch<M: Module>(
    run: &Run,
    model: &M,
    grads: &GradientsParams,
    step: u64,
) -> Result<usize, WandbBurnError> {
    let existing = RUN_WATCHERS.lock().get(run.id()).cloned();
    let watcher = match existing {
        Some(w) => w,
        None => register(run, Watcher::new(run, WatchOptions::default())),
    };
    watcher.observe_at(step, model, grads)
}

fn fill_and_commit<M: Module>(
    step: WatchStep,
    model: &M,
    grads: Option<&GradientsParams>,
) -> Result<usize, WandbBurnError> {
    let mut visitor = HistogramVisitor {
        path: Vec::new(),
        step,
        grads,
        error: None,
    };
    model.visit(&mut visitor);
    if let Some(e) = visitor.error {
        return Err(e);
    }
    Ok(crate::step_join::deliver(visitor.step)?)
}

/// Walks a module, keeping the dotted path of the current parameter.
struct HistogramVisitor<'a> {
    path: Vec<String>,
    step: WatchStep,
    grads: Option<&'a GradientsParams>,
    error: Option<WandbBurnError>,
}

impl HistogramVisitor<'_> {
    fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, WandbBurnError> {
        tensor
            .try_into_vec_as::<f32>()
            .map_err(|e| WandbBurnError::TensorRead(e.to_string()))
    }
}

impl ModuleVisitor for HistogramVisitor<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.error.is_some() {
            return;
        }
        let name = self.path.join(".");
        if !self.step.accepts(&name) {
            return;
        }
        if self.step.wants_parameters() {
            let mut err = None;
            self.step.parameter_with(&name, || {
                Self::read(param.val()).map_err(|e| err = Some(e)).ok()
            });
            if err.is_some() {
                self.error = err;
                return;
            }
        }
        if let (true, Some(grads)) = (self.step.wants_gradients(), self.grads) {
            let Some(g) = grads.get::<D>(param.id) else {
                return;
            };
            let mut err = None;
            self.step
                .gradient_with(&name, || Self::read(g).map_err(|e| err = Some(e)).ok());
            if err.is_some() {
                self.error = err;
            }
        }
    }
}
