//! Errors of reading and exporting runs.

use std::path::{Path, PathBuf};

/// What went wrong reading or exporting a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A run directory without a `run-*.wandb` file.
    #[error("{}: no run-*.wandb file in this directory (give a run directory such as wandb/offline-run-*, or a .wandb file)", .0.display())]
    NoRunFile(PathBuf),
    /// A run directory with several `run-*.wandb` files.
    #[error("{}: several run-*.wandb files in this directory; give the .wandb file to read", .0.display())]
    SeveralRunFiles(PathBuf),
    /// The file does not start with the `.wandb` header.
    #[error("{}: not a .wandb file: {reason}", path.display())]
    NotAWandbFile {
        /// The file.
        path: PathBuf,
        /// What was wrong with its header.
        reason: String,
    },
    /// The protobuf schema could not be loaded (a build problem).
    #[error("the record schema is unusable: {0}")]
    Schema(String),
    /// A value could not be encoded.
    #[error("cannot encode {what}: {reason}")]
    Encode {
        /// What was encoded.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// An export format that this build does not include.
    #[error("{0} export is not included in this build (rebuild with the `{0}` feature)")]
    FormatDisabled(&'static str),
    /// Bad export options.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn encode(what: impl Into<String>, reason: impl ToString) -> Self {
        Error::Encode {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;
