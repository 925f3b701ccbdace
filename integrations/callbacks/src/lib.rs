//! Framework-neutral training-loop integration for wandb-rs.
//!
//! - Keras-like [`Callback`]s driven by any loop (or by the small [`fit`]
//!   driver through [`TrainTask`]): [`WandbCallback`] (batch and epoch
//!   metrics, best value in the summary), [`ModelCheckpoint`],
//!   [`EarlyStopping`], [`LearningRateLogger`], combined with [`CallbackList`].
//! - [`watch`]: gradient and parameter histograms with the official client's
//!   semantics (keys, 64-bin `torch.histc` rules, `log_freq`, `graph_<n>`
//!   prefix, joined to the next committed row), plus a name filter and a
//!   per-step cap.
//! - [`TensorHistogram`]: the histogram of a host `&[f32]` (two passes, no copy).
//!
//! Framework adapters (e.g. `wandb-burn`) build on these.
#![warn(missing_docs)]

mod callback;
mod checkpoint;
mod early_stopping;
mod error;
mod fit;
pub mod histogram;
mod lr_logger;
mod monitor;
mod wandb_callback;
mod watch;

pub use callback::{Callback, CallbackList, Metrics, TrainState};
pub use checkpoint::{CheckpointRequest, ModelCheckpoint, SavedCheckpoint};
pub use early_stopping::EarlyStopping;
pub use error::{BoxError, CallbackError};
pub use fit::{fit, CallbackDriver, FitReport, TrainTask};
pub use histogram::{DeferredHistogram, TensorHistogram};
pub use lr_logger::{Interval, LearningRateLogger};
pub use monitor::{Mode, Monitor};
pub use wandb_callback::{WandbCallback, STOPPED_FROM_WANDB};
pub use watch::{watch, NameFilter, WatchLog, WatchOptions, WatchStep, Watcher};
