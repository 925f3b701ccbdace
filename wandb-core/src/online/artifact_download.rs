//! `download_artifact`: fetches a committed artifact version into a
//! directory through the official local cache layout (spec artifacts.md
//! §1.8, §3.2): look the version up (`ArtifactMembershipByName`), fetch its
//! manifest (`FetchArtifactManifest` + GET), list its file URLs
//! (`GetArtifactMembershipFileUrls` with the version `vN`), then take each
//! file from `<cache>/artifacts/obj/md5/<hex[0:2]>/<hex[2:]>` or GET it
//! there, verifying its MD5 against the manifest, and copy it to
//! `<root>/<path>`. Storage GETs carry no credentials.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as JValue};

use super::error::{OnlineError, Result};
use super::http::Client;
use crate::artifact::digest::{b64_file, b64_to_hex, Algorithm};
use crate::artifact::ArtifactRef;

pub(super) const MEMBERSHIP: &str =
    "query ArtifactMembershipByName($entity: String!, $project: String!, $name: String!) {
  project(name: $project, entityName: $entity) {
    artifactCollectionMembership(name: $name) {
      id versionIndex aliases { alias } artifact { id digest state artifactType { name } }
    }
  }
}";

const MANIFEST: &str = "query FetchArtifactManifest($id: ID!) {
  artifact(id: $id) { currentManifest { file { directUrl } } }
}";

const FILE_URLS: &str = "query GetArtifactMembershipFileUrls($entity: String!, $project: String!, $collection: String!, $alias: String!, $cursor: String, $perPage: Int) {
  project(name: $project, entityName: $entity) {
    artifactCollection(name: $collection) {
      artifactMembership(aliasName: $alias) {
        files(after: $cursor, first: $perPage) {
          pageInfo { endCursor hasNextPage }
          edges { node { name directUrl } }
        }
      }
    }
  }
}";

/// A downloaded artifact version.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadedArtifact {
    /// The server id of the version.
    pub id: String,
    /// `v<index>`.
    pub version: String,
    /// The version's aliases.
    pub aliases: Vec<String>,
    /// The artifact digest.
    pub digest: String,
    /// Every file written, by logical path.
    pub files: Vec<(String, PathBuf)>,
    /// Reference entries (not downloaded): logical path and URI.
    pub references: Vec<(String, String)>,
    /// Files taken from the cache without a GET.
    pub cache_hits: usize,
}

/// The cache path of a b64 MD5 digest.
pub fn cache_path(cache_dir: &Path, digest: &str) -> Option<PathBuf> {
    cache_path_for(cache_dir, digest, Algorithm::Md5)
}

/// The cache path of a b64 digest of `alg`
/// (`artifacts/obj/<md5|xxh128>/<hex[0:2]>/<hex[2:]>`).
pub fn cache_path_for(cache_dir: &Path, digest: &str, alg: Algorithm) -> Option<PathBuf> {
    let hex = b64_to_hex(digest).filter(|h| h.len() > 2)?;
    Some(
        cache_dir
            .join("artifacts/obj")
            .join(alg.cache_dir_name())
            .join(&hex[..2])
            .join(&hex[2..]),
    )
}

