//! W&B integration for [burn](https://burn.dev) 0.22.
//!
//! - [`WandbMetricLogger`]: a `burn::train::logger::MetricLogger` for
//!   `SupervisedTraining::with_metric_logger`, sending every train and valid
//!   metric, a global step and the epoch, while keeping burn's checkpointing
//!   and early stopping working.
//! - [`Watcher`] / [`watch`]: gradient and parameter histograms of a burn
//!   module with the official `run.watch(model)` semantics, keys from the
//!   module's parameter paths (`gradients/fc1.weight`).
//! - [`WandbCallback`]: Keras-like callbacks (`wandb-callbacks`) for
//!   hand-written burn loops, with tensor-friendly methods.
//! - [`burnpack_checkpoint`] / [`LearnerCheckpoints`]: burn checkpoints
//!   (burnpack `.bpk`) logged as versions of the run's `model-<run id>`
//!   artifact (aliases `latest`, `epoch_<n>`, `best`).
#![warn(missing_docs)]

mod callback;
mod checkpoint;
mod error;
mod logger;
mod step_join;
mod watch;

/// The burn version this integration is built against (0.22.1), re-exported so
/// that examples and users can name the same types.
pub use burn;
pub use callback::WandbCallback;
pub use checkpoint::{burnpack_checkpoint, save_module, LearnerCheckpoints, ModelSlot};
pub use error::WandbBurnError;
pub use logger::WandbMetricLogger;
pub use wandb_callbacks::{WatchLog, WatchOptions};
pub use watch::{configure_watch, watch, Watcher};
