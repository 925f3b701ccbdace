//! The GraphQL documents of the sweep protocol (spec A.3, A.4), written for
//! wandb-rs against the W&B schema: the operation names, variables and
//! selections of the official client.

use std::time::Duration;

/// How long one request may keep retrying (the official heartbeat timeout).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The user behind the API key (its default entity).
pub const VIEWER: &str = "query Viewer {
  viewer { id entity username email flags teams { edges { node { name } } } }
}";

/// Creates (or updates) a sweep: the newest of the official variants.
pub const UPSERT_SWEEP: &str = "mutation UpsertSweep($id: ID, $config: String, $description: String, $entityName: String, $projectName: String, $controller: JSONString, $launchScheduler: JSONString, $templateVariableValues: JSONString, $scheduler: JSONString, $state: String, $priorRunsFilters: JSONString, $displayName: String) {
  upsertSweep(input: {id: $id, config: $config, description: $description, entityName: $entityName, projectName: $projectName, controller: $controller, launchScheduler: $launchScheduler, templateVariableValues: $templateVariableValues, scheduler: $scheduler, state: $state, priorRunsFilters: $priorRunsFilters, displayName: $displayName}) {
    sweep { name project { id name entity { id name } } }
    configValidationWarnings
  }
}";

/// Registers an agent of a sweep.
pub const CREATE_AGENT: &str = "mutation CreateAgent($host: String!, $projectName: String, $entityName: String, $sweep: String!) {
  createAgent(input: {host: $host, projectName: $projectName, entityName: $entityName, sweep: $sweep}) {
    agent { id }
  }
}";

/// Reports the agent's runs and receives commands (a JSON string holding a list).
pub const HEARTBEAT: &str =
    "mutation Heartbeat($id: ID!, $metrics: JSONString, $runState: JSONString) {
  agentHeartbeat(input: {id: $id, metrics: $metrics, runState: $runState}) {
    agent { id }
    commands
  }
}";
