//! # wandb-rs: Weights & Biases for Rust
//!
//! Experiment tracking that costs nothing on the training loop, never loses
//! a step, works offline, and writes files the official W&B tools accept.
//!
//! ```no_run
//! #[derive(serde::Serialize)]
//! struct Hp { lr: f64, epochs: u32 }
//!
//! let run = wandb::init(
//!     wandb::InitOptions::new()
//!         .project("demo")
//!         .config(&Hp { lr: 1e-3, epochs: 10 }),
//! )?;
//! for step in 0..1000 {
//!     let loss = 1.0 / (step as f64 + 1.0);
//!     run.log(wandb::row! {"loss" => loss, "acc" => 1.0 - loss})?;
//! }
//! run.summary().set("best_acc", 0.93)?;
//! run.finish()?; // also happens when the last handle is dropped
//! # Ok::<(), wandb::Error>(())
//! ```
//!
//! Everything in [`wandb_core`] is re-exported at the root. Rich values live
//! in [`data_types`] (also re-exported at the root: [`Image`], [`Table`],
//! [`Histogram`], ...), charts in [`plot`]; integrations are behind
//! features: `tensorboard`, `callbacks`, `burn`, `candle`, `gpu` (NVIDIA metrics),
//! `online` (on by default: online mode and sync), `sweeps` (hyperparameter
//! sweeps: [`sweeps`] is the `wandb-sweeps` crate, see docs/sweeps.md).
#![warn(missing_docs)]

pub use wandb_core::*;

/// Hyperparameter sweeps (feature `sweeps`): the sweep config, the local
/// controller (grid, random, bayes, hyperband) and the local agent.
#[cfg(feature = "sweeps")]
pub use wandb_sweeps as sweeps;

/// Server-driven sweeps (features `sweeps` and `online`): [`sweep`] creates
/// a sweep on the W&B server, [`agent`] trains the runs it hands out (see
/// [`sweeps::server`] and docs/sweeps.md).
#[cfg(all(feature = "sweeps", feature = "online"))]
pub use wandb_sweeps::server::{agent, agent_with, sweep, sweep_with};

/// Starts a run ([`wandb_core::init`]) and the integrations its settings
/// ask for: with the `tensorboard` feature, `InitOptions::sync_tensorboard(dir)`
/// mirrors that TensorBoard log directory into the run until it finishes.
///
/// ```no_run
/// let run = wandb::init(wandb::InitOptions::new().project("demo"))?;
/// run.log(wandb::row! {"loss" => 0.5})?;
/// # Ok::<(), wandb::Error>(())
/// ```
pub fn init(options: InitOptions) -> Result<Run> {
    let run = wandb_core::init(options)?;
    start_integrations(&run);
    Ok(run)
}

#[cfg(feature = "tensorboard")]
fn start_integrations(run: &Run) {
    // The watcher lives until the run finishes (it registers an on_finish
    // hook), so its handle can be dropped here.
    if let Err(e) = wandb_tensorboard::sync_from_settings(run) {
        tracing::warn!(error = %e, "cannot mirror the TensorBoard directory into the run");
    }
}

#[cfg(not(feature = "tensorboard"))]
fn start_integrations(run: &Run) {
    if let Some(dir) = &run.settings().sync_tensorboard {
        tracing::warn!(
            dir = %dir.display(),
            "sync_tensorboard is set but wandb-rs was built without the `tensorboard` feature; the directory is not mirrored"
        );
    }
}

/// The read API (runs on a W&B server: config, summary, history, files;
/// artifacts with their manifest and download),
/// also at [`online::Api`].
#[cfg(feature = "online")]
pub use wandb_core::online::{Api, ApiArtifact, ApiRun};

/// Rich values: images, tables, histograms, audio, video, HTML.
pub use wandb_data_types as data_types;
pub use wandb_data_types::{Audio, Histogram, Html, Image, Table, Video};

/// W&B-native charts (`wandb.plot.*`).
pub use wandb_plot as plot;

/// TensorBoard: mirror an event directory into a run, write event files.
#[cfg(feature = "tensorboard")]
pub use wandb_tensorboard as tensorboard;

/// Framework-neutral keras-like callbacks and `watch`.
#[cfg(feature = "callbacks")]
pub use wandb_callbacks as callbacks;
#[cfg(feature = "callbacks")]
pub use wandb_callbacks::{watch, WatchLog, WatchOptions};

/// The burn integration: `WandbMetricLogger`, `watch` of burn modules, checkpoints.
#[cfg(feature = "burn")]
pub use wandb_burn as burn;

/// The candle integration: `watch` of a `VarMap`, `WandbCallback` for
/// hand-written candle loops, safetensors checkpoints.
#[cfg(feature = "candle")]
pub use wandb_candle as candle;
