//! `watch` for tch: histograms of a `VarStore`'s parameters and of their
//! gradients after `backward()`, keyed by the variables' names.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use tch::nn::{VarStore, Variables};
use tch::Tensor;
use wandb_callbacks::{DeferredHistogram, WatchOptions, WatchStep};
use wandb_core::Run;

use crate::error::WandbTchError;
use crate::host::{to_host_f32, with_host_f32_in};

/// Starts watching the variables of `vs` in `run` (the official
/// `run.watch(model, log=..., log_freq=...)`): returns the [`Watcher`] the
/// training loop calls once per step, after the backward pass.
///
/// The watcher shares the store's variable table, so variables created
/// after this call are watched too. Watched are the store's parameters (its
/// trainable variables, also when frozen), not its buffers (e.g. batch-norm
/// running statistics), as `named_parameters()` in PyTorch; in name order.
pub fn watch(run: &Run, vs: &VarStore, options: WatchOptions) -> Watcher {
    Watcher {
        inner: wandb_callbacks::watch(run, options),
        vars: Arc::clone(&vs.variables_),
        scratch: Arc::default(),
    }
}

/// A watched `VarStore`. `Clone + Send + Sync`; only the steps that log
/// copy tensors to the host.
#[derive(Clone)]
pub struct Watcher {
    inner: wandb_callbacks::Watcher,
    vars: Arc<Mutex<Variables>>,
    /// The host buffer large f16/bf16/f64 tensors are converted into,
    /// reused from step to step.
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
    /// The framework-neutral watcher inside (index, options, steps counted).
    pub fn inner(&self) -> &wandb_callbacks::Watcher {
        &self.inner
    }

    /// Counts one training step; on every `log_freq`-th call logs the
    /// histograms of the parameters (`parameters/<name>`) and of their
    /// gradients (`gradients/<name>`, from `t.grad()`; parameters without
    /// a gradient are skipped), as `WatchOptions::log` says. They join the
    /// next committed row (`commit = false`), so log the step's metrics
    /// after this call. Returns how many histograms were logged.
    ///
    /// Call it after `loss.backward()` (or `opt.backward_step(&loss)`) and
    /// before the gradients are zeroed.
    pub fn after_backward(&self) -> Result<usize, WandbTchError> {
        match self.inner.step() {
            Some(step) => self.fill_and_commit(step),
            None => Ok(0),
        }
    }

    /// Like [`Watcher::after_backward`] for a loop that counts its steps
    /// from 0: step `n` logs when `n + 1` is a multiple of `log_freq`.
    pub fn after_backward_at(&self, step: u64) -> Result<usize, WandbTchError> {
        match self.inner.step_at(step) {
            Some(s) => self.fill_and_commit(s),
            None => Ok(0),
        }
    }

    /// The watched parameters, by name, in name order (shallow clones:
    /// they share the store's data).
    pub fn parameters(&self) -> Vec<(String, Tensor)> {
        // A panic while another thread held the table leaves it readable.
        let vars = self.vars.lock().unwrap_or_else(PoisonError::into_inner);
        // Trainable variables are known by their data (a frozen parameter no
        // longer requires grad); `trainable_variables` has no names. Empty
        // tensors have no data pointer and no histogram either.
        let trainable: HashSet<usize> = vars
            .trainable_variables
            .iter()
            .map(|v| v.tensor.data_ptr() as usize)
            .filter(|&p| p != 0)
            .collect();
        let mut params: Vec<(String, Tensor)> = vars
            .named_variables
            .iter()
            .filter(|(_, t)| t.requires_grad() || trainable.contains(&(t.data_ptr() as usize)))
            .map(|(name, t)| (name.clone(), t.shallow_clone()))
            .collect();
        drop(vars);
        params.sort_by(|a, b| a.0.cmp(&b.0));
        params
    }

    fn fill_and_commit(&self, mut step: WatchStep) -> Result<usize, WandbTchError> {
        let mut scratch = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, tensor) in self.parameters() {
            if !step.accepts(&name) {
                continue;
            }
            let read_err = |source| WandbTchError::TensorRead {
                name: name.clone(),
                source,
            };
            if step.wants_parameters() {
                add(&mut step, Which::Parameter, &name, &tensor, &mut scratch).map_err(read_err)?;
            }
            if step.wants_gradients() {
                let grad = tensor.f_grad().map_err(read_err)?;
                add(&mut step, Which::Gradient, &name, &grad, &mut scratch).map_err(read_err)?;
            }
        }
        Ok(step.commit()?)
    }
}

/// Which histogram of a parameter.
#[derive(Clone, Copy)]
enum Which {
    Parameter,
    Gradient,
}

/// Adds the histogram of `t` to `step` (nothing for an undefined tensor):
/// a small tensor is copied and binned on the run's writer thread, a large
/// one binned here from libtorch's buffer, without a copy when it is a
/// contiguous f32 CPU tensor. Tensors are read only when the step takes them.
fn add(
    step: &mut WatchStep,
    which: Which,
    name: &str,
    t: &Tensor,
    scratch: &mut Vec<f32>,
) -> Result<(), tch::TchError> {
    if !t.defined() {
        return Ok(());
    }
    if t.numel() <= DeferredHistogram::MAX_LEN {
        let mut err = None;
        let fetch = || to_host_f32(t).map_err(|e| err = Some(e)).ok().flatten();
        match which {
            Which::Parameter => step.parameter_with(name, fetch),
            Which::Gradient => step.gradient_with(name, fetch),
        };
        return err.map_or(Ok(()), Err);
    }
    let add_slice = |step: &mut WatchStep, values: &[f32]| match which {
        Which::Parameter => step.parameter(name, values),
        Which::Gradient => step.gradient(name, values),
    };
    if step.accepts(name) {
        with_host_f32_in(t, scratch, |values| add_slice(step, values))?;
    } else {
        // Refused (cap): counted as skipped without reading the tensor.
        add_slice(step, &[]);
    }
    Ok(())
}
