//! placeholder
pub use wandb_core::*;
