//! The testkit's error type.

use std::path::PathBuf;

/// What can go wrong in the testkit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Starting the run failed (the options are invalid, e.g. `resume` set
    /// on a capture run).
    #[error("cannot start the run: {0}")]
    Init(#[source] wandb_core::Error),
    /// A call on the run failed (`log`, `finish`, ...).
    #[error("the run failed: {0}")]
    Run(#[source] wandb_core::Error),
    /// A recorded file could not be read.
    #[error("cannot read the run's file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The fake server could not start.
    #[error("cannot start the fake W&B server: {0} (is 127.0.0.1 reachable?)")]
    Server(#[source] std::io::Error),
    /// A run could not be deleted from the server.
    #[error("cannot delete run {entity}/{project}/{run_id}: {reason}")]
    Cleanup {
        /// The run's entity.
        entity: String,
        /// The run's project.
        project: String,
        /// The run id.
        run_id: String,
        /// What the server answered.
        reason: String,
    },
    /// The API key given to the cleanup guard is malformed.
    #[error("invalid API key for the cleanup guard: {0}")]
    ApiKey(#[source] wandb_core::online::OnlineError),
}

impl From<wandb_core::Error> for Error {
    fn from(e: wandb_core::Error) -> Self {
        Error::Run(e)
    }
}

/// `Result` with the testkit's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
