//! Errors of the tch integration.

/// What went wrong in `wandb-tch`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WandbTchError {
    /// Logging to the W&B run failed.
    #[error("W&B logging failed: {0}")]
    Wandb(#[from] wandb_core::Error),
    /// libtorch could not read a tensor back to the host for its histogram.
    #[error("cannot read tensor {name:?} back to the host for its histogram: {source}")]
    TensorRead {
        /// The variable's name in the `VarStore`.
        name: String,
        /// libtorch's error.
        #[source]
        source: tch::TchError,
    },
    /// A callback failed.
    #[error(transparent)]
    Callback(#[from] wandb_callbacks::CallbackError),
}
