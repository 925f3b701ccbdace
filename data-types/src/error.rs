//! Errors raised while building rich values.

use std::path::PathBuf;

/// Why a rich value could not be built. Every message says what was wrong
/// and what to do instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The pixel/sample buffer does not match the stated shape.
    #[error("{what}: buffer has {actual} elements but the shape needs {expected}; pass a buffer of exactly width*height*channels (or samples*channels) elements")]
    ShapeMismatch {
        /// Which constructor was called.
        what: &'static str,
        /// Elements the shape needs.
        expected: usize,
        /// Elements given.
        actual: usize,
    },
    /// A dimension is zero or too large.
    #[error("invalid dimensions {width}x{height}: {reason}")]
    InvalidDimensions {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// An argument is out of its allowed range or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// Encoding or decoding an image failed.
    #[error("image codec error: {0}")]
    Image(#[from] image::ImageError),
    /// Encoding a WAV file failed.
    #[error("WAV encoding error: {0}")]
    Wav(#[from] hound::Error),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A table row does not fit the table.
    #[error("table: {0}")]
    Table(String),
}

/// Result of the constructors in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for wandb_core::Error {
    fn from(e: Error) -> Self {
        wandb_core::Error::InvalidValue(e.to_string())
    }
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
