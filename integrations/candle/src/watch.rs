//! `watch` for candle models: parameter and gradient histograms of the
//! variables of a `VarMap`, keyed by their names (`fc1.weight`), with the
//! official client's rules (see `wandb_callbacks::watch`).

use std::sync::{Arc, Mutex, PoisonError};

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::VarMap;
use wandb_callbacks::{DeferredHistogram, WatchOptions, WatchStep};
use wandb_core::Run;

use crate::error::WandbCandleError;
use crate::tensor::{to_host_f32, with_host_f32};

/// Starts watching the variables of `varmap` in `run`: call
/// [`Watcher::after_backward`] once per training step.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::{Module, Optimizer, VarBuilder, VarMap};
/// use wandb_candle::{WatchLog, WatchOptions};
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("candle"))?;
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let fc = candle_nn::linear(4, 1, vb.pp("fc"))?;
/// let mut opt = candle_nn::SGD::new(varmap.all_vars(), 0.05)?;
/// let watcher = wandb_candle::watch(&run, &varmap, WatchOptions::new().log(WatchLog::All).log_freq(100));
/// let x = Tensor::ones((8, 4), DType::F32, &Device::Cpu)?;
/// for _step in 0..1000 {
///     let loss = fc.forward(&x)?.sqr()?.mean_all()?;
///     let grads = loss.backward()?;
///     watcher.after_backward(&grads)?; // gradients/fc.weight, parameters/fc.bias, ...
///     opt.step(&grads)?;
///     run.log(wandb_core::row! {"loss" => loss.to_scalar::<f32>()?})?; // the histograms join this row
/// }
/// # Ok(()) }
/// ```
pub fn watch(run: &Run, varmap: &VarMap, options: WatchOptions) -> Watcher {
    Watcher {
        inner: wandb_callbacks::watch(run, options),
        varmap: varmap.clone(),
        scratch: Arc::default(),
    }
}

/// A watched candle `VarMap` (it sees variables created after [`watch`]
/// too). Cheap to clone; only logging steps copy tensors to the host.
///
/// Large tensors that cannot be binned in place (not f32, not on the CPU,
/// strided) are converted into a host buffer that the watcher keeps for the
/// next logging step, so that each step does not allocate (and fault in)
/// it again; it holds as many `f32` as the largest such tensor.
#[derive(Clone)]
pub struct Watcher {
    inner: wandb_callbacks::Watcher,
    varmap: VarMap,
    scratch: Arc<Mutex<Vec<f32>>>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// The framework-neutral watcher inside (index, options, step count).
    pub fn inner(&self) -> &wandb_callbacks::Watcher {
        &self.inner
    }

    /// Counts one training step; on every `log_freq`-th step logs the
    /// histograms of the variables (`parameters/<name>`) and of their
    /// gradients in `grads` (`gradients/<name>`), as the options ask, with
    /// `commit = false`: they join the next committed row (log the step's
    /// metrics after this call). Returns how many histograms were logged.
    pub fn after_backward(&self, grads: &GradStore) -> Result<usize, WandbCandleError> {
        match self.inner.step() {
            Some(step) => self.fill(step, Some(grads)),
            None => Ok(0),
        }
    }

    /// Like [`Watcher::after_backward`] for a loop that counts its steps
    /// from 0: step `n` logs when `n + 1` is a multiple of `log_freq`.
    pub fn after_backward_at(
        &self,
        step: u64,
        grads: &GradStore,
    ) -> Result<usize, WandbCandleError> {
        match self.inner.step_at(step) {
            Some(s) => self.fill(s, Some(grads)),
            None => Ok(0),
        }
    }

    /// Counts one step and logs parameter histograms only (for code that
    /// has no gradients at hand).
    pub fn observe_parameters(&self) -> Result<usize, WandbCandleError> {
        match self.inner.step() {
            Some(step) => self.fill(step, None),
            None => Ok(0),
        }
    }

    /// The variables by name, sorted (the order the per-step cap keeps).
    fn vars(&self) -> Vec<(String, Var)> {
        // A poisoned lock only means another thread panicked while holding
        // it; the map itself is still usable for reading.
        let data = self
            .varmap
            .data()
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut vars: Vec<(String, Var)> =
            data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        drop(data);
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    fn fill(
        &self,
        mut step: WatchStep,
        grads: Option<&GradStore>,
    ) -> Result<usize, WandbCandleError> {
        let mut scratch = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        let scratch = &mut *scratch;
        for (name, var) in self.vars() {
            if !step.accepts(&name) {
                continue;
            }
            if step.wants_parameters() {
                add(&mut step, Kind::Parameter, &name, var.as_tensor(), scratch)?;
            }
            if let (true, Some(grads)) = (step.wants_gradients(), grads) {
                if let Some(g) = grads.get(var.as_tensor()) {
                    add(&mut step, Kind::Gradient, &name, g, scratch)?;
                }
            }
        }
        Ok(step.commit()?)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Parameter,
    Gradient,
}

/// Adds one histogram: small tensors as an owned host copy (binned on the
/// run's writer thread), large f32 CPU tensors read in place, other
/// large ones through the reused `scratch` buffer.
fn add(
    step: &mut WatchStep,
    kind: Kind,
    name: &str,
    t: &Tensor,
    scratch: &mut Vec<f32>,
) -> Result<bool, WandbCandleError> {
    if t.elem_count() <= DeferredHistogram::MAX_LEN {
        let mut err = None;
        let fetch = || to_host_f32(name, t).map_err(|e| err = Some(e)).ok();
        let added = match kind {
            Kind::Parameter => step.parameter_with(name, fetch),
            Kind::Gradient => step.gradient_with(name, fetch),
        };
        return match err {
            Some(e) => Err(e),
            None => Ok(added),
        };
    }
    with_host_f32(name, t, scratch, |values| match kind {
        Kind::Parameter => step.parameter(name, values),
        Kind::Gradient => step.gradient(name, values),
    })
}
