//! Typed errors of the TensorBoard integration.

use std::path::PathBuf;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, writing or syncing
/// TensorBoard event files. Each message names the file and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be opened, read, created or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "cannot read event file".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A record of an event file failed its checksum or could not be
    /// decoded. The reader has skipped it: calling it again continues with
    /// the next record.
    #[error("corrupt record in TensorBoard event file {path} at byte offset {offset}: {reason}; the record was skipped and reading continues after it")]
    CorruptRecord {
        /// The event file.
        path: PathBuf,
        /// Byte offset of the record's frame in the file.
        offset: u64,
        /// What was wrong (CRC mismatch, undecodable Event, ...).
        reason: String,
    },
    /// A value cannot be written to an event file (e.g. an image whose
    /// pixel buffer does not match its dimensions).
    #[error("invalid value for tag {tag:?}: {reason}")]
    InvalidValue {
        /// The TensorBoard tag.
        tag: String,
        /// What was wrong and what is expected.
        reason: String,
    },
    /// The directory watcher could not be started.
    #[error("cannot watch TensorBoard log directory {path}: {reason}")]
    Watch {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An error from the W&B run the events are mirrored into.
    #[error(transparent)]
    Run(#[from] wandb_core::Error),
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
