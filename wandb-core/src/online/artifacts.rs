//! Uploading the artifacts named by `artifact` records (user artifacts of
//! `run.log_artifact` and the `run_table` artifact of each logged table,
//! spec artifacts.md §2): CreateArtifact, a manifest, the files (reference
//! entries have none; batches of 25, PUTs in parallel, multipart for large
//! files: see artifact_transfer), the manifest file, CommitArtifact.

use std::path::{Path, PathBuf};

use serde_json::{json, Value as JValue};

use super::artifact_transfer::{file_spec, spec_json, transfer, FileSpec, BATCH};
use super::error::{OnlineError, Result};
use super::http::Client;
use crate::artifact::digest::{b64_md5, b64_md5_file};
use crate::proto;

const CREATE_ARTIFACT: &str = "mutation CreateArtifact($input: CreateArtifactInput!) {
  createArtifact(input: $input) { artifact { id state artifactSequence { latestArtifact { id } } } }
}";

const CREATE_MANIFEST: &str = "mutation CreateArtifactManifest($artifactID: ID!, $baseArtifactID: ID, $name: String!, $digest: String!, $entityName: String!, $projectName: String!, $runName: String!, $manifestType: ArtifactManifestType!, $includeUpload: Boolean!) {
  createArtifactManifest(input: {artifactID: $artifactID, baseArtifactID: $baseArtifactID, name: $name, digest: $digest, entityName: $entityName, projectName: $projectName, runName: $runName, type: $manifestType}) {
    artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } }
  }
}";

const CREATE_FILES: &str = "mutation CreateArtifactFiles($input: CreateArtifactFilesInput!) {
  createArtifactFiles(input: $input) {
    files { edges { node { storagePath uploadUrl uploadHeaders uploadMultipartUrls { uploadID uploadUrlParts { partNumber uploadUrl } } artifact { id } } } }
  }
}";

const COMMIT: &str = "mutation CommitArtifact($artifactID: ID!) {
  commitArtifact(input: {artifactID: $artifactID}) { artifact { id digest } }
}";

