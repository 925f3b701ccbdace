//! W&B-native charts for wandb-rs: the equivalents of `wandb.plot.*`
//! (`line`, `scatter`, `bar`, `histogram`, `line_series`,
//! `confusion_matrix`, `roc_curve`, `pr_curve`).
//!
//! Each builder returns a [`Chart`]: a `wandb_data_types::Table` plus the
//! chart definition. Logging it as `key` writes what the official client
//! writes for `run.log({key: chart})`: the table under the history key
//! `<key>_table` (a `table-file` value with its `run_table` artifact) and the
//! chart definition in the config at `_wandb.visualize.<key>`.
//!
//! ```no_run
//! use wandb_core::{init, InitOptions};
//! use wandb_plot::{ChartRunExt, CurveOptions};
//!
//! let run = init(InitOptions::new().project("demo"))?;
//! let y_true = [0, 1, 1, 0];
//! let probas = [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]];
//! let opts = CurveOptions::new().labels(["neg", "pos"]);
//! run.log_chart("roc", wandb_plot::roc_curve(&y_true, &probas, &opts)?)?;
//! run.log_chart("pr", wandb_plot::pr_curve(&y_true, &probas, &opts)?)?;
//! run.log_chart("cm", wandb_plot::confusion_matrix_from_probs(&y_true, &probas, Some(&["neg", "pos"]))?)?;
//! run.finish()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The ROC and PR curves are computed natively with the same thresholds and
//! outputs as scikit-learn ([`metrics`]). See `docs/plots.md` for the
//! compatibility notes.
#![warn(missing_docs)]

mod chart;
mod charts;
mod classes;
mod confusion;
mod curves;
mod data;
mod error;
pub mod metrics;
mod resample;
mod series;
mod spec;

pub use chart::{Chart, ChartRowExt, ChartRunExt};
pub use charts::{
    bar, confusion_matrix, confusion_matrix_from_probs, histogram, line, line_series, pr_curve,
    roc_curve, scatter,
};
pub use classes::{ClassId, ClassLabel};
pub use confusion::{argmax_rows, confusion_matrix_data};
pub use curves::{pr_curve_data, roc_curve_data, CurveOptions};
pub use data::{ChartData, MAX_ROWS};
pub use error::{PlotError, Result};
pub use series::{line_series_data, Xs};
pub use spec::{ChartSpec, SPLIT_TABLE_SECTION};
