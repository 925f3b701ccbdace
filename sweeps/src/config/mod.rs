//! The sweep configuration: the official YAML/JSON format as typed values.
//!
//! Parsing follows the JSON schema of the official `sweeps` package
//! (`sweeps/config/schema.json`, 0.3.0): unknown keys are rejected, each
//! parameter takes the first distribution shape it matches, and the
//! defaults the package fills in (`goal: minimize`, `impute: worst`,
//! `eta: 3`, `strict: true`, `q: 1.0`, `mu: 0`, `sigma: 1`, `a`/`b: 1`) are
//! filled here too. Errors name the offending key (`parameters.lr.min`).

mod params;
mod parse;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

pub use parse::ConfigError;

/// A whole sweep configuration (`sweep.yaml`).
///
/// ```
/// let cfg = wandb_sweeps::SweepConfig::from_yaml(
///     "method: grid\nparameters:\n  lr:\n    values: [0.1, 0.01]\n",
/// )?;
/// assert_eq!(cfg.method, wandb_sweeps::Method::Grid);
/// # Ok::<(), wandb_sweeps::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct SweepConfig {
    /// Search method.
    pub method: Method,
    /// The metric to optimise (needed by bayes and hyperband).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricSpec>,
    /// Several metrics (only with `method: custom`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<MetricSpec>>,
    /// The search space, sorted by name (the official walk order); empty
    /// only with `scheduler.search_space`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    /// Hyperband early termination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_terminate: Option<Hyperband>,
    /// The most runs the sweep starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_cap: Option<u64>,
    /// The command line with macros (`${env}`, `${interpreter}`, `${program}`, `${args}`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<Value>>,
    /// The training script (`${program}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// Display name of the sweep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free-text description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Entity of the sweep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Project of the sweep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// `controller.type`: `local` or `cloud`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<Controller>,
    /// Launch job, image and scheduler settings, kept as given.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
    /// Deprecation warnings (v1 log distributions), like the server's
    /// `configValidationWarnings`; not part of the config itself.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Every combination, in the official order.
    Grid,
    /// Independent draws.
    Random,
    /// Gaussian-process Bayesian optimisation.
    Bayes,
    /// An external scheduler (not run by the local controller).
    Custom,
}

/// `controller`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Controller {
    /// `local` or `cloud`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `metric.goal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Smaller is better (the default).
    Minimize,
    /// Larger is better.
    Maximize,
}

/// `metric.impute` / `metric.impute_while_running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Impute {
    /// The run's last value.
    Latest,
    /// The run's best value.
    Best,
    /// The worst value over finished runs (the default).
    Worst,
    /// `impute_while_running: "false"`: running runs are not used as samples.
    False,
}

/// `metric`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct MetricSpec {
    /// The history/summary key.
    pub name: String,
    /// Direction.
    pub goal: Goal,
    /// The sweep finishes once a run reaches this value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Value used for failed runs in bayes search.
    pub impute: Impute,
    /// Value used for running runs in bayes search (`false`: none).
    pub impute_while_running: Impute,
}

/// `early_terminate` (hyperband).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Hyperband {
    /// Always `hyperband`.
    #[serde(rename = "type")]
    pub kind: String,
    /// First band (`min_iter·eta^k`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_iter: Option<u64>,
    /// Last band (with `s`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_iter: Option<u64>,
    /// Number of bands below `max_iter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s: Option<f64>,
    /// Band ratio (> 1, default 3).
    pub eta: f64,
    /// Compare the value at the band instead of the run's best so far.
    pub strict: bool,
}

/// A quantisation step `q`; an integer `q` makes the values integers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(into = "Value")]
pub struct Quantum {
    /// The step.
    pub q: f64,
    /// Whether `q` was written as an integer.
    pub integer: bool,
}

impl From<Quantum> for Value {
    fn from(q: Quantum) -> Value {
        if q.integer {
            Value::from(q.q as i64)
        } else {
            Value::from(q.q)
        }
    }
}

/// A number that remembers whether it was written as an integer (the
/// official package keeps Python ints and floats apart).
pub type Num = serde_json::Number;

