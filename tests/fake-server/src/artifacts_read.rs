//! The artifact reads of the public API, answered from the artifacts the
//! server stored: `ArtifactMembershipByName` (`name:alias` or `name:vN`),
//! `FetchArtifactManifest`, `GetArtifactMembershipFileUrls`,
//! `RunOutputArtifacts`, `RunInputArtifacts` and `ProjectArtifacts`, with
//! the fields of the official client's `ArtifactFragment` (its pydantic
//! models reject an answer without them).
//!
//! Versions are numbered per `entity/project/collection` in creation
//! order; an alias belongs to the newest committed version that asked for
//! it (so `latest` moves, as on the real server). Sizes and file counts
//! come from the uploaded manifest.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::handlers::{storage_url, Inner};
use crate::store::ArtifactData;

fn field<'a>(a: &'a ArtifactData, k: &str) -> &'a str {
    a.input.get(k).and_then(Value::as_str).unwrap_or("")
}

/// `(entity, project, collection)` of an artifact.
fn sequence(a: &ArtifactData) -> (&str, &str, &str) {
    (
        field(a, "entityName"),
        field(a, "projectName"),
        field(a, "artifactCollectionName"),
    )
}

fn version_index(inner: &Inner, pos: usize) -> usize {
    let seq = sequence(&inner.artifacts[pos]);
    inner.artifacts[..pos]
        .iter()
        .filter(|b| sequence(b) == seq)
        .count()
}

