//! Errors of the burn integration.

/// What went wrong in `wandb-burn`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WandbBurnError {
    /// Logging to the W&B run failed.
    #[error("W&B logging failed: {0}")]
    Wandb(#[from] wandb_core::Error),
    /// A tensor could not be read back to the host for a histogram.
    #[error("cannot read a tensor back to the host for its histogram: {0}")]
    TensorRead(String),
    /// A checkpoint could not be written or its directory read.
    #[error("cannot save or find a burn checkpoint: {0}")]
    Save(String),
    /// A callback failed.
    #[error(transparent)]
    Callback(#[from] wandb_callbacks::CallbackError),
}
