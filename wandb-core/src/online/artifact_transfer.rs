//! The file transfers of an artifact upload (spec artifacts.md §2.4, §2.5):
//! file specs go to `CreateArtifactFiles` in batches of 25, the PUTs of a
//! batch run on up to [`PARALLEL`] threads (each retried by the client),
//! and a file of at least the multipart threshold (2 GiB) goes up in parts
//! (100 MiB; more than 10 000 parts make them larger) whose MD5s are in its
//! spec, each part PUT with its `Content-MD5`, then
//! `CompleteMultipartUploadArtifact` with the parts' ETags.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use md5::{Digest as _, Md5};
use parking_lot::Mutex;
use serde_json::{json, Value as JValue};

use super::error::{OnlineError, Result};
use super::http::Client;
use crate::artifact::digest::b64;

/// File specs per `CreateArtifactFiles` call (the official client's start).
pub(super) const BATCH: usize = 25;
/// Concurrent PUTs.
pub const PARALLEL: usize = 8;
/// At most this many parts per file.
const MAX_PARTS: u64 = 10_000;

static THRESHOLD: AtomicU64 = AtomicU64::new(2 << 30);
static PART_SIZE: AtomicU64 = AtomicU64::new(100 << 20);

/// Lowers the multipart threshold and part size of this process (tests
/// exercise multipart without 2 GiB files). Not for production use.
#[doc(hidden)]
pub fn set_multipart_for_tests(threshold: u64, part_size: u64) {
    THRESHOLD.store(threshold.max(1), Ordering::Relaxed);
    PART_SIZE.store(part_size.max(1), Ordering::Relaxed);
}

const COMPLETE: &str = "mutation CompleteMultipartUploadArtifact($completeMultipartAction: CompleteMultipartAction!, $completedParts: [UploadPartsInput!]!, $artifactID: ID!, $storagePath: String!, $uploadID: String!) {
  completeMultipartUploadArtifact(input: {completeMultipartAction: $completeMultipartAction, completedParts: $completedParts, artifactID: $artifactID, storagePath: $storagePath, uploadID: $uploadID}) { digest }
}";

/// One part of a multipart file.
#[derive(Debug, Clone)]
pub(super) struct Part {
    number: u64,
    offset: u64,
    len: u64,
    md5: [u8; 16],
}

