//! The GraphQL documents of the read API, written for wandb-rs against the
//! W&B schema with the operation names and variables of the official public
//! API (`wandb.Api`), so a server answers both alike.

/// The run fields every read returns.
const RUN_FIELDS: &str = "fragment ApiRunFields on Run {
  id name displayName tags state config group jobType notes description
  summaryMetrics historyLineCount sweepName createdAt heartbeatAt
}";

/// One run by `entity/project/name`.
pub(crate) fn run() -> String {
    format!(
        "query Run($project: String!, $entity: String!, $name: String!) {{
  project(name: $project, entityName: $entity) {{
    run(name: $name) {{ projectId ...ApiRunFields }}
  }}
}}
{RUN_FIELDS}"
    )
}

/// A page of a project's runs (filters are a MongoDB-style JSON string).
pub(crate) fn runs() -> String {
    format!(
        "query Runs($project: String!, $entity: String!, $cursor: String, $perPage: Int = 50, $order: String, $filters: JSONString) {{
  project(name: $project, entityName: $entity) {{
    runCount(filters: $filters)
    runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {{
      edges {{ node {{ projectId ...ApiRunFields }} cursor }}
      pageInfo {{ endCursor hasNextPage }}
    }}
  }}
}}
{RUN_FIELDS}"
    )
}

/// The whole history, sampled by the server to at most `samples` rows
/// (each row a JSON string).
pub(crate) const FULL_HISTORY: &str =
    "query RunFullHistory($project: String!, $entity: String!, $name: String!, $samples: Int) {
  project(name: $project, entityName: $entity) {
    run(name: $name) { history(samples: $samples) }
  }
}";

/// Rows holding the spec's keys, sampled (each row an object).
pub(crate) const SAMPLED_HISTORY: &str = "query RunSampledHistory($project: String!, $entity: String!, $name: String!, $specs: [JSONString!]!) {
  project(name: $project, entityName: $entity) {
    run(name: $name) { sampledHistory(specs: $specs) }
  }
}";

/// The history keys and the last step.
pub(crate) const HISTORY_KEYS: &str =
    "query RunHistoryKeys($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) {
    run(name: $name) { historyKeys }
  }
}";

/// The rows with `minStep <= _step < maxStep`, at most `pageSize`.
pub(crate) const HISTORY_PAGE: &str = "query HistoryPage($entity: String!, $project: String!, $run: String!, $minStep: Int64!, $maxStep: Int64!, $pageSize: Int!) {
  project(name: $project, entityName: $entity) {
    run(name: $run) { history(minStep: $minStep, maxStep: $maxStep, samples: $pageSize) }
  }
}";

/// The rows holding the spec's keys within its (inclusive) step range.
pub(crate) const SAMPLED_HISTORY_PAGE: &str = "query SampledHistoryPage($entity: String!, $project: String!, $run: String!, $spec: JSONString!) {
  project(name: $project, entityName: $entity) {
    run(name: $run) { sampledHistory(specs: [$spec]) }
  }
}";

/// A page of a run's files.
pub(crate) const RUN_FILES: &str = "query RunFiles($project: String!, $entity: String!, $name: String!, $fileCursor: String, $fileLimit: Int = 50, $fileNames: [String] = [], $upload: Boolean = false, $pattern: String) {
  project(name: $project, entityName: $entity) {
    run(name: $name) {
      fileCount
      files(names: $fileNames, after: $fileCursor, first: $fileLimit, pattern: $pattern) {
        edges { node { id name url(upload: $upload) directUrl sizeBytes mimetype updatedAt md5 } cursor }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
}";

/// The entity of the API key's user.
pub(crate) const DEFAULT_ENTITY: &str = "query GetDefaultEntity {
  viewer { id entity }
}";
