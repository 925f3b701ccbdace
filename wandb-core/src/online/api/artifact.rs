//! [`ApiArtifact`]: one committed artifact version read from the server
//! ([`Api::artifact`], [`Api::artifacts`], [`ApiRun::logged_artifacts`],
//! [`ApiRun::used_artifacts`]), its manifest and its download through the
//! official cache layout (the code path of `online::download_artifact`).

use std::path::Path;

use serde_json::{json, Value as JValue};

use super::{artifact_queries as q, str_field, Api, ApiRun};
use crate::artifact::ArtifactRef;
use crate::online::artifact_download::{
    download_version, fetch_manifest, DownloadedArtifact, VersionAt,
};
use crate::online::error::{OnlineError, Result};
use crate::value::{Map, Value};

/// Pages of at most this many versions per request (run lists, as the
/// official `RunArtifacts`; `Api::artifacts` asks 50 like `Artifacts`).
const RUN_PAGE: u64 = 100;
/// Upper bound on pages, so a server that always says "more" ends.
const MAX_PAGES: usize = 100_000;

/// One entry of an artifact's manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    /// The logical path inside the artifact (`/`-separated).
    pub path: String,
    /// Base64 MD5 of the content (for a non-file reference: the URI).
    pub digest: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// The URI of a reference entry (not stored by W&B), else `None`.
    pub reference: Option<String>,
    /// The version that first stored this content, when the manifest says.
    pub birth_artifact_id: Option<String>,
}

/// A committed artifact version on the server.
#[derive(Debug, Clone)]
pub struct ApiArtifact {
    api: Api,
    /// The server id of the version.
    pub id: String,
    /// The entity of the collection it was read through.
    pub entity: String,
    /// The project of the collection it was read through.
    pub project: String,
    /// The collection (artifact) name, without version.
    pub name: String,
    /// `v<index>`.
    pub version: String,
    /// The aliases (`latest`, `best`, ...), version aliases left out, as the
    /// official `Artifact.aliases`.
    pub aliases: Vec<String>,
    /// The artifact type (`model`, `dataset`, ...).
    pub r#type: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The metadata (a JSON object; empty when none).
    pub metadata: Map,
    /// The artifact digest (hex MD5 over the manifest entries).
    pub digest: String,
    /// Total size in bytes of the stored files.
    pub size: u64,
    /// Number of manifest entries.
    pub file_count: u64,
    /// `COMMITTED` for a readable version.
    pub state: String,
    /// Creation time (server format).
    pub created_at: String,
    /// Last update time, if any.
    pub updated_at: Option<String>,
}

/// Where a version node was read from: how its path and aliases are found.
enum Via<'a> {
    /// `ArtifactMembershipByName`: the membership's aliases and collection.
    Membership(&'a JValue),
    /// A run's list: the source collection (`artifactSequence`).
    Source,
    /// `ProjectArtifacts`: the collection asked for and the edge's version.
    Collection {
        entity: &'a str,
        project: &'a str,
        name: &'a str,
        version: Option<&'a str>,
    },
}