pub(super) fn headers(v: Option<&JValue>) -> Vec<(String, String)> {
    v.and_then(JValue::as_array)
        .map(|a| {
            a.iter()
                .filter_map(JValue::as_str)
                .filter_map(|h| h.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The file of a manifest entry: its `local_path` (the staging copy, which
/// must still have the recorded MD5, checked by a streaming hash); a
/// relative path is taken from `files/`.
fn entry_file(e: &proto::ArtifactManifestEntry, files_dir: &Path) -> Result<PathBuf> {
    let local = Path::new(&e.local_path);
    let local = if local.is_relative() {
        files_dir.join(local)
    } else {
        local.to_path_buf()
    };
    match b64_md5_file(&local) {
        Ok((digest, _)) if digest == e.digest => Ok(local),
        _ => Err(OnlineError::io(
            "cannot find the content of artifact file",
            PathBuf::from(&e.local_path),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )),
    }
}

/// Creates, fills and commits one artifact; returns its server id.
pub fn upload_artifact(
    client: &Client,
    a: &proto::ArtifactRecord,
    entity: &str,
    project: &str,
    run: &str,
    files_dir: &Path,
) -> Result<String> {
    // the content first: an artifact whose files are gone is not created at all
    let contents = a
        .manifest
        .as_ref()
        .map(|m| m.contents.clone())
        .unwrap_or_default();
    // reference entries are recorded, never uploaded
    let uploaded: Vec<&proto::ArtifactManifestEntry> =
        contents.iter().filter(|e| e.r#ref.is_empty()).collect();
    // (multipart files get their parts' MD5s here)
    let mut specs = Vec::with_capacity(uploaded.len());
    for e in &uploaded {
        specs.push(file_spec(&e.path, &e.digest, &entry_file(e, files_dir)?)?);
    }
    let aliases: Vec<JValue> = a
        .aliases
        .iter()
        .map(|al| json!({"alias": al, "artifactCollectionName": a.name}))
        .collect();
    let input = json!({
        "aliases": aliases, "artifactCollectionName": a.name, "artifactTypeName": a.r#type,
        "clientID": a.client_id, "sequenceClientID": a.sequence_client_id,
        "digest": a.digest, "digestAlgorithm": "MANIFEST_MD5", "enableDigestDeduplication": true,
        "entityName": entity, "projectName": project, "runName": run,
        "description": if a.description.is_empty() { JValue::Null } else { json!(a.description) },
        "metadata": if a.metadata.is_empty() { JValue::Null } else { json!(a.metadata) },
    });
    let data = client.graphql(
        "CreateArtifact",
        CREATE_ARTIFACT,
        Some(json!({"input": input})),
    )?;
    let id = data
        .pointer("/createArtifact/artifact/id")
        .and_then(JValue::as_str)
        .unwrap_or_default()
        .to_string();
    if data
        .pointer("/createArtifact/artifact/state")
        .and_then(JValue::as_str)
        == Some("COMMITTED")
    {
        return Ok(id); // already stored
    }
    let manifest_vars = |digest: &str, upload: bool| {
        json!({"artifactID": id, "baseArtifactID": null, "name": "wandb_manifest.json",
               "digest": digest, "entityName": entity, "projectName": project, "runName": run,
               "manifestType": "FULL", "includeUpload": upload})
    };
    let data = client.graphql(
        "CreateArtifactManifest",
        CREATE_MANIFEST,
        Some(manifest_vars("", false)),
    )?;
    let manifest_id = data
        .pointer("/createArtifactManifest/artifactManifest/id")
        .and_then(JValue::as_str)
        .unwrap_or_default()
        .to_string();
    // birthArtifactID by path: the version that first stored the content
    let mut births: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for (batch, files) in uploaded.chunks(BATCH).zip(specs.chunks(BATCH)) {
        let spec_values: Vec<JValue> = files
            .iter()
            .map(|f| spec_json(f, &id, &manifest_id))
            .collect();
        let input = json!({"artifactFiles": spec_values, "storageLayout": "V2"});
        let data = client.graphql(
            "CreateArtifactFiles",
            CREATE_FILES,
            Some(json!({"input": input})),
        )?;
        let edges = data
            .pointer("/createArtifactFiles/files/edges")
            .and_then(JValue::as_array)
            .cloned()
            .unwrap_or_default();
        if edges.len() != batch.len() {
            return Err(OnlineError::GraphQl {
                op: "CreateArtifactFiles".into(),
                message: format!(
                    "the server answered {} upload URLs for {} files",
                    edges.len(),
                    batch.len()
                ),
            });
        }
        for (edge, e) in edges.iter().zip(batch) {
            if let Some(birth) = edge.pointer("/node/artifact/id").and_then(JValue::as_str) {
                births.insert(e.path.as_str(), birth.to_string());
            }
        }
        let refs: Vec<&FileSpec> = files.iter().collect();
        transfer(client, &id, &refs, &edges)?;
    }
    // the manifest file
    let mut entries = serde_json::Map::new();
    for e in &contents {
        let entry = if e.r#ref.is_empty() {
            let birth = births
                .get(e.path.as_str())
                .cloned()
                .unwrap_or_else(|| id.clone());
            json!({"digest": e.digest, "size": e.size, "birthArtifactID": birth,
                   "skip_cache": e.skip_cache})
        } else if e.size > 0 {
            json!({"digest": e.digest, "ref": e.r#ref, "size": e.size, "skip_cache": e.skip_cache})
        } else {
            json!({"digest": e.digest, "ref": e.r#ref, "skip_cache": e.skip_cache})
        };
        entries.insert(e.path.clone(), entry);
    }
    let manifest = json!({"version": 1, "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"}, "contents": entries})
    .to_string()
    .into_bytes();
    let data = client.graphql(
        "CreateArtifactManifest",
        CREATE_MANIFEST,
        Some(manifest_vars(&b64_md5(&manifest), true)),
    )?;
    if let Some(url) = data
        .pointer("/createArtifactManifest/artifactManifest/file/uploadUrl")
        .and_then(JValue::as_str)
    {
        let h =
            headers(data.pointer("/createArtifactManifest/artifactManifest/file/uploadHeaders"));
        client.upload(url, &h, manifest)?;
    }
    client.graphql("CommitArtifact", COMMIT, Some(json!({"artifactID": id})))?;
    Ok(id)
}
