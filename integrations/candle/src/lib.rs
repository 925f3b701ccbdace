//! W&B integration for [candle](https://github.com/huggingface/candle) 0.11.
//!
//! candle has no trainer: training loops are written by hand. This crate
//! plugs wandb-rs into such a loop.
//!
//! - [`watch`] / [`Watcher`]: gradient and parameter histograms of the
//!   variables of a `VarMap`, with the official `run.watch(model)` semantics
//!   (keys `gradients/<name>`, `parameters/<name>`, 64 bins, `log_freq`,
//!   `graph_<n>`), from tensors of any dtype and device.
//! - [`WandbCallback`]: drives the Keras-like callbacks of `wandb-callbacks`
//!   ([`wandb_callbacks::WandbCallback`], `EarlyStopping`,
//!   `LearningRateLogger`, `ModelCheckpoint`) from a hand-written loop, with
//!   `watch` built in; [`safetensors_checkpoint`] saves through
//!   `VarMap::save`, [`restore_best_weights`] snapshots the best epoch.
//! - [`tensor_histogram`], [`to_host_f32`]: the tensor-to-host helpers.
#![warn(missing_docs)]

mod callback;
mod checkpoint;
mod error;
mod tensor;
mod watch;

pub use callback::WandbCallback;
/// The candle crates this integration is built against (0.11.1), re-exported
/// so that examples and users can name the same types.
pub use candle_core;
pub use candle_nn;
pub use checkpoint::{restore_best_weights, safetensors_checkpoint};
pub use error::WandbCandleError;
pub use tensor::{read_f32_into, tensor_histogram, to_host_f32, with_host_f32};
pub use wandb_callbacks::{WatchLog, WatchOptions};
pub use watch::{watch, Watcher};
