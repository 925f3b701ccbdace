//! `use_artifact` online (spec artifacts.md §3.1): the version is looked up
//! (`ArtifactMembershipByName`), the "used by" edge is created
//! (`UseArtifact`), and the run records a `use_artifact` record.

use serde_json::{json, Value as JValue};

use super::artifact_download::MEMBERSHIP;
use super::error::{OnlineError, Result};
use super::http::Client;
use crate::artifact::{ArtifactRef, UsedArtifact};

const USE: &str = "mutation UseArtifact($entityName: String!, $projectName: String!, $runName: String!, $artifactID: ID!, $artifactEntityName: String, $artifactProjectName: String) {
  useArtifact(input: {entityName: $entityName, projectName: $projectName, runName: $runName, artifactID: $artifactID, artifactEntityName: $artifactEntityName, artifactProjectName: $artifactProjectName}) {
    artifact { id digest }
  }
}";

/// Looks `reference` up (entity and project default to the run's) and
/// declares that run `run_id` of `entity/project` uses it.
pub fn use_artifact(
    client: &Client,
    reference: &ArtifactRef,
    entity: &str,
    project: &str,
    run_id: &str,
) -> Result<UsedArtifact> {
    let a_entity = reference.entity.as_deref().unwrap_or(entity);
    let a_project = reference.project.as_deref().unwrap_or(project);
    let not_found = || OnlineError::ArtifactNotFound {
        reference: format!(
            "{a_entity}/{a_project}/{}:{}",
            reference.name, reference.alias
        ),
    };
    let data = client.graphql(
        "ArtifactMembershipByName",
        MEMBERSHIP,
        Some(json!({"entity": a_entity, "project": a_project,
                    "name": format!("{}:{}", reference.name, reference.alias)})),
    )?;
    let m = data
        .pointer("/project/artifactCollectionMembership")
        .filter(|m| !m.is_null())
        .ok_or_else(not_found)?;
    let id = m
        .pointer("/artifact/id")
        .and_then(JValue::as_str)
        .ok_or_else(not_found)?
        .to_string();
    client.graphql(
        "UseArtifact",
        USE,
        Some(
            json!({"entityName": entity, "projectName": project, "runName": run_id,
                    "artifactID": id, "artifactEntityName": a_entity,
                    "artifactProjectName": a_project}),
        ),
    )?;
    Ok(UsedArtifact {
        reference: reference.clone(),
        id,
        r#type: m
            .pointer("/artifact/artifactType/name")
            .and_then(JValue::as_str)
            .unwrap_or("")
            .to_string(),
        version: format!("v{}", m["versionIndex"].as_u64().unwrap_or(0)),
    })
}