/// One entry of `parameters`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Parameter {
    /// A distribution (including constants and value lists).
    Dist(Distribution),
    /// `parameters: {...}`: a nested dict of parameters.
    Nested {
        /// The nested parameters, sorted by name.
        parameters: BTreeMap<String, Parameter>,
    },
}

/// A parameter distribution, tagged by `distribution` as in the official schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Distribution {
    /// `value: x`.
    Constant { value: Value },
    /// `values: [...]`, drawn uniformly.
    Categorical { values: Vec<Value> },
    /// `values` with `probabilities` (same length, sum 1).
    CategoricalWProbabilities {
        values: Vec<Value>,
        probabilities: Vec<f64>,
    },
    /// Integers in `[min, max]`.
    IntUniform { min: i64, max: i64 },
    /// Reals in `[min, max]`.
    Uniform { min: Num, max: Num },
    /// `round(U(min,max)/q)·q`.
    QUniform { min: Num, max: Num, q: Quantum },
    /// `exp(U(min, max))` (deprecated v1: bounds are exponents).
    LogUniform { min: Num, max: Num },
    /// `exp(U(ln min, ln max))`.
    LogUniformValues { min: Num, max: Num },
    /// `exp(-U(min, max))` (deprecated v1).
    InvLogUniform { min: Num, max: Num },
    /// `1/x` with `x` log-uniform in `[1/max, 1/min]`.
    InvLogUniformValues { min: Num, max: Num },
    /// Quantised `log_uniform` (deprecated v1).
    QLogUniform { min: Num, max: Num, q: Quantum },
    /// Quantised `log_uniform_values`.
    QLogUniformValues { min: Num, max: Num, q: Quantum },
    /// `N(mu, sigma)`.
    Normal { mu: Num, sigma: Num },
    /// Quantised normal.
    QNormal { mu: Num, sigma: Num, q: Quantum },
    /// `exp(N(mu, sigma))`.
    LogNormal { mu: Num, sigma: Num },
    /// Quantised log-normal.
    QLogNormal { mu: Num, sigma: Num, q: Quantum },
    /// `Beta(a, b)`.
    Beta { a: Num, b: Num },
    /// Quantised beta.
    QBeta { a: Num, b: Num, q: Quantum },
}

impl SweepConfig {
    /// Parses YAML (JSON is YAML too) and validates it.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let value: Value =
            serde_yaml_ng::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        Self::from_value(value)
    }

    /// Parses JSON and validates it.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        Self::from_value(value)
    }

    /// Reads a `.yaml`, `.yml` or `.json` file.
    pub fn from_path(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Parse(format!("cannot read {}: {e}", path.display())))?;
        Self::from_yaml(&text)
    }

    /// Validates a parsed JSON value.
    pub fn from_value(value: Value) -> Result<Self, ConfigError> {
        parse::sweep_config(&value)
    }

    /// The config as JSON with the defaults filled in (the shape the
    /// official `SweepConfig(...)` returns).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl TryFrom<Value> for SweepConfig {
    type Error = ConfigError;
    fn try_from(v: Value) -> Result<Self, ConfigError> {
        Self::from_value(v)
    }
}

impl Distribution {
    /// The official schema name (`param_categorical`, `param_loguniform_v2`, ...).
    pub fn schema_name(&self) -> &'static str {
        use Distribution::*;
        match self {
            Constant { .. } => "param_single_value",
            Categorical { .. } => "param_categorical",
            CategoricalWProbabilities { .. } => "param_categorical_w_probabilities",
            IntUniform { .. } => "param_int_uniform",
            Uniform { .. } => "param_uniform",
            QUniform { .. } => "param_quniform",
            LogUniform { .. } => "param_loguniform",
            LogUniformValues { .. } => "param_loguniform_v2",
            InvLogUniform { .. } => "param_inv_loguniform",
            InvLogUniformValues { .. } => "param_inv_loguniform_v2",
            QLogUniform { .. } => "param_qloguniform",
            QLogUniformValues { .. } => "param_qloguniform_v2",
            Normal { .. } => "param_normal",
            QNormal { .. } => "param_qnormal",
            LogNormal { .. } => "param_lognormal",
            QLogNormal { .. } => "param_qlognormal",
            Beta { .. } => "param_beta",
            QBeta { .. } => "param_qbeta",
        }
    }
}
