//! TensorBoard both ways for wandb-rs.
//!
//! - **Read** event files ([`EventFileReader`], [`read_events`]): TFRecord
//!   framing with masked CRC32C checks, incremental (a file still being
//!   written is read as it grows), corrupt records reported and skipped.
//! - **Write** event files ([`SummaryWriter`]) that `tensorboard --logdir`
//!   and TensorBoard's own loaders read: scalars, histograms, images, text.
//! - **Sync** a log directory into a run while training goes on
//!   ([`sync`]): events become W&B history rows exactly as the official
//!   client makes them with `sync_tensorboard=True` ([`convert`], [`group`]).
//! - **Mirror** what a run logs into an event directory
//!   ([`TensorBoardMirror`]) so `tensorboard --logdir` shows it locally.
//!
//! The messages are generated from our own `.proto` ([`proto`]) with the
//! official field numbers.
#![warn(missing_docs)]

pub mod convert;
mod encode;
mod error;
mod fastdecode;
pub mod framing;
pub mod group;
pub mod histogram;
mod mirror;
pub mod proto;
mod reader;
mod tensor;
mod watcher;
mod writer;

pub use error::{Error, Result};
pub use mirror::TensorBoardMirror;
pub use reader::{is_event_file_name, read_events, EventFileReader};
pub use watcher::{sync, sync_from_settings, sync_with, SyncOptions, TensorBoardSync};
pub use writer::{
    histogram_of, hostname, now_wall_time, png_info, SummaryWriter, WriterOptions, FILE_VERSION,
};
