//! [`CleanupGuard`]: deletes the runs a test created on a W&B server (fake
//! or real) when it drops, even when the test panics.

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{json, Value};
use wandb_core::online::{ApiKey, Client, RetryPolicy};
use wandb_core::Run;

use crate::error::{Error, Result};

/// The official public API's run lookup, selecting the storage id.
const RUN_QUERY: &str = "query Run($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) { id } }
}";
/// The official `Run.delete` mutation.
const DELETE_RUN: &str = "mutation DeleteRun($id: ID!, $deleteArtifacts: Boolean) {
  deleteRun(input: {id: $id, deleteArtifacts: $deleteArtifacts}) { clientMutationId }
}";
const VIEWER: &str = "query Viewer { viewer { id entity } }";

/// How long one cleanup may retry a server that answers with errors.
const CLEANUP_BUDGET: Duration = Duration::from_secs(30);

/// Deletes every run it tracks — and the artifacts those runs logged — from
/// the server when it drops, also while a panicking test unwinds. Create it
/// **before** the runs (locals drop in reverse order, so the runs finish
/// first) and [`track`](CleanupGuard::track) each run right after `init`.
///
/// It uses the official `DeleteRun` GraphQL mutation with
/// `deleteArtifacts: true`, so it works against the fake server and a real
/// one. Failures in `drop` are printed to stderr; call
/// [`cleanup`](CleanupGuard::cleanup) to get them as errors.
///
/// ```
/// use wandb_testkit::FakeWandb;
///
/// let server = FakeWandb::start()?;
/// {
///     let guard = server.cleanup_guard()?;
///     let run = wandb_core::init(server.init_options().project("p").id("tmp1"))?;
///     guard.track(&run);
///     run.log(serde_json::json!({"x": 1}))?;
///     run.finish()?;
///     assert_eq!(server.runs().len(), 1);
/// } // the guard drops: the run is deleted
/// assert!(server.runs().is_empty());
/// # Ok::<(), wandb_testkit::Error>(())
/// ```
pub struct CleanupGuard {
    client: Client,
    runs: Mutex<Vec<Tracked>>,
}

#[derive(Debug, Clone)]
struct Tracked {
    entity: String,
    project: String,
    run_id: String,
}

impl CleanupGuard {
    /// A guard for the server at `base_url` (e.g. `https://api.wandb.ai`)
    /// using `api_key`.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self> {
        let key = ApiKey::new(api_key).map_err(Error::ApiKey)?;
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
        };
        Ok(CleanupGuard {
            client: Client::new(base_url, &key, policy),
            runs: Mutex::new(Vec::new()),
        })
    }

    /// Deletes `run` at drop (its entity, project and id; an empty entity
    /// means the API key's default entity).
    pub fn track(&self, run: &Run) {
        let info = run.info();
        self.track_run(&info.entity, &info.project, &info.run_id);
    }

    /// Deletes the run `entity/project/run_id` at drop.
    pub fn track_run(&self, entity: &str, project: &str, run_id: &str) {
        self.runs.lock().push(Tracked {
            entity: entity.to_owned(),
            project: project.to_owned(),
            run_id: run_id.to_owned(),
        });
    }

    /// Deletes every tracked run now and forgets it; returns how many were
    /// deleted. A run the server does not have counts as deleted already.
    /// On failure the runs that could not be deleted stay tracked.
    pub fn cleanup(&self) -> std::result::Result<usize, Vec<Error>> {
        let tracked = std::mem::take(&mut *self.runs.lock());
        self.client.deadline.set(Instant::now() + CLEANUP_BUDGET);
        let mut default_entity: Option<String> = None;
        let mut deleted = 0;
        let mut errors = Vec::new();
        let mut failed = Vec::new();
        for t in tracked {
            match self.delete(&t, &mut default_entity) {
                Ok(()) => deleted += 1,
                Err(e) => {
                    errors.push(e);
                    failed.push(t);
                }
            }
        }
        self.client.deadline.clear();
        if errors.is_empty() {
            Ok(deleted)
        } else {
            self.runs.lock().extend(failed);
            Err(errors)
        }
    }

    fn delete(&self, t: &Tracked, default_entity: &mut Option<String>) -> Result<()> {
        let fail = |reason: String| Error::Cleanup {
            entity: t.entity.clone(),
            project: t.project.clone(),
            run_id: t.run_id.clone(),
            reason,
        };
        let entity = if t.entity.is_empty() {
            match default_entity {
                Some(e) => e.clone(),
                None => {
                    let data = self
                        .client
                        .graphql("Viewer", VIEWER, None)
                        .map_err(|e| fail(format!("cannot find the default entity: {e}")))?;
                    let e = data["viewer"]["entity"]
                        .as_str()
                        .ok_or_else(|| fail("the server names no default entity".into()))?
                        .to_owned();
                    *default_entity = Some(e.clone());
                    e
                }
            }
        } else {
            t.entity.clone()
        };
        let vars = json!({"project": t.project, "entity": entity, "name": t.run_id});
        let data = self
            .client
            .graphql("Run", RUN_QUERY, Some(vars))
            .map_err(|e| fail(e.to_string()))?;
        let Some(id) = data["project"]["run"]["id"].as_str() else {
            return Ok(()); // never uploaded or already deleted
        };
        let vars = json!({"id": id, "deleteArtifacts": true});
        let data = self
            .client
            .graphql("DeleteRun", DELETE_RUN, Some(vars))
            .map_err(|e| fail(e.to_string()))?;
        if data.get("deleteRun").is_none_or(Value::is_null) {
            return Err(fail("the server did not confirm the deletion".into()));
        }
        Ok(())
    }
}

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        if let Err(errors) = self.cleanup() {
            for e in errors {
                eprintln!("wandb-testkit: {e}");
            }
        }
    }
}

impl std::fmt::Debug for CleanupGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CleanupGuard")
            .field("base_url", &self.client.base_url())
            .field("runs", &self.runs.lock().len())
            .finish()
    }
}