/// The aliases asked for by the artifact at `pos` that no newer committed
/// version of its sequence took over.
fn aliases(inner: &Inner, pos: usize) -> Vec<String> {
    let asked = |a: &ArtifactData| -> Vec<String> {
        a.input["aliases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["alias"].as_str().map(String::from))
            .collect()
    };
    let me = &inner.artifacts[pos];
    let seq = sequence(me);
    let later: Vec<String> = inner.artifacts[pos + 1..]
        .iter()
        .filter(|b| b.committed && sequence(b) == seq)
        .flat_map(asked)
        .collect();
    let mut out: Vec<String> = asked(me)
        .into_iter()
        .filter(|a| !later.contains(a))
        .collect();
    out.dedup();
    out
}

/// The committed artifact `collection:alias` (or `collection:vN`) of a project.
fn resolve(inner: &Inner, entity: &str, project: &str, name: &str) -> Option<usize> {
    let (collection, alias) = name.rsplit_once(':').unwrap_or((name, "latest"));
    let wanted_index: Option<usize> = alias.strip_prefix('v').and_then(|n| n.parse().ok());
    (0..inner.artifacts.len()).rev().find(|&pos| {
        let a = &inner.artifacts[pos];
        a.committed
            && sequence(a) == (entity, project, collection)
            && match wanted_index {
                Some(i) => version_index(inner, pos) == i,
                None => aliases(inner, pos).iter().any(|x| x == alias),
            }
    })
}

/// The uploaded manifest of an artifact, parsed.
fn manifest(inner: &Inner, a: &ArtifactData) -> Value {
    a.manifest_id
        .as_ref()
        .and_then(|m| {
            inner
                .artifact_files
                .get(&format!("manifests/{m}/wandb_manifest.json"))
        })
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
        .unwrap_or(Value::Null)
}

fn project_info(entity: &str, project: &str) -> Value {
    json!({"id": "UHJvamVjdDox", "internalId": "1", "name": project, "entity": {"name": entity}})
}

fn collection_info(entity: &str, project: &str, collection: &str) -> Value {
    json!({"__typename": "ArtifactSequence", "name": collection,
           "project": project_info(entity, project)})
}

fn alias_nodes(inner: &Inner, pos: usize, with_collection: bool) -> Vec<Value> {
    let (e, p, c) = sequence(&inner.artifacts[pos]);
    aliases(inner, pos)
        .into_iter()
        .map(|alias| {
            let id = base64::engine::general_purpose::STANDARD
                .encode(format!("ArtifactAlias:{}:{alias}", inner.artifacts[pos].id));
            let mut node = json!({"__typename": "ArtifactAlias", "id": id, "alias": alias});
            if with_collection {
                node["artifactCollection"] = collection_info(e, p, c);
            }
            node
        })
        .collect()
}

/// A creation time that orders the artifacts as they were created.
fn created_at(pos: usize) -> String {
    format!("2026-01-01T00:{:02}:{:02}Z", (pos / 60) % 60, pos % 60)
}

/// The official `ArtifactFragment` of the artifact at `pos`.
fn artifact_node(inner: &Inner, pos: usize) -> Value {
    let a = &inner.artifacts[pos];
    let (e, p, c) = sequence(a);
    let m = manifest(inner, a);
    let entries = m["contents"].as_object().cloned().unwrap_or_default();
    let size: u64 = entries
        .values()
        .filter(|x| x.get("ref").is_none())
        .filter_map(|x| x["size"].as_u64())
        .sum();
    let text = |k: &str| match a.input.get(k) {
        Some(Value::String(s)) => json!(s),
        _ => Value::Null,
    };
    json!({
        "__typename": "Artifact", "id": a.id,
        "artifactSequence": collection_info(e, p, c),
        "versionIndex": version_index(inner, pos),
        "artifactType": {"name": field(a, "artifactTypeName")},
        "description": text("description"), "metadata": text("metadata"),
        "ttlDurationSeconds": -2, "ttlIsInherited": true, "tags": [], "historyStep": null,
        "state": if a.committed { "COMMITTED" } else { "PENDING" },
        "size": size, "digest": field(a, "digest"), "digestAlgorithm": "MANIFEST_MD5",
        "commitHash": null, "fileCount": entries.len(),
        "createdAt": created_at(pos), "updatedAt": null,
        "aliases": alias_nodes(inner, pos, true),
    })
}

fn membership_node(inner: &Inner, pos: usize) -> Value {
    let a = &inner.artifacts[pos];
    let (e, p, c) = sequence(a);
    let id = base64::engine::general_purpose::STANDARD
        .encode(format!("ArtifactCollectionMembership:{}", a.id));
    json!({"__typename": "ArtifactCollectionMembership", "id": id,
           "versionIndex": version_index(inner, pos), "createdAt": created_at(pos),
           "aliases": alias_nodes(inner, pos, false),
           "artifactCollection": collection_info(e, p, c),
           "artifact": artifact_node(inner, pos)})
}

/// A page of `items` after the index cursor `cursor` (the official paging shape).
fn page(items: Vec<Value>, v: &Value, edge: impl Fn(Value) -> Value) -> Value {
    let after: usize = v
        .get("cursor")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let per_page = v
        .get("perPage")
        .and_then(Value::as_u64)
        .unwrap_or(50)
        .max(1) as usize;
    let total = items.len();
    let edges: Vec<Value> = items
        .into_iter()
        .skip(after)
        .take(per_page)
        .map(&edge)
        .collect();
    let end = after + edges.len();
    json!({"totalCount": total, "edges": edges,
           "pageInfo": {"__typename": "PageInfo", "endCursor": end.to_string(),
                        "hasNextPage": end < total}})
}

/// Answers an artifact read; `None` for other operations.
pub(crate) fn graphql(inner: &Inner, url: &str, op: &str, v: &Value) -> Option<Value> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    let (entity, project) = (s("entity"), s("project"));
    let project_of = |inside: Value| {
        let mut p = json!({"__typename": "Project", "id": "UHJvamVjdDox", "internalId": "1",
                           "name": project});
        if let (Some(o), Value::Object(i)) = (p.as_object_mut(), inside) {
            o.extend(i);
        }
        json!({"data": {"project": p}})
    };
    Some(match op {
        "ArtifactMembershipByName" => {
            let m =
                resolve(inner, entity, project, s("name")).map(|pos| membership_node(inner, pos));
            project_of(json!({"artifactCollectionMembership": m}))
        }
        "FetchArtifactManifest" => {
            let a = inner.artifacts.iter().find(|a| a.id == s("id"));
            let manifest = a.and_then(|a| a.manifest_id.as_ref()).map(|m| {
                json!({"file": {"directUrl":
                    storage_url(url, &format!("manifests/{m}/wandb_manifest.json"))}})
            });
            json!({"data": {"artifact": a.map(|_| json!({"currentManifest": manifest}))}})
        }
        "GetArtifactMembershipFileUrls" => {
            let name = format!("{}:{}", s("collection"), s("alias"));
            let membership = resolve(inner, entity, project, &name).map(|pos| {
                let a = &inner.artifacts[pos];
                let contents = manifest(inner, a)["contents"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                let files: Vec<Value> = contents
                    .iter()
                    .filter(|(_, e)| e.get("ref").is_none())
                    .map(|(path, e)| {
                        let birth = e["birthArtifactID"].as_str().unwrap_or(&a.id);
                        json!({"__typename": "File", "name": path,
                               "directUrl": storage_url(url, &format!("files/{birth}/{path}"))})
                    })
                    .collect();
                json!({"files": page(files, v, |n| json!({"node": n}))})
            });
            project_of(json!({"artifactCollection": membership.map(|m| json!({
                "__typename": "ArtifactSequence", "artifactMembership": m}))}))
        }
        "RunOutputArtifacts" | "RunInputArtifacts" => {
            let run = s("run");
            let path = format!("{entity}/{project}/{run}");
            let known = inner
                .runs
                .contains_key(&(entity.into(), project.into(), run.into()));
            let nodes: Vec<Value> = (0..inner.artifacts.len())
                .filter(|&pos| {
                    let a = &inner.artifacts[pos];
                    a.committed
                        && if op == "RunOutputArtifacts" {
                            (
                                field(a, "entityName"),
                                field(a, "projectName"),
                                field(a, "runName"),
                            ) == (entity, project, run)
                        } else {
                            a.used_by.contains(&path)
                        }
                })
                .map(|pos| artifact_node(inner, pos))
                .collect();
            let artifacts = page(nodes, v, |n| json!({"node": n}));
            project_of(json!({"run": known.then(|| json!({"artifacts": artifacts}))}))
        }
        "ProjectArtifacts" => {
            let (ty, coll) = (s("type"), s("collection"));
            let mut versions: Vec<usize> = (0..inner.artifacts.len())
                .filter(|&pos| {
                    let a = &inner.artifacts[pos];
                    a.committed
                        && sequence(a) == (entity, project, coll)
                        && field(a, "artifactTypeName") == ty
                })
                .collect();
            versions.reverse(); // newest first, as the reference mock
            let found = !versions.is_empty();
            let nodes: Vec<Value> = versions
                .into_iter()
                .map(|pos| {
                    json!({"version": format!("v{}", version_index(inner, pos)),
                                  "node": artifact_node(inner, pos)})
                })
                .collect();
            let artifacts = page(nodes, v, |n| n);
            project_of(json!({"artifactType": found.then(|| json!({
                "artifactCollection": {"__typename": "ArtifactSequence", "artifacts": artifacts}}))}))
        }
        _ => return None,
    })
}
