//! Server-driven sweeps (feature `online`): [`sweep`] creates a sweep on a
//! W&B server (`UpsertSweep`) and [`agent`] runs trials for it, with the
//! server choosing the parameters, as the official `wandb.sweep` and
//! `wandb.agent` do (spec A.3, A.4; docs/sweeps.md).
//!
//! ```no_run
//! use wandb_sweeps::server::{agent, sweep};
//! let config = serde_json::json!({
//!     "method": "grid",
//!     "metric": {"name": "loss", "goal": "minimize"},
//!     "parameters": {"lr": {"values": [0.1, 0.01]}},
//! });
//! let sweep_id = sweep(&config, "my-project")?;
//! let report = agent(&sweep_id, Some(2), |run| {
//!     let lr = run.config().get("lr").and_then(|v| v.as_f64()).unwrap_or(1e-3);
//!     for step in 0..100 {
//!         if run.should_stop() {
//!             break; // the server stopped this run
//!         }
//!         run.log(wandb_core::row! {"loss" => lr / (step as f64 + 1.0)})?;
//!     }
//!     Ok::<(), wandb_core::Error>(())
//! })?;
//! assert_eq!(report.runs.len(), 2);
//! # Ok::<(), wandb_sweeps::server::ServerError>(())
//! ```

mod agent;
mod gql;
mod heartbeat;
mod options;

use serde_json::{json, Value};
use wandb_core::online::{resolve_api_key, Client, RetryPolicy};

pub use agent::{agent, agent_with, AgentEnd, AgentReport, AgentRun, RunOutcome, RunRecord};
pub use options::ServerOptions;

/// Why a server sweep operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The sweep config is invalid (the key is named).
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// The config cannot be serialised to JSON.
    #[error("the sweep config cannot be serialised: {0}")]
    Serialize(String),
    /// The settings (base URL, API key, ...) cannot be resolved.
    #[error("cannot resolve the W&B settings for the sweep: {0}")]
    Settings(#[source] wandb_core::Error),
    /// A request failed (unreachable server, rejected key, GraphQL error).
    #[error(transparent)]
    Online(#[from] wandb_core::online::OnlineError),
    /// The server's answer lacks what the protocol needs.
    #[error("unexpected answer to {op}: {reason} (is the base URL a W&B server?)")]
    UnexpectedAnswer {
        /// The GraphQL operation.
        op: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The sweep id is not `id`, `project/id` or `entity/project/id`.
    #[error("invalid sweep id {0:?}: give `id`, `project/id` or `entity/project/id`")]
    InvalidSweepId(String),
    /// A file of the agent (the parameter file) cannot be written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Creates a sweep in `project` (the entity and server come from the
/// environment: `WANDB_BASE_URL`, `WANDB_API_KEY`, `WANDB_ENTITY`, netrc),
/// as the official `wandb.sweep(config, project=...)`, and returns its path
/// `entity/project/id` (what [`agent`] takes; the id alone when the server
/// does not say the entity and project).
/// `config` is anything that serialises to a sweep config object (a
/// `serde_json::Value`, a struct, a parsed YAML document).
pub fn sweep<C: serde::Serialize + ?Sized>(
    config: &C,
    project: &str,
) -> Result<String, ServerError> {
    sweep_with(config, &ServerOptions::new().project(project))
}

/// [`sweep`] with explicit options (entity, environment, base URL, ...).
pub fn sweep_with<C: serde::Serialize + ?Sized>(
    config: &C,
    options: &ServerOptions,
) -> Result<String, ServerError> {
    let value = serde_json::to_value(config).map_err(|e| ServerError::Serialize(e.to_string()))?;
    crate::SweepConfig::from_value(value.clone())?;
    let conn = Connection::open(options)?;
    // the official `wandb.Api()` asks Viewer; the entity sent is only the
    // configured one (else null: the server picks the key's default)
    let _ = conn.viewer();
    let project = options
        .project
        .clone()
        .or_else(|| {
            value
                .get("project")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .or_else(|| conn.settings.project.clone());
    let entity = options
        .entity
        .clone()
        .or_else(|| conn.settings.entity.clone());
    let yaml = config_yaml(&value)?;
    let vars = json!({
        "id": null, "config": yaml, "description": value.get("description").cloned().unwrap_or(Value::Null),
        "entityName": entity, "projectName": project, "controller": null,
        "launchScheduler": null, "templateVariableValues": "null", "scheduler": null,
        "priorRunsFilters": null, "displayName": null,
    });
    let data = conn.graphql("UpsertSweep", gql::UPSERT_SWEEP, vars)?;
    let sweep = data.pointer("/upsertSweep/sweep");
    let name = sweep
        .and_then(|s| s.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ServerError::UnexpectedAnswer {
            op: "UpsertSweep",
            reason: "no sweep name".into(),
        })?;
    let entity = sweep
        .and_then(|s| s.pointer("/project/entity/name"))
        .and_then(Value::as_str);
    let project = sweep
        .and_then(|s| s.pointer("/project/name"))
        .and_then(Value::as_str);
    if !conn.settings.silent {
        eprintln!("wandb: Created sweep with ID: {name}");
        if let (Some(e), Some(p)) = (entity, project) {
            eprintln!(
                "wandb: View sweep at: {}/{e}/{p}/sweeps/{name}",
                wandb_core::urls::app_url(&conn.settings.base_url)
            );
        }
    }
    // the official client returns the bare id and makes the entity and
    // project its process defaults, which its agent then uses; the path
    // carries them to `agent` instead
    Ok(match (entity, project) {
        (Some(e), Some(p)) => format!("{e}/{p}/{name}"),
        _ => name.to_string(),
    })
}

/// The sweep config as the official client sends it: YAML with sorted keys.
pub fn config_yaml(config: &Value) -> Result<String, ServerError> {
    // serde_json's map is sorted (no `preserve_order`), as `yaml.dump` sorts
    serde_yaml_ng::to_string(config).map_err(|e| ServerError::Serialize(e.to_string()))
}

/// A GraphQL connection with the resolved settings.
struct Connection {
    client: Client,
    settings: wandb_core::Settings,
}

impl Connection {
    fn open(options: &ServerOptions) -> Result<Self, ServerError> {
        let settings = options.init.resolve().map_err(ServerError::Settings)?;
        let key = resolve_api_key(settings.api_key.as_deref(), &settings.base_url)?;
        let client = Client::new(&settings.base_url, &key, RetryPolicy::default());
        Ok(Connection { client, settings })
    }

    fn graphql(&self, op: &'static str, query: &str, vars: Value) -> Result<Value, ServerError> {
        self.client
            .deadline
            .set(wandb_core::duration::deadline_after(gql::REQUEST_TIMEOUT));
        Ok(self.client.graphql(op, query, Some(vars))?)
    }

    /// `Viewer`, as the official `wandb.Api()` sends it: the API key's
    /// default entity (`None` when the query fails; later calls say why).
    fn viewer(&self) -> Option<String> {
        match self.graphql("Viewer", gql::VIEWER, Value::Null) {
            Ok(data) => data
                .pointer("/viewer/entity")
                .and_then(Value::as_str)
                .filter(|e| !e.is_empty())
                .map(str::to_string),
            Err(e) => {
                tracing::debug!(error = %e, "Viewer failed");
                None
            }
        }
    }
}
