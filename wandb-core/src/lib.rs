//! Core of wandb-rs, the Rust client for Weights & Biases.
//!
//! Most users depend on the `wandb-rs` facade (imported as `wandb`), which
//! re-exports everything here. This crate holds the [`Run`], its
//! [`Settings`], the record schema ([`proto`]), the `.wandb` transaction log
//! ([`store`]) and the writer thread that keeps [`Run::log`] off the disk.
#![warn(missing_docs)]

pub mod error;
pub mod json;
pub mod media;
pub mod proto;
mod row;
pub mod store;
pub mod system;
mod value;

pub use error::{Error, Result};
pub use media::{Media, MediaContext, MediaFile, MediaStep, RunInfo};
pub use row::{IntoRow, Row, RESERVED_OVERRIDABLE_KEYS};
pub use value::{Map, Value};