fn is_version_alias(alias: &str) -> bool {
    alias
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `project.name` and `project.entity.name` of a collection node.
fn project_of(collection: &JValue) -> (Option<String>, Option<String>) {
    (
        collection
            .pointer("/project/entity/name")
            .and_then(JValue::as_str)
            .map(String::from),
        collection
            .pointer("/project/name")
            .and_then(JValue::as_str)
            .map(String::from),
    )
}

impl ApiArtifact {
    fn from_node(api: &Api, node: &JValue, via: Via<'_>, op: &str) -> Result<Self> {
        let bad = |reason: &str| OnlineError::UnexpectedAnswer {
            op: op.into(),
            reason: reason.into(),
        };
        let id = str_field(node, "id").ok_or_else(|| bad("an artifact without an id"))?;
        let index = node.get("versionIndex").and_then(JValue::as_u64);
        let source = node.get("artifactSequence").unwrap_or(&JValue::Null);
        let (src_entity, src_project) = project_of(source);
        let src_name = str_field(source, "name");
        let (entity, project, name, version, aliases) = match via {
            Via::Membership(m) => {
                let coll = m.get("artifactCollection").unwrap_or(&JValue::Null);
                let (e, p) = project_of(coll);
                let aliases: Vec<String> = m["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a["alias"].as_str().map(String::from))
                    .collect();
                let index = m.get("versionIndex").and_then(JValue::as_u64).or(index);
                (
                    e.or(src_entity),
                    p.or(src_project),
                    str_field(coll, "name").or(src_name),
                    index.map(|i| format!("v{i}")),
                    aliases,
                )
            }
            Via::Source | Via::Collection { .. } => {
                let (e, p, n, v) = match via {
                    Via::Collection {
                        entity,
                        project,
                        name,
                        version,
                    } => (
                        Some(entity.to_string()),
                        Some(project.to_string()),
                        Some(name.to_string()),
                        version.map(String::from),
                    ),
                    _ => (src_entity, src_project, src_name, None),
                };
                // only the aliases of this collection (a version can be
                // linked into others, with their own aliases)
                let aliases = node["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|a| {
                        let coll = &a["artifactCollection"];
                        let (ae, ap) = project_of(coll);
                        ae == e && ap == p && str_field(coll, "name") == n
                    })
                    .filter_map(|a| a["alias"].as_str().map(String::from))
                    .collect();
                (e, p, n, v.or(index.map(|i| format!("v{i}"))), aliases)
            }
        };
        let (Some(entity), Some(project), Some(name), Some(version)) =
            (entity, project, name, version)
        else {
            return Err(bad(
                "an artifact without its collection, project or version",
            ));
        };
        let metadata = match node.get("metadata") {
            None | Some(JValue::Null) => Map::new(),
            Some(JValue::String(s)) if s.trim().is_empty() => Map::new(),
            Some(JValue::String(s)) => match crate::json::parse(s) {
                Ok(Value::Map(m)) => m,
                _ => return Err(bad("the metadata is not a JSON object")),
            },
            Some(other) => match Value::from(other) {
                Value::Map(m) => m,
                _ => return Err(bad("the metadata is not a JSON object")),
            },
        };
        Ok(ApiArtifact {
            api: api.clone(),
            id,
            entity,
            project,
            name,
            version,
            aliases: aliases
                .into_iter()
                .filter(|a| !is_version_alias(a))
                .collect(),
            r#type: node
                .pointer("/artifactType/name")
                .and_then(JValue::as_str)
                .unwrap_or_default()
                .to_string(),
            description: str_field(node, "description"),
            metadata,
            digest: str_field(node, "digest").unwrap_or_default(),
            size: node.get("size").and_then(JValue::as_u64).unwrap_or(0),
            file_count: node.get("fileCount").and_then(JValue::as_u64).unwrap_or(0),
            state: str_field(node, "state").unwrap_or_default(),
            created_at: str_field(node, "createdAt").unwrap_or_default(),
            updated_at: str_field(node, "updatedAt"),
        })
    }

    /// `name:vN`.
    pub fn qualified_name(&self) -> String {
        format!("{}:{}", self.name, self.version)
    }

    /// `entity/project/name:vN`.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.entity, self.project, self.qualified_name())
    }

    fn not_found(&self) -> OnlineError {
        OnlineError::ArtifactNotFound {
            reference: self.path(),
        }
    }

    /// The manifest entries, sorted by path (`FetchArtifactManifest` and a
    /// GET of the manifest file).
    pub fn manifest(&self) -> Result<Vec<ManifestEntry>> {
        self.api.arm_deadline();
        // a temporary file, removed once read: reading a manifest touches no cache
        let staging = std::env::temp_dir();
        let manifest = fetch_manifest(self.api.client(), &self.id, &staging, || self.not_found())?;
        let contents = manifest
            .get("contents")
            .and_then(JValue::as_object)
            .ok_or_else(|| OnlineError::UnexpectedAnswer {
                op: "FetchArtifactManifest".into(),
                reason: "the manifest has no contents".into(),
            })?;
        let mut entries: Vec<ManifestEntry> = contents
            .iter()
            .map(|(path, e)| ManifestEntry {
                path: path.clone(),
                digest: str_field(e, "digest").unwrap_or_default(),
                size: e.get("size").and_then(JValue::as_u64),
                reference: str_field(e, "ref"),
                birth_artifact_id: str_field(e, "birthArtifactID"),
            })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// Downloads every file into `root` (`<root>/<logical path>`) through
    /// the artifact cache ([`Api::cache_dir`]), each checked against the
    /// manifest's MD5 ([`OnlineError::DigestMismatch`] otherwise, nothing
    /// written for that file). Reference entries are listed, not fetched.
    pub fn download(&self, root: &Path) -> Result<DownloadedArtifact> {
        self.download_with_cache(root, &self.api.cache_dir())
    }

    /// [`ApiArtifact::download`] through the cache at `cache_dir`.
    pub fn download_with_cache(&self, root: &Path, cache_dir: &Path) -> Result<DownloadedArtifact> {
        let mut out = DownloadedArtifact {
            id: self.id.clone(),
            version: self.version.clone(),
            aliases: self.aliases.clone(),
            digest: self.digest.clone(),
            files: Vec::new(),
            references: Vec::new(),
            cache_hits: 0,
        };
        let at = VersionAt {
            id: &self.id,
            entity: &self.entity,
            project: &self.project,
            collection: &self.name,
            version: &self.version,
        };
        let arm = || self.api.arm_deadline();
        download_version(
            self.api.client(),
            &at,
            root,
            cache_dir,
            &mut out,
            || self.not_found(),
            &arm,
        )?;
        Ok(out)
    }
}

impl Api {
    /// The entity and project of `reference`: its own, else the viewer's
    /// default entity and the API's project (`uncategorized` without one).
    fn entity_project(&self, reference: &ArtifactRef) -> Result<(String, String)> {
        let entity = match reference.entity.clone() {
            Some(e) => e,
            None => self.default_entity()?,
        };
        let project = reference
            .project
            .clone()
            .or_else(|| self.inner.project.clone())
            .unwrap_or_else(|| "uncategorized".into());
        Ok((entity, project))
    }

    /// The artifact version at `path`: `entity/project/name:alias`,
    /// `entity/project/name:vN`, `project/name:...` (the default entity) or
    /// `name:...` (the `project` setting, else `uncategorized`); no alias
    /// means `latest`. An unknown one is [`OnlineError::ArtifactNotFound`]
    /// naming the path.
    ///
    /// ```no_run
    /// let api = wandb_core::online::Api::from_env()?;
    /// let art = api.artifact("my-team/my-project/dataset:latest")?;
    /// println!("{} {} {:?}", art.qualified_name(), art.r#type, art.aliases);
    /// for entry in art.manifest()? {
    ///     println!("{} {} {:?}", entry.path, entry.digest, entry.size);
    /// }
    /// let done = art.download(std::path::Path::new("data"))?;
    /// println!("{} files, {} from the cache", done.files.len(), done.cache_hits);
    /// # Ok::<(), wandb_core::online::OnlineError>(())
    /// ```
    pub fn artifact(&self, path: &str) -> Result<ApiArtifact> {
        let reference = ArtifactRef::parse(path.trim()).map_err(|_| OnlineError::InvalidPath {
            path: path.to_string(),
            reason: "an artifact path is [[entity/]project/]name[:alias or vN]",
        })?;
        let (entity, project) = self.entity_project(&reference)?;
        let wanted = format!("{}:{}", reference.name, reference.alias);
        let not_found = || OnlineError::ArtifactNotFound {
            reference: format!("{entity}/{project}/{wanted}"),
        };
        let data = self.query(
            "ArtifactMembershipByName",
            &q::membership_by_name(),
            json!({"entity": entity, "project": project, "name": wanted}),
        )?;
        let m = data
            .pointer("/project/artifactCollectionMembership")
            .filter(|m| m.is_object())
            .ok_or_else(not_found)?;
        let node = m
            .get("artifact")
            .filter(|a| a.is_object())
            .ok_or_else(not_found)?;
        ApiArtifact::from_node(self, node, Via::Membership(m), "ArtifactMembershipByName")
    }

    /// The committed versions of the collection `name` (`entity/project/name`,
    /// `project/name` or `name`, defaults as [`Api::artifact`]) of type
    /// `type_name`, newest first as the server orders them (the official
    /// `api.artifacts(type_name, name)`). An unknown collection or type is
    /// [`OnlineError::ArtifactNotFound`].
    pub fn artifacts(&self, type_name: &str, name: &str) -> Result<Vec<ApiArtifact>> {
        let reference = ArtifactRef::parse(name.trim())
            .ok()
            .filter(|_| !name.contains(':'))
            .ok_or_else(|| OnlineError::InvalidPath {
                path: name.to_string(),
                reason: "an artifact collection is [[entity/]project/]name (no alias)",
            })?;
        let (entity, project) = self.entity_project(&reference)?;
        let collection = reference.name;
        let op = "ProjectArtifacts";
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let data = self.query(
                op,
                &q::project_artifacts(),
                json!({"entity": entity, "project": project, "type": type_name,
                       "collection": collection, "cursor": cursor, "perPage": 50,
                       "filters": json!({"state": "COMMITTED"}).to_string()}),
            )?;
            let conn = data
                .pointer("/project/artifactType/artifactCollection/artifacts")
                .filter(|c| c.is_object())
                .ok_or_else(|| OnlineError::ArtifactNotFound {
                    reference: format!("{entity}/{project}/{collection} (type {type_name})"),
                })?;
            let edges = edges_of(conn, op)?;
            for edge in edges {
                let node = edge.get("node").filter(|n| n.is_object());
                let Some(node) = node else { continue };
                let via = Via::Collection {
                    entity: &entity,
                    project: &project,
                    name: &collection,
                    version: edge.get("version").and_then(JValue::as_str),
                };
                out.push(ApiArtifact::from_node(self, node, via, op)?);
            }
            match next_cursor(conn, edges, &cursor) {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(out)
    }
}

impl ApiRun {
    /// The artifact versions this run logged (`RunOutputArtifacts`, the
    /// official `run.logged_artifacts()`).
    pub fn logged_artifacts(&self) -> Result<Vec<ApiArtifact>> {
        self.run_artifacts("RunOutputArtifacts", "outputArtifacts")
    }

    /// The artifact versions this run declared it uses (`RunInputArtifacts`,
    /// the official `run.used_artifacts()`).
    pub fn used_artifacts(&self) -> Result<Vec<ApiArtifact>> {
        self.run_artifacts("RunInputArtifacts", "inputArtifacts")
    }

    fn run_artifacts(&self, op: &str, field: &str) -> Result<Vec<ApiArtifact>> {
        let query = q::run_artifacts(op, field);
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let data = self.api().query(
                op,
                &query,
                json!({"entity": self.entity, "project": self.project, "run": self.id,
                       "cursor": cursor, "perPage": RUN_PAGE}),
            )?;
            let conn = self.run_field(&data, "artifacts", op)?;
            let edges = edges_of(conn, op)?;
            for edge in edges {
                if let Some(node) = edge.get("node").filter(|n| n.is_object()) {
                    out.push(ApiArtifact::from_node(self.api(), node, Via::Source, op)?);
                }
            }
            match next_cursor(conn, edges, &cursor) {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(out)
    }
}

fn edges_of<'a>(conn: &'a JValue, op: &str) -> Result<&'a Vec<JValue>> {
    conn.get("edges")
        .and_then(JValue::as_array)
        .ok_or_else(|| OnlineError::UnexpectedAnswer {
            op: op.into(),
            reason: "a connection without edges".into(),
        })
}

/// The cursor of the next page, or `None` at the end (also when the server
/// repeats a cursor or sends an empty page, which would loop forever).
fn next_cursor(conn: &JValue, edges: &[JValue], cursor: &Option<String>) -> Option<String> {
    let info = conn.get("pageInfo").unwrap_or(&JValue::Null);
    let next = str_field(info, "endCursor");
    let more = info.get("hasNextPage").and_then(JValue::as_bool) == Some(true);
    (more && !edges.is_empty() && next.is_some() && next != *cursor)
        .then_some(next)
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::is_version_alias;

    #[test]
    fn version_aliases() {
        for v in ["v0", "v12"] {
            assert!(is_version_alias(v), "{v}");
        }
        for a in ["latest", "v", "v1a", "best", "vv1"] {
            assert!(!is_version_alias(a), "{a}");
        }
    }
}