/// Downloads `reference` (entity and project default to `entity` and
/// `project`) into `root`, through the cache at `cache_dir`
/// (`$WANDB_CACHE_DIR`, by default `~/.cache/wandb`).
pub fn download_artifact(
    client: &Client,
    reference: &ArtifactRef,
    entity: &str,
    project: &str,
    root: &Path,
    cache_dir: &Path,
) -> Result<DownloadedArtifact> {
    let entity = reference.entity.as_deref().unwrap_or(entity);
    let project = reference.project.as_deref().unwrap_or(project);
    let not_found = || OnlineError::ArtifactNotFound {
        reference: format!("{entity}/{project}/{}:{}", reference.name, reference.alias),
    };
    let data = client.graphql(
        "ArtifactMembershipByName",
        MEMBERSHIP,
        Some(json!({"entity": entity, "project": project,
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
    let version = format!("v{}", m["versionIndex"].as_u64().unwrap_or(0));
    let aliases = m["aliases"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["alias"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let digest = m
        .pointer("/artifact/digest")
        .and_then(JValue::as_str)
        .unwrap_or("")
        .to_string();
    let mut out = DownloadedArtifact {
        id,
        version,
        aliases,
        digest,
        files: Vec::new(),
        references: Vec::new(),
        cache_hits: 0,
    };
    let (id, version) = (out.id.clone(), out.version.clone());
    let at = VersionAt {
        id: &id,
        entity,
        project,
        collection: &reference.name,
        version: &version,
    };
    download_version(client, &at, root, cache_dir, &mut out, not_found, &|| {})?;
    Ok(out)
}

/// Where a committed version lives: its server id, and the
/// `entity/project/collection:vN` its file URLs are asked by.
pub(crate) struct VersionAt<'a> {
    pub id: &'a str,
    pub entity: &'a str,
    pub project: &'a str,
    pub collection: &'a str,
    pub version: &'a str,
}

/// The manifest of the version with server id `id`
/// (`FetchArtifactManifest` + GET of its URL), through a temporary file in
/// `staging`.
pub(crate) fn fetch_manifest(
    client: &Client,
    id: &str,
    staging: &Path,
    not_found: impl Fn() -> OnlineError,
) -> Result<JValue> {
    let data = client.graphql("FetchArtifactManifest", MANIFEST, Some(json!({"id": id})))?;
    let url = data
        .pointer("/artifact/currentManifest/file/directUrl")
        .and_then(JValue::as_str)
        .ok_or_else(not_found)?;
    std::fs::create_dir_all(staging).map_err(|e| OnlineError::io("cannot create", staging, e))?;
    let manifest_file = staging.join(format!(
        "manifest-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let got = client.download(url, &manifest_file);
    let text = got.and_then(|_| {
        std::fs::read_to_string(&manifest_file)
            .map_err(|e| OnlineError::io("cannot read the downloaded manifest", &manifest_file, e))
    });
    let _ = std::fs::remove_file(&manifest_file);
    serde_json::from_str(&text?).map_err(|e| OnlineError::GraphQl {
        op: "FetchArtifactManifest".into(),
        message: format!("the manifest is not JSON: {e}"),
    })
}

/// Downloads every file of the version `at` into `root` through the cache,
/// recording them (and the reference entries) in `out`. `arm` runs before
/// each request (the read API gives each its own retry deadline).
pub(crate) fn download_version(
    client: &Client,
    at: &VersionAt<'_>,
    root: &Path,
    cache_dir: &Path,
    out: &mut DownloadedArtifact,
    not_found: impl Fn() -> OnlineError,
    arm: &dyn Fn(),
) -> Result<()> {
    let staging = cache_dir.join("artifacts/tmp");
    arm();
    let manifest = fetch_manifest(client, at.id, &staging, not_found)?;
    let urls = file_urls(client, at, arm)?;
    let contents = manifest["contents"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (path, entry) in contents {
        // a server-given path must stay inside root
        let rel =
            crate::artifact::validate_logical_path(&path).map_err(|e| OnlineError::GraphQl {
                op: "FetchArtifactManifest".into(),
                message: format!("the manifest has a path that leaves the download root: {e}"),
            })?;
        let expected = entry["digest"].as_str().unwrap_or("").to_string();
        if let Some(r) = entry["ref"].as_str() {
            out.references.push((path.clone(), r.to_string()));
            continue;
        }
        let alg = Algorithm::from_extra_alg(entry.pointer("/extra/alg").and_then(JValue::as_str));
        let cached = cache_path_for(cache_dir, &expected, alg).ok_or_else(|| {
            OnlineError::DigestMismatch {
                path: path.clone(),
                expected: expected.clone(),
                got: format!("(not a base64 {} digest)", alg.cache_dir_name()),
            }
        })?;
        let hit = cached.is_file() && b64_file(&cached, alg).is_ok_and(|(d, _)| d == expected);
        if hit {
            out.cache_hits += 1;
        } else {
            let url = urls.get(&path).ok_or_else(|| OnlineError::GraphQl {
                op: "GetArtifactMembershipFileUrls".into(),
                message: format!("no URL for artifact file {path:?}"),
            })?;
            let want = Expected {
                path: &path,
                digest: &expected,
                alg,
            };
            arm();
            fetch_into_cache(client, url, &staging, &cached, &want)?;
        }
        let dest = root.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| OnlineError::io("cannot create", parent, e))?;
        }
        std::fs::copy(&cached, &dest)
            .map_err(|e| OnlineError::io("cannot write artifact file", &dest, e))?;
        out.files.push((path, dest));
    }
    Ok(())
}

/// The entry a download must produce.
struct Expected<'a> {
    path: &'a str,
    digest: &'a str,
    alg: Algorithm,
}

/// GETs one file to a temporary path, checks its digest, and moves it into
/// the cache.
fn fetch_into_cache(
    client: &Client,
    url: &str,
    staging: &Path,
    cached: &Path,
    want: &Expected<'_>,
) -> Result<()> {
    let tmp = staging.join(format!("dl-{}-{}", std::process::id(), fastrand::u64(..)));
    // the download hashes MD5 as it streams; XXH128 entries are re-read
    let got = client
        .download(url, &tmp)
        .and_then(|(md5, _)| match want.alg {
            Algorithm::Md5 => Ok(md5),
            alg => b64_file(&tmp, alg).map(|(d, _)| d).map_err(|e| {
                OnlineError::io(
                    "cannot read the downloaded file",
                    &tmp,
                    std::io::Error::other(e.to_string()),
                )
            }),
        });
    let got = match got {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if got != want.digest {
        let _ = std::fs::remove_file(&tmp);
        return Err(OnlineError::DigestMismatch {
            path: want.path.to_string(),
            expected: want.digest.to_string(),
            got,
        });
    }
    if let Some(parent) = cached.parent() {
        std::fs::create_dir_all(parent).map_err(|e| OnlineError::io("cannot create", parent, e))?;
    }
    std::fs::rename(&tmp, cached)
        .map_err(|e| OnlineError::io("cannot move into the artifact cache", cached, e))
}

/// Every file URL of the version `at`, by name.
fn file_urls(
    client: &Client,
    at: &VersionAt<'_>,
    arm: &dyn Fn(),
) -> Result<HashMap<String, String>> {
    let mut urls = HashMap::new();
    let mut cursor = JValue::Null;
    // pages of 5000, as the official client; bounded so a server that
    // always says "more" cannot loop forever
    for _ in 0..10_000 {
        arm();
        let data = client.graphql(
            "GetArtifactMembershipFileUrls",
            FILE_URLS,
            Some(
                json!({"entity": at.entity, "project": at.project, "collection": at.collection,
                        "alias": at.version, "cursor": cursor, "perPage": 5000}),
            ),
        )?;
        let files = data
            .pointer("/project/artifactCollection/artifactMembership/files")
            .cloned()
            .unwrap_or(JValue::Null);
        for e in files["edges"].as_array().into_iter().flatten() {
            if let (Some(n), Some(u)) =
                (e["node"]["name"].as_str(), e["node"]["directUrl"].as_str())
            {
                urls.insert(n.to_string(), u.to_string());
            }
        }
        if files["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            break;
        }
        cursor = files["pageInfo"]["endCursor"].clone();
    }
    Ok(urls)
}
