//! Errors of the callbacks and of the loop driver.

/// A boxed error from user code (a checkpoint writer, a training step).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a callback or in [`crate::fit`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// Logging to the W&B run failed.
    #[error("W&B logging failed: {0}")]
    Wandb(#[from] wandb_core::Error),
    /// The user's checkpoint writer failed.
    #[error("writing the checkpoint of epoch {epoch} failed: {source}")]
    Checkpoint {
        /// Epoch (from 0) whose checkpoint failed.
        epoch: usize,
        /// The writer's error.
        #[source]
        source: BoxError,
    },
    /// The early-stopping restore hook failed.
    #[error("restoring the best weights (epoch {epoch}) failed: {source}")]
    Restore {
        /// The best epoch (from 0).
        epoch: usize,
        /// The hook's error.
        #[source]
        source: BoxError,
    },
    /// The monitored metric is missing from the epoch's metrics and the
    /// callback was set to require it.
    #[error("monitored metric {name:?} is not among the epoch metrics {available:?}; check the name (validation metrics carry a val_ prefix)")]
    MissingMetric {
        /// The monitored name.
        name: String,
        /// The names that were there.
        available: Vec<String>,
    },
    /// The training or validation step failed.
    #[error("the training loop failed in epoch {epoch}: {source}")]
    Step {
        /// Epoch (from 0) in which the step failed.
        epoch: usize,
        /// The step's error.
        #[source]
        source: BoxError,
    },
    /// Any other error raised by a user callback.
    #[error("{0}")]
    Other(BoxError),
}

impl CallbackError {
    /// Wraps any error raised by a user callback.
    pub fn other(e: impl Into<BoxError>) -> Self {
        CallbackError::Other(e.into())
    }
}
