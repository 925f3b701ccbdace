//! The GraphQL documents wandb-rs sends (spec §6.2), written for wandb-rs
//! against the W&B schema: same operation names, variables and selections
//! as the official client, so servers treat both alike.

/// Creates or updates a run.
pub const UPSERT_BUCKET: &str = "mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $groupName: String, $description: String, $displayName: String, $notes: String, $commit: String, $config: JSONString, $host: String, $debug: Boolean, $program: String, $repo: String, $jobType: String, $state: String, $sweep: String, $tags: [String!], $summaryMetrics: JSONString) {
  upsertBucket(input: {id: $id, name: $name, groupName: $groupName, modelName: $project, entityName: $entity, description: $description, displayName: $displayName, notes: $notes, config: $config, commit: $commit, host: $host, debug: $debug, jobProgram: $program, jobRepo: $repo, jobType: $jobType, state: $state, sweep: $sweep, tags: $tags, summaryMetrics: $summaryMetrics}) {
    bucket { id name displayName description config sweepName project { id name entity { id name } } historyLineCount }
    inserted
  }
}";

/// The server's feature flags.
pub const SERVER_FEATURES: &str = "query ServerFeaturesQuery {
  serverInfo { features { name isEnabled } }
}";

/// Upload URLs for run files.
pub const CREATE_RUN_FILES: &str = "mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID uploadHeaders files { name uploadUrl }
  }
}";

/// What the server has of an existing run (resume).
pub const RUN_RESUME_STATUS: &str = "query RunResumeStatus($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) {
    id name entity { id name }
    bucket(name: $name, missingOk: true) {
      id name summaryMetrics displayName logLineCount historyLineCount eventsLineCount historyTail eventsTail config tags notes wandbConfig(keys: [\"t\"])
    }
  }
}";

/// A scriptable alert (`run.alert`).
pub const NOTIFY_ALERT: &str = "mutation NotifyScriptableRunAlert($entityName: String!, $projectName: String!, $runName: String!, $title: String!, $text: String!, $severity: AlertSeverity = INFO, $waitDuration: Duration) {
  notifyScriptableRunAlert(input: {entityName: $entityName, projectName: $projectName, runName: $runName, title: $title, text: $text, severity: $severity, waitDuration: $waitDuration}) {
    success
  }
}";

/// The user behind the API key (validates the key, gives the default entity).
pub const VIEWER: &str = "query Viewer {
  viewer { id entity username email flags teams { edges { node { name } } } }
}";

/// Whether the run was stopped from the web UI (polled while live).
pub const RUN_STOPPED_STATUS: &str =
    "query RunStoppedStatus($entityName: String, $projectName: String, $runId: String!) {
  project(name: $projectName, entityName: $entityName) {
    run(name: $runId) {
      stopped
    }
  }
}";