/// A file to upload: its logical path, manifest digest, content and parts.
#[derive(Debug)]
pub(super) struct FileSpec {
    pub name: String,
    pub digest: String,
    pub file: PathBuf,
    pub parts: Option<Vec<Part>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The part size of a `size`-byte file: the configured size, larger (a
/// multiple of 4096) when more than 10 000 parts would be needed.
fn part_size(size: u64) -> u64 {
    let base = PART_SIZE.load(Ordering::Relaxed);
    if size.div_ceil(base) <= MAX_PARTS {
        base
    } else {
        size.div_ceil(MAX_PARTS).div_ceil(4096) * 4096
    }
}

/// A spec for `file`; files of at least the threshold get their parts'
/// MD5s (one streaming pass).
pub(super) fn file_spec(name: &str, digest: &str, file: &Path) -> Result<FileSpec> {
    let size = std::fs::metadata(file)
        .map_err(|e| OnlineError::io("cannot read artifact file", file, e))?
        .len();
    let parts = if size >= THRESHOLD.load(Ordering::Relaxed) {
        Some(hash_parts(file, size, part_size(size))?)
    } else {
        None
    };
    Ok(FileSpec {
        name: name.to_string(),
        digest: digest.to_string(),
        file: file.to_path_buf(),
        parts,
    })
}

fn hash_parts(file: &Path, size: u64, part: u64) -> Result<Vec<Part>> {
    let mut f = std::fs::File::open(file)
        .map_err(|e| OnlineError::io("cannot open artifact file", file, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut parts = Vec::new();
    let mut offset = 0;
    while offset < size {
        let len = part.min(size - offset);
        let mut hasher = Md5::new();
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let n = f
                .read(&mut buf[..want])
                .map_err(|e| OnlineError::io("cannot read artifact file", file, e))?;
            if n == 0 {
                return Err(OnlineError::io(
                    "artifact file shrank while it was hashed",
                    file,
                    std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
                ));
            }
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
        parts.push(Part {
            number: parts.len() as u64 + 1,
            offset,
            len,
            md5: hasher.finalize().into(),
        });
        offset += len;
    }
    Ok(parts)
}

/// The `CreateArtifactFiles` spec of a file.
pub(super) fn spec_json(f: &FileSpec, id: &str, manifest_id: &str) -> JValue {
    let parts = f.parts.as_ref().map(|p| {
        p.iter()
            .map(|p| json!({"hexMD5": hex(&p.md5), "partNumber": p.number}))
            .collect::<Vec<_>>()
    });
    json!({"artifactID": id, "artifactManifestID": manifest_id, "md5": f.digest,
           "mimetype": null, "name": f.name, "uploadPartsInput": parts})
}

/// One PUT.
struct Job<'a> {
    file: usize,
    url: String,
    headers: Vec<(String, String)>,
    path: &'a Path,
    range: Option<&'a Part>,
}

/// A multipart file waiting for completion.
struct Pending {
    file: usize,
    upload_id: String,
    storage_path: String,
}

/// PUTs the files of one answered batch (`edges[i]` for `files[i]`) and
/// completes its multipart uploads.
pub(super) fn transfer(
    client: &Client,
    artifact_id: &str,
    files: &[&FileSpec],
    edges: &[JValue],
) -> Result<()> {
    let mut jobs = Vec::new();
    let mut pending = Vec::new();
    for (i, (f, edge)) in files.iter().zip(edges).enumerate() {
        let node = &edge["node"];
        let Some(url) = node["uploadUrl"].as_str() else {
            continue; // the server already holds this content
        };
        let headers = super::artifacts::headers(node.get("uploadHeaders"));
        match (
            &f.parts,
            node.get("uploadMultipartUrls").filter(|m| !m.is_null()),
        ) {
            (Some(parts), Some(multi)) => {
                let content_type: Vec<(String, String)> = headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    .cloned()
                    .collect();
                let urls = multi["uploadUrlParts"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for p in parts {
                    let url = urls
                        .iter()
                        .find(|u| u["partNumber"].as_u64() == Some(p.number))
                        .and_then(|u| u["uploadUrl"].as_str())
                        .ok_or_else(|| OnlineError::GraphQl {
                            op: "CreateArtifactFiles".into(),
                            message: format!("no upload URL for part {} of {}", p.number, f.name),
                        })?;
                    let mut h = content_type.clone();
                    h.push(("Content-MD5".into(), b64(&p.md5)));
                    jobs.push(Job {
                        file: i,
                        url: url.to_string(),
                        headers: h,
                        path: &f.file,
                        range: Some(p),
                    });
                }
                pending.push(Pending {
                    file: i,
                    upload_id: multi["uploadID"].as_str().unwrap_or_default().to_string(),
                    storage_path: node["storagePath"].as_str().unwrap_or_default().to_string(),
                });
            }
            _ => jobs.push(Job {
                file: i,
                url: url.to_string(),
                headers,
                path: &f.file,
                range: None,
            }),
        }
    }
    let etags = run_parallel(client, &jobs)?;
    for p in pending {
        let Some(parts) = &files[p.file].parts else {
            continue;
        };
        let completed: Vec<JValue> = parts
            .iter()
            .map(|part| {
                let etag = etags
                    .iter()
                    .find(|(f, n, _)| *f == p.file && *n == part.number)
                    .map_or("", |(_, _, e)| e.as_str());
                json!({"hexMD5": etag, "partNumber": part.number})
            })
            .collect();
        client.graphql(
            "CompleteMultipartUploadArtifact",
            COMPLETE,
            Some(
                json!({"completeMultipartAction": "Complete", "completedParts": completed,
                        "artifactID": artifact_id, "storagePath": p.storage_path,
                        "uploadID": p.upload_id}),
            ),
        )?;
    }
    Ok(())
}

/// Runs the PUTs on up to [`PARALLEL`] threads; the first error stops the
/// others taking new ones and is returned. Returns (file, part, ETag) of
/// each part.
fn run_parallel(client: &Client, jobs: &[Job<'_>]) -> Result<Vec<(usize, u64, String)>> {
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<OnlineError>> = Mutex::new(None);
    let etags = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL.min(jobs.len()) {
            s.spawn(|| loop {
                if failed.lock().is_some() {
                    return;
                }
                let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return;
                };
                let done = match job.range {
                    None => client
                        .upload_file(&job.url, &job.headers, job.path)
                        .map(|()| None),
                    Some(p) => client
                        .upload_part(&job.url, &job.headers, job.path, p.offset, p.len)
                        .map(|etag| Some((job.file, p.number, etag))),
                };
                match done {
                    Ok(Some(e)) => etags.lock().push(e),
                    Ok(None) => {}
                    Err(e) => {
                        failed.lock().get_or_insert(e);
                        return;
                    }
                }
            });
        }
    });
    match failed.into_inner() {
        Some(e) => Err(e),
        None => Ok(etags.into_inner()),
    }
}
