//! Core of wandb-rs, the Rust client for Weights & Biases.
//!
//! Most users depend on the `wandb-rs` facade (imported as `wandb`), which
//! re-exports everything here. This crate holds the [`Run`], its
//! [`Settings`], the record schema ([`proto`]), the `.wandb` transaction log
//! ([`store`]) and the writer thread that keeps [`Run::log`] off the disk.
//!
//! ```no_run
//! use wandb_core::{init, row, InitOptions};
//! let run = init(InitOptions::new().project("demo"))?;
//! for step in 0..10 {
//!     run.log(row! {"loss" => 1.0 / (step as f64 + 1.0)})?;
//! }
//! run.summary().set("best_acc", 0.93)?;
//! run.finish()?;
//! # Ok::<(), wandb_core::Error>(())
//! ```
#![warn(missing_docs)]

pub mod artifact;
mod background;
pub mod console;
pub mod credentials;
mod diag;
pub mod distributed;
pub mod duration;
mod environment;
pub mod error;
mod history_encode;
mod init;
pub mod json;
pub mod media;
mod metric;
#[cfg(feature = "online")]
pub mod online;
pub mod proto;
mod queue;
pub mod resume;
mod row;
mod row_items;
mod row_pool;
mod run;
mod run_dir;
pub mod settings;
pub mod store;
mod summary_dirty;
mod summary_stash;
pub mod sweep;
pub mod system;
pub mod terminal;
mod tree;
pub mod urls;
mod value;
mod worker;

pub use artifact::{
    Artifact, ArtifactEntry, ArtifactError, ArtifactRef, CheckpointManager, CommittedArtifact,
    LinkedModel, LoggedArtifact, LoggedCheckpoint, UsedArtifact,
};
pub use error::{Error, Result};
pub use init::InitOptions;
pub use media::{Media, MediaContext, MediaFile, MediaStep, RunInfo};
pub use metric::{Goal, MetricDefinition, MetricSummary};
pub use resume::{ResumeConflict, ResumeState};
pub use row::{IntoRow, Row, RowKey, RESERVED_OVERRIDABLE_KEYS};
pub use run::{
    init, init_with_sink, AlertLevel, CodeOptions, Config, FinishReport, LogOptions, Run,
    SavePolicy, Summary, WeakRun, VERSION,
};
pub use run_dir::generate_run_id;
pub use settings::{Console, Mode, OverflowPolicy, Resume, Settings, StepPolicy};
pub use value::{Map, Value};
