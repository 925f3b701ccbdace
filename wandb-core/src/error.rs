//! Typed errors of wandb-rs.

use std::path::PathBuf;

/// The result type of every fallible wandb-rs call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in wandb-rs. Each message says what was wrong
/// and, where there is one, what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be created, written or read.
    #[error("{action} {path}: {source}")]
    Io {
        /// What wandb-rs was doing, e.g. "cannot create run directory".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A key in a logged row, the config or the summary is not allowed.
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey {
        /// The offending key.
        key: String,
        /// Why it is rejected and what to use instead.
        reason: &'static str,
    },
    /// A value cannot be logged (wrong shape or not serialisable).
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// A row was logged with a step lower than the run's current step.
    #[error("step {given} is lower than the current step {current}: W&B history steps must not decrease; log without an explicit step or use a step >= {current}")]
    StepDecreased {
        /// The step passed by the caller.
        given: u64,
        /// The run's current step.
        current: u64,
    },
    /// The writer queue was full and the overflow policy is to drop rows.
    #[error("the log queue is full ({capacity} entries): the row was dropped ({dropped} dropped so far); raise Settings::queue_capacity or use OverflowPolicy::Block")]
    QueueFull {
        /// The queue capacity.
        capacity: usize,
        /// Rows dropped so far.
        dropped: u64,
    },
    /// The run was already finished; nothing more can be logged to it.
    #[error("the run is finished: call wandb::init for a new run")]
    Finished,
    /// The writer thread failed; the message says why. Data logged before the
    /// failure is in the run directory.
    #[error("the run's writer thread failed: {0}")]
    Writer(String),
    /// A setting has a value that cannot be used.
    #[error("invalid setting {name}: {reason}")]
    InvalidSetting {
        /// Name of the setting (or environment variable).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `.wandb` file is not valid.
    #[error("corrupt .wandb data at offset {offset}: {reason}")]
    Corrupt {
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The feature is not available in this build or mode.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The `resume` setting refuses to start this run (nothing was written).
    #[error("run {run_id} {location} {}", .conflict.explain())]
    Resume {
        /// The run id.
        run_id: String,
        /// Where the run was looked up, e.g. "(mock-entity/proj on http://...)".
        location: String,
        /// What the setting forbids.
        conflict: crate::resume::ResumeConflict,
    },
    /// An artifact, alias or artifact file is not valid (see the inner error).
    #[error(transparent)]
    Artifact(#[from] crate::artifact::ArtifactError),
    /// `finish()` did not complete within its timeout.
    #[error("finish timed out after {0:?}; the run directory is kept and can be synced later")]
    FinishTimeout(std::time::Duration),
}

impl Error {
    /// Builds an [`Error::Io`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
