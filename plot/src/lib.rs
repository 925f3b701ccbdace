//! W&B-native charts for wandb-rs: the equivalents of `wandb.plot.*`.
#![warn(missing_docs)]

mod classes;
mod confusion;
mod curves;
mod data;
mod error;
pub mod metrics;
mod series;
mod spec;

pub use classes::{ClassId, ClassLabel};
pub use confusion::{argmax_rows, confusion_matrix_data};
pub use curves::{pr_curve_data, roc_curve_data, CurveOptions};
pub use data::{ChartData, MAX_ROWS};
pub use error::{PlotError, Result};
pub use series::{line_series_data, Xs};
pub use spec::{ChartSpec, SPLIT_TABLE_SECTION};
