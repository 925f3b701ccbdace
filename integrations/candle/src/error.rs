//! Errors of the candle integration.

/// What went wrong in `wandb-candle`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WandbCandleError {
    /// Logging to the W&B run failed.
    #[error("W&B logging failed: {0}")]
    Wandb(#[from] wandb_core::Error),
    /// A tensor could not be converted to `f32` or copied to the host.
    #[error("cannot read tensor {name:?} back to the host as f32 (dtype {dtype}): {source}")]
    TensorRead {
        /// The variable's name (or `loss`).
        name: String,
        /// The tensor's dtype.
        dtype: String,
        /// candle's error.
        #[source]
        source: Box<candle_core::Error>,
    },
    /// A callback failed.
    #[error(transparent)]
    Callback(#[from] wandb_callbacks::CallbackError),
}
