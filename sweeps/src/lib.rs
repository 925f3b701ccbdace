//! # wandb-sweeps: W&B hyperparameter sweeps for wandb-rs
//!
//! - [`SweepConfig`]: the official sweep YAML/JSON, typed and validated
//!   against the schema of the official `sweeps` package.
//! - A local controller, no server needed: [`grid_next`] (the official
//!   order), [`random_next`] (every distribution; seeded draws equal the
//!   official package's for the same seed), [`bayes_next`] (Gaussian process,
//!   Matérn ν=1.5, expected improvement over 1000 random candidates) and
//!   [`hyperband_stop`] early termination; [`Controller`] ties them together.
//! - [`agent`]: runs any command per trial the way the official agent does
//!   (`${args}` macros, `WANDB_SWEEP_ID`, `WANDB_SWEEP_PARAM_PATH`, ...), and
//!   [`sweep_params_from_env`] reads the parameters back in the trial.
//! - `server` (feature `online`): server-driven sweeps, the W&B server
//!   choosing the parameters: `server::sweep` (`UpsertSweep`) and
//!   `server::agent` (`CreateAgent`, heartbeats, the `run`/`stop`/`exit`
//!   commands), as the official `wandb.sweep` and `wandb.agent`.
//!
//! ```
//! use wandb_sweeps::{Controller, SweepConfig};
//! let cfg = SweepConfig::from_yaml(
//!     "method: grid\nparameters:\n  lr: {values: [0.1, 0.01]}\n  bs: {values: [16, 32]}\n",
//! )?;
//! let mut ctl = Controller::new(cfg, 0);
//! let first = ctl.suggest()?.expect("a grid point");
//! assert_eq!(first["bs"]["value"], 16);
//! assert_eq!(first["lr"]["value"], 0.1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod agent;
mod bayes;
pub mod config;
mod controller;
mod gp;
mod hyperband;
pub mod params;
pub mod rng;
mod run;
mod search;
#[cfg(feature = "online")]
pub mod server;
pub mod special;

pub use agent::{run_sweep, sweep_params_from_env, AgentError, AgentOptions, TrialResult};
pub use bayes::{bayes_next, BayesInfo};
pub use config::{
    ConfigError, Distribution, Goal, Hyperband, Impute, Method, MetricSpec, Parameter, SweepConfig,
};
pub use controller::Controller;
pub use hyperband::hyperband_stop;
pub use run::{RunState, SweepRun};
pub use search::{grid_next, grid_points, random_next};

/// Why the controller cannot suggest a run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    /// The config asks for something this method cannot do.
    #[error("{0}")]
    Unsupported(String),
    /// A needed section is missing.
    #[error("the sweep config has no {0} section; add one")]
    Missing(&'static str),
}
