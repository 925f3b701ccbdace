//! The `artifact` record of a logged artifact (spec artifacts.md §1.4).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{stage, validate, Artifact, EntrySource};
use crate::error::Result;
use crate::media::RunInfo;
use crate::proto;

/// What `log_artifact` recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedArtifact {
    /// The artifact (collection) name.
    pub name: String,
    /// The type.
    pub r#type: String,
    /// The artifact digest (hex MD5, §1.3).
    pub digest: String,
    /// The aliases recorded, `latest` included.
    pub aliases: Vec<String>,
    /// The staging copy of each uploaded entry, by logical path.
    pub staged: Vec<(String, PathBuf)>,
    /// The record's `client_id` (128 characters), which identifies this
    /// draft until the server has assigned it an id.
    pub client_id: String,
    /// The run that uploads it (online runs only): see [`LoggedArtifact::wait`].
    pub handle: Option<WaitHandle>,
}

/// What [`LoggedArtifact::wait`] needs: the (weakly held) run that uploads
/// the artifact. Handles compare equal to each other.
#[derive(Clone)]
pub struct WaitHandle(pub(crate) crate::run::WeakRun);

impl PartialEq for WaitHandle {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for WaitHandle {}

impl std::fmt::Debug for WaitHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WaitHandle")
    }
}

impl LoggedArtifact {
    /// Waits until the server has committed this version (online runs:
    /// the live uploader sends it in the background) and returns it
    /// (version index, digest, aliases), as the official `artifact.wait()`.
    /// A version with the same digest already on the server counts as
    /// committed (no new version is made).
    ///
    /// Errors: [`ArtifactError::NotUploaded`](super::ArtifactError::NotUploaded)
    /// for an offline or disabled run (`wandb sync` uploads it later),
    /// [`ArtifactError::WaitTimeout`](super::ArtifactError::WaitTimeout),
    /// [`ArtifactError::UploadFailed`](super::ArtifactError::UploadFailed)
    /// when the upload failed or the server refused the artifact.
    pub fn wait(&self, timeout: std::time::Duration) -> Result<super::CommittedArtifact> {
        match self.handle.as_ref().and_then(|h| h.0.upgrade()) {
            Some(run) => run.wait_artifact(self, timeout),
            None => crate::run::wait_uploaded(self, timeout),
        }
    }
}

/// Stages the artifact's files into `staging` and builds its record.
/// Entries with the same content share one staging copy.
pub(crate) fn build_record<S: AsRef<str>>(
    art: &Artifact,
    info: &RunInfo,
    staging: &Path,
    aliases: &[S],
) -> Result<(proto::ArtifactRecord, LoggedArtifact)> {
    let aliases = validate::aliases(aliases)?;
    let mut by_digest: HashMap<&str, PathBuf> = HashMap::new();
    let mut contents = Vec::with_capacity(art.entries.len());
    let mut staged = Vec::new();
    for e in art.entries.values() {
        let mut entry = proto::ArtifactManifestEntry {
            path: e.path.clone(),
            digest: e.digest.clone(),
            size: i64::try_from(e.size).unwrap_or(i64::MAX),
            skip_cache: e.skip_cache,
            ..Default::default()
        };
        let local = match &e.source {
            EntrySource::Reference(uri) => {
                entry.r#ref = uri.clone();
                None
            }
            EntrySource::File(src) => Some(match by_digest.get(e.digest.as_str()) {
                Some(p) => p.clone(),
                None => stage::stage_file(staging, &e.path, src, &e.digest)?,
            }),
            EntrySource::Bytes(b) => Some(match by_digest.get(e.digest.as_str()) {
                Some(p) => p.clone(),
                None => stage::stage_bytes(staging, b)?,
            }),
        };
        if let Some(local) = local {
            by_digest.insert(&e.digest, local.clone());
            entry.local_path = local.to_string_lossy().into_owned();
            staged.push((e.path.clone(), local));
        }
        contents.push(entry);
    }
    let digest = art.digest();
    let record = proto::ArtifactRecord {
        run_id: info.run_id.clone(),
        project: info.project.clone(),
        entity: info.entity.clone(),
        r#type: art.r#type.clone(),
        name: art.name.clone(),
        digest: digest.clone(),
        description: art.description.clone().unwrap_or_default(),
        metadata: art.metadata.clone().unwrap_or_default(),
        aliases: aliases.clone(),
        manifest: Some(manifest(contents)),
        finalize: true,
        client_id: art.client_id.clone(),
        sequence_client_id: art.sequence_client_id.clone(),
        digest_algorithm: "MANIFEST_MD5".into(),
        ..Default::default()
    };
    let logged = LoggedArtifact {
        name: art.name.clone(),
        r#type: art.r#type.clone(),
        digest,
        aliases,
        staged,
        client_id: art.client_id.clone(),
        handle: None,
    };
    Ok((record, logged))
}

/// The manifest of a record: version 1, `wandb-storage-policy-v1`, storage
/// layout V2, `contents` sorted by path.
pub fn manifest(mut contents: Vec<proto::ArtifactManifestEntry>) -> proto::ArtifactManifest {
    contents.sort_by(|a, b| a.path.cmp(&b.path));
    proto::ArtifactManifest {
        version: 1,
        storage_policy: "wandb-storage-policy-v1".into(),
        storage_policy_config: vec![proto::StoragePolicyConfigItem {
            key: "storageLayout".into(),
            value_json: "\"V2\"".into(),
        }],
        contents,
        manifest_file_path: String::new(),
    }
}
