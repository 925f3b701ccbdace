//! The artifact operations of the fake server (run_table artifacts, spec §6.2;
//! user artifacts: create, files, manifest, commit, `ArtifactByID`,
//! `UseArtifact`; the reads of the public API are in `artifacts_read`).

use serde_json::{json, Value};

use crate::handlers::{new_artifact_id, storage_url, Inner};
use crate::store::ArtifactData;

/// Answers an artifact GraphQL operation; `None` for other operations.
pub(crate) fn graphql(inner: &mut Inner, url: &str, op: &str, v: &Value) -> Option<Value> {
    let input = v.get("input").cloned().unwrap_or(Value::Null);
    Some(match op {
        "CreateArtifact" => {
            let id = new_artifact_id(inner, "Artifact");
            inner.artifacts.push(ArtifactData {
                id: id.clone(),
                input,
                ..ArtifactData::default()
            });
            json!({"data": {"createArtifact": {"artifact": {
                "id": id, "state": "PENDING", "artifactSequence": {"latestArtifact": null}}}}})
        }
        "CreateArtifactManifest" | "UpdateArtifactManifest" => {
            let merged = if input.is_object() { &input } else { v };
            let mid = match merged.get("artifactManifestID").and_then(Value::as_str) {
                Some(m) => m.to_string(),
                None => new_artifact_id(inner, "ArtifactManifest"),
            };
            let aid = merged.get("artifactID").and_then(Value::as_str);
            if let Some(a) = inner
                .artifacts
                .iter_mut()
                .find(|a| Some(a.id.as_str()) == aid)
            {
                a.manifest_id = Some(mid.clone());
            }
            let mut file = json!({"id": new_artifact_id(inner, "File")});
            if merged.get("includeUpload").and_then(Value::as_bool) == Some(true) {
                file["uploadUrl"] = json!(storage_url(
                    url,
                    &format!("manifests/{mid}/wandb_manifest.json")
                ));
                file["uploadHeaders"] = json!([]);
            }
            let key = if op == "CreateArtifactManifest" {
                "createArtifactManifest"
            } else {
                "updateArtifactManifest"
            };
            json!({"data": {key: {"artifactManifest": {"id": mid, "file": file}}}})
        }
        "CreateArtifactFiles" => {
            let spec = if input.is_object() { &input } else { v };
            let edges: Vec<Value> = spec
                .get("artifactFiles")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|f| {
                    let aid = f.get("artifactID").and_then(Value::as_str).unwrap_or("");
                    let name = f.get("name").and_then(Value::as_str).unwrap_or("");
                    json!({"node": {
                        "storagePath": format!("fake-storage/{aid}/{name}"),
                        "uploadUrl": storage_url(url, &format!("files/{aid}/{name}")),
                        "uploadHeaders": [], "uploadMultipartUrls": null,
                        "artifact": {"id": aid}}})
                })
                .collect();
            json!({"data": {"createArtifactFiles": {"files": {"edges": edges}}}})
        }
        "CommitArtifact" => {
            let aid = v
                .get("artifactID")
                .or_else(|| input.get("artifactID"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut digest = String::new();
            if let Some(a) = inner.artifacts.iter_mut().find(|a| a.id == aid) {
                a.committed = true;
                digest = a
                    .input
                    .get("digest")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
            }
            json!({"data": {"commitArtifact": {"artifact": {"id": aid, "digest": digest}}}})
        }
        "ArtifactByID" => {
            // versions are numbered per collection in creation order
            let aid = v.get("id").and_then(Value::as_str).unwrap_or("");
            let Some(pos) = inner.artifacts.iter().position(|a| a.id == aid) else {
                return Some(json!({"data": {"artifact": null}}));
            };
            let a = &inner.artifacts[pos];
            let coll = a.input["artifactCollectionName"].clone();
            let index = inner.artifacts[..pos]
                .iter()
                .filter(|b| b.input["artifactCollectionName"] == coll)
                .count();
            let aliases: Vec<Value> = a.input["aliases"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|x| json!({"alias": x["alias"]}))
                .collect();
            json!({"data": {"artifact": {
                "id": aid, "versionIndex": index, "digest": a.input["digest"],
                "state": if a.committed { "COMMITTED" } else { "PENDING" },
                "aliases": aliases, "artifactSequence": {"name": coll}}}})
        }
        "UseArtifact" => {
            // variables (wandb-rs, the official client) or an input object
            let vars = if input.is_object() { &input } else { v };
            let s = |k: &str| vars.get(k).and_then(Value::as_str).unwrap_or("");
            let run = format!("{}/{}/{}", s("entityName"), s("projectName"), s("runName"));
            let aid = s("artifactID").to_string();
            if let Some(a) = inner.artifacts.iter_mut().find(|a| a.id == aid) {
                if !a.used_by.contains(&run) {
                    a.used_by.push(run);
                }
            }
            json!({"data": {"useArtifact": {"artifact": {"id": aid}}}})
        }
        "ClientIDMapping" => {
            let id = new_artifact_id(inner, "ClientID");
            json!({"data": {"clientIDMapping": {"serverID": id}}})
        }
        _ => return None,
    })
}
