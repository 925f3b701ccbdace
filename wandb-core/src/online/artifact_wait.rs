//! Waiting for an uploaded artifact (`artifact.wait()`, spec artifacts.md
//! §2.1, §2.8) and linking a version into the model registry
//! (`LinkArtifact`, what the official `run.link_model` sends).
//!
//! The uploader (live engine or `wandb-rs sync`) publishes the outcome of
//! each `artifact` record here under the record's `client_id`; a waiter
//! blocks on it, then asks the server for the version (`ArtifactByID`) as
//! the official client does after its `LogArtifactResponse`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};
use serde_json::{json, Value as JValue};

use super::error::{OnlineError, Result};
use super::http::Client;
use crate::artifact::CommittedArtifact;

/// How the upload of one `artifact` record ended.
#[derive(Clone)]
pub(crate) enum Uploaded {
    /// Committed (or de-duplicated to) this server id; the client asks the
    /// server for the version.
    Done { id: String, client: Arc<Client> },
    /// Not committed: what went wrong.
    Failed(String),
}

/// Outcomes kept for waiters that have not come yet (each is small; the
/// oldest are dropped first).
const KEPT: usize = 4096;

#[derive(Default)]
struct Registry {
    outcomes: HashMap<String, Uploaded>,
    order: VecDeque<String>,
}

fn registry() -> &'static (Mutex<Registry>, Condvar) {
    static R: OnceLock<(Mutex<Registry>, Condvar)> = OnceLock::new();
    R.get_or_init(|| (Mutex::new(Registry::default()), Condvar::new()))
}

/// Records how the upload of the draft `client_id` ended and wakes waiters.
pub(crate) fn publish(client_id: &str, outcome: Uploaded) {
    if client_id.is_empty() {
        return;
    }
    let (lock, cv) = registry();
    let mut r = lock.lock();
    if r.outcomes.insert(client_id.to_string(), outcome).is_none() {
        r.order.push_back(client_id.to_string());
    }
    while r.order.len() > KEPT {
        if let Some(old) = r.order.pop_front() {
            r.outcomes.remove(&old);
        }
    }
    cv.notify_all();
}

/// Waits until the outcome of `client_id` is published or `deadline` passes.
pub(crate) fn outcome(client_id: &str, deadline: Instant) -> Option<Uploaded> {
    let (lock, cv) = registry();
    let mut r = lock.lock();
    loop {
        if let Some(o) = r.outcomes.get(client_id) {
            return Some(o.clone());
        }
        if cv.wait_until(&mut r, deadline).timed_out() {
            return r.outcomes.get(client_id).cloned();
        }
    }
}

const ARTIFACT_BY_ID: &str = "query ArtifactByID($id: ID!) {
  artifact(id: $id) {
    id versionIndex digest state
    aliases { alias }
    artifactSequence { name }
  }
}";

/// The version with server id `id` (`ArtifactByID`).
pub fn artifact_by_id(client: &Client, id: &str) -> Result<CommittedArtifact> {
    let data = client.graphql("ArtifactByID", ARTIFACT_BY_ID, Some(json!({"id": id})))?;
    let a = data
        .get("artifact")
        .filter(|a| !a.is_null())
        .ok_or_else(|| OnlineError::ArtifactNotFound {
            reference: format!("id {id}"),
        })?;
    let text = |p: &str| a.pointer(p).and_then(JValue::as_str).unwrap_or("");
    Ok(CommittedArtifact {
        id: text("/id").to_string(),
        name: text("/artifactSequence/name").to_string(),
        version_index: a["versionIndex"].as_u64().unwrap_or(0),
        digest: text("/digest").to_string(),
        state: text("/state").to_string(),
        aliases: a["aliases"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|x| x["alias"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

const LINK: &str = "mutation LinkArtifact($input: LinkArtifactInput!) {
  result: linkArtifact(input: $input) { versionIndex }
}";

/// Links the version `artifact_id` into the collection `portfolio` of
/// `entity/project` (a registered model: project `model-registry`) with
/// `aliases` (the server moves `latest` itself); returns the version index
/// inside the collection. Variables as the official client's.
pub fn link_artifact(
    client: &Client,
    artifact_id: &str,
    entity: &str,
    project: &str,
    portfolio: &str,
    aliases: &[String],
) -> Result<u64> {
    let aliases: Vec<JValue> = aliases
        .iter()
        .map(|a| json!({"alias": a, "artifactCollectionName": portfolio}))
        .collect();
    let input = json!({"aliases": aliases, "artifactID": artifact_id,
        "artifactPortfolioName": portfolio, "entityName": entity, "projectName": project});
    let data = client.graphql("LinkArtifact", LINK, Some(json!({"input": input})))?;
    data.pointer("/result/versionIndex")
        .and_then(JValue::as_u64)
        .ok_or_else(|| OnlineError::GraphQl {
            op: "LinkArtifact".into(),
            message: "the server did not say which version the link became".into(),
        })
}

const COLLECTION_TYPE: &str =
    "query ArtifactMembershipByName($entity: String!, $project: String!, $name: String!) {
  project(name: $project, entityName: $entity) {
    artifactCollectionMembership(name: $name) { artifact { id artifactType { name } } }
  }
}";

/// The type of `entity/project/<name>:latest`, `None` when there is none
/// (what the official `link_model` looks up before logging).
pub fn latest_type(
    client: &Client,
    entity: &str,
    project: &str,
    name: &str,
) -> Result<Option<String>> {
    let data = client.graphql(
        "ArtifactMembershipByName",
        COLLECTION_TYPE,
        Some(json!({"entity": entity, "project": project, "name": format!("{name}:latest")})),
    )?;
    Ok(data
        .pointer("/project/artifactCollectionMembership/artifact/artifactType/name")
        .and_then(JValue::as_str)
        .map(str::to_string))
}
