//! `keep_latest`: deletes old versions of an artifact on the server, the
//! cleanup the official clients' users script with `Api().artifacts(...)`
//! and `delete(delete_aliases=True)` (spec artifacts.md §4): list the
//! committed versions (`ProjectArtifacts`), keep the newest `n` by version
//! index, and delete the others (`DeleteArtifact`, `deleteAliases: true`)
//! except those holding a protected alias.

use serde_json::{json, Value as JValue};

use super::error::{OnlineError, Result};
use super::http::Client;

const LIST: &str = "query ProjectArtifacts($entity: String!, $project: String!, $type: String!, $collection: String!, $cursor: String, $perPage: Int, $filters: JSONString) {
  project(entityName: $entity, name: $project) {
    artifactType(name: $type) {
      artifactCollection(name: $collection) {
        artifacts(after: $cursor, first: $perPage, filters: $filters) {
          pageInfo { endCursor hasNextPage }
          edges { node { id versionIndex aliases { alias } } }
        }
      }
    }
  }
}";

const DELETE: &str = "mutation DeleteArtifact($input: DeleteArtifactInput!) {
  result: deleteArtifact(input: $input) { artifact { id } }
}";

/// One committed version of an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactVersion {
    /// The server id.
    pub id: String,
    /// `v<index>`.
    pub version: String,
    /// Its aliases.
    pub aliases: Vec<String>,
}

/// What [`keep_latest`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CleanupReport {
    /// Versions deleted, newest first.
    pub deleted: Vec<ArtifactVersion>,
    /// Older versions kept because they hold a protected alias.
    pub protected: Vec<ArtifactVersion>,
    /// The newest versions kept.
    pub kept: Vec<ArtifactVersion>,
}

/// Whether an alias may be deleted with its version: `latest` and the
/// checkpoint aliases `epoch_<n>`; every other alias (`best`, a user's)
/// protects its version.
pub fn is_disposable_alias(alias: &str) -> bool {
    alias == "latest"
        || alias
            .strip_prefix("epoch_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The committed versions of `entity/project/collection` (type `type`),
/// newest (highest index) first.
pub fn list_versions(
    client: &Client,
    entity: &str,
    project: &str,
    r#type: &str,
    collection: &str,
) -> Result<Vec<(u64, ArtifactVersion)>> {
    let mut out = Vec::new();
    let mut cursor = JValue::Null;
    for _ in 0..100_000 {
        let data = client.graphql(
            "ProjectArtifacts",
            LIST,
            Some(json!({"entity": entity, "project": project, "type": r#type,
                        "collection": collection, "cursor": cursor, "perPage": 50,
                        "filters": "{\"state\":\"COMMITTED\"}"})),
        )?;
        let page = data
            .pointer("/project/artifactType/artifactCollection/artifacts")
            .cloned()
            .unwrap_or(JValue::Null);
        for e in page["edges"].as_array().into_iter().flatten() {
            let n = &e["node"];
            let (Some(id), Some(index)) = (n["id"].as_str(), n["versionIndex"].as_u64()) else {
                continue;
            };
            let aliases = n["aliases"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x["alias"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            out.push((
                index,
                ArtifactVersion {
                    id: id.to_string(),
                    version: format!("v{index}"),
                    aliases,
                },
            ));
        }
        if page["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            break;
        }
        cursor = page["pageInfo"]["endCursor"].clone();
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.0));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// Keeps the newest `keep` committed versions of the artifact and deletes
/// the older ones, except versions holding an alias other than `latest`
/// and `epoch_<n>` (so `best` and user aliases are never deleted).
/// Idempotent: a second call finds nothing more to delete. Requests are
/// retried as every request of the client; a version another client
/// deleted in between is counted as deleted.
pub fn keep_latest(
    client: &Client,
    entity: &str,
    project: &str,
    r#type: &str,
    collection: &str,
    keep: usize,
) -> Result<CleanupReport> {
    let versions = list_versions(client, entity, project, r#type, collection)?;
    let mut report = CleanupReport::default();
    for (i, (_, v)) in versions.into_iter().enumerate() {
        if i < keep {
            report.kept.push(v);
        } else if !v.aliases.iter().all(|a| is_disposable_alias(a)) {
            report.protected.push(v);
        } else {
            match client.graphql(
                "DeleteArtifact",
                DELETE,
                Some(json!({"input": {"artifactID": v.id, "deleteAliases": true}})),
            ) {
                Ok(_) => {}
                // already gone (another cleanup won the race): the goal is reached
                Err(OnlineError::GraphQl { message, .. })
                    if message.to_ascii_lowercase().contains("not found") => {}
                Err(e) => return Err(e),
            }
            report.deleted.push(v);
        }
    }
    Ok(report)
}

/// Deletes one version (`DeleteArtifact`), as the official
/// `artifact.delete(delete_aliases=...)`. Without `delete_aliases` the
/// server refuses a version that still holds aliases:
/// [`OnlineError::ArtifactHasAliases`], and nothing is deleted.
pub fn delete_version(
    client: &Client,
    version: &ArtifactVersion,
    delete_aliases: bool,
) -> Result<()> {
    match client.graphql(
        "DeleteArtifact",
        DELETE,
        Some(json!({"input": {"artifactID": version.id, "deleteAliases": delete_aliases}})),
    ) {
        Ok(_) => Ok(()),
        Err(OnlineError::GraphQl { message, .. }) if !delete_aliases => {
            Err(OnlineError::ArtifactHasAliases {
                version: version.version.clone(),
                aliases: version.aliases.clone(),
                message,
            })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::is_disposable_alias;

    #[test]
    fn only_latest_and_epoch_aliases_are_disposable() {
        for a in ["latest", "epoch_0", "epoch_12"] {
            assert!(is_disposable_alias(a), "{a}");
        }
        for a in ["best", "epoch_", "epoch_x", "production", "v3", "Latest"] {
            assert!(!is_disposable_alias(a), "{a}");
        }
    }
}
