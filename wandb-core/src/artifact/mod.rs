//! User artifacts: versioned sets of files (checkpoints, datasets) logged to
//! a run, as `wandb.Artifact` of the official client (spec artifacts.md §1).
//!
//! An [`Artifact`] is built on the caller's side: [`Artifact::add_file`],
//! [`Artifact::add_dir`] and [`Artifact::add_reference`] hash the content at
//! once (MD5, streamed) and remember where it is; [`Artifact::new_file`]
//! keeps written bytes in memory. [`Run::log_artifact`](crate::Run::log_artifact)
//! then copies every file to the staging directory (checking it still has the
//! digest it was added with) and writes the `artifact` record, exactly as the
//! official client stages an artifact offline; `wandb sync` (official or
//! `wandb-rs sync`) uploads it later, and online runs upload it live.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::value::Value;

mod checkpoint;
pub mod digest;
mod internal;
mod record;
mod reference;
pub mod stage;
mod validate;

pub use checkpoint::{CheckpointManager, LoggedCheckpoint};
pub(crate) use record::build_record;
pub use record::{manifest, LoggedArtifact};
pub use reference::{ArtifactRef, UsedArtifact};
pub(crate) use validate::aliases as validate_aliases;
#[cfg(feature = "online")]
pub(crate) use validate::logical_path as validate_logical_path;

/// What is wrong with an artifact, an alias or an artifact file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The name is empty, too long or has characters W&B refuses.
    #[error("invalid artifact name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The type is reserved for W&B's own artifacts or is malformed.
    #[error("invalid artifact type {type:?}: {reason}")]
    InvalidType {
        /// The type given.
        r#type: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// An alias contains `/` or `:` or is empty.
    #[error("invalid artifact alias {alias:?}: aliases must be non-empty and must not contain '/' or ':'")]
    InvalidAlias {
        /// The alias given.
        alias: String,
    },
    /// The metadata is not a JSON object of at most 100 keys without infinities.
    #[error("invalid artifact metadata: {0}")]
    InvalidMetadata(String),
    /// A logical path inside the artifact is absolute, empty or leaves the artifact.
    #[error("invalid artifact path {path:?}: use a relative path with '/' separators and no '..'")]
    InvalidPath {
        /// The path given.
        path: String,
    },
    /// The same logical path was added twice with different content.
    #[error("artifact path {path:?} was already added with other content: use another name, or add_file_overwrite to replace it")]
    DuplicatePath {
        /// The logical path.
        path: String,
    },
    /// `add_file` got something that is not a regular file (or `add_dir` not a directory).
    #[error("{path} is not a {expected}: {hint}")]
    NotFound {
        /// The local path.
        path: PathBuf,
        /// "file" or "directory".
        expected: &'static str,
        /// What to use instead.
        hint: &'static str,
    },
    /// A file changed between `add_file` and `log_artifact`.
    #[error("artifact file {path:?} ({file}) changed after it was added (digest {added} when added, {now} now): add it again after writing it")]
    Changed {
        /// The logical path.
        path: String,
        /// The local file.
        file: PathBuf,
        /// The b64 MD5 when added.
        added: String,
        /// The b64 MD5 now.
        now: String,
    },
    /// An artifact reference (`entity/project/name:alias`) is malformed.
    #[error("invalid artifact reference {reference:?}: {reason}")]
    InvalidReference {
        /// The reference given.
        reference: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `use_artifact` in a run without a server connection.
    #[error("cannot use artifact {reference:?} in {mode} mode: using an artifact needs the server (the official client raises the same); run online, or download it with wandb_core::online::download_artifact")]
    NeedsServer {
        /// The reference.
        reference: String,
        /// The run's mode.
        mode: &'static str,
    },
}

/// Where the content of an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySource {
    /// A local file, copied into staging when the artifact is logged.
    File(PathBuf),
    /// Bytes written with [`Artifact::new_file`].
    Bytes(Arc<[u8]>),
    /// A reference URI: recorded, never uploaded.
    Reference(String),
}

/// One entry of an artifact's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactEntry {
    /// Logical path inside the artifact (`/` separators).
    pub path: String,
    /// b64 MD5 of the content (for a non-file reference: the URI itself).
    pub digest: String,
    /// Size in bytes (0 when unknown).
    pub size: u64,
    /// Where the content is.
    pub source: EntrySource,
    /// Whether the uploader must not copy the file into the local cache
    /// (true for [`Artifact::new_file`] entries, as the official client).
    pub skip_cache: bool,
}

/// A draft artifact: a name, a type, optional description and metadata, and
/// its entries by logical path.
#[derive(Debug, Clone)]
pub struct Artifact {
    name: String,
    r#type: String,
    description: Option<String>,
    metadata: Option<String>,
    entries: BTreeMap<String, ArtifactEntry>,
    client_id: String,
    sequence_client_id: String,
}

impl Artifact {
    /// A new empty artifact, validated as the official constructor:
    /// the name matches `^[a-zA-Z0-9_\-.]+$` (at most 128 characters); the
    /// type is not reserved (`wandb-*`, `job`, `run_table` with a `run-`
    /// name, `code` with a `source-` name) and has no `/` or `:`.
    pub fn new(name: impl Into<String>, r#type: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let r#type = r#type.into();
        validate::name(&name)?;
        validate::artifact_type(&r#type, &name)?;
        Ok(Artifact {
            name,
            r#type,
            description: None,
            metadata: None,
            entries: BTreeMap::new(),
            client_id: digest::client_id(),
            sequence_client_id: digest::client_id(),
        })
    }

    /// Sets the description (markdown shown in the UI).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.description = (!text.is_empty()).then_some(text);
        self
    }

    /// Sets the metadata from anything serialisable to a JSON object of at
    /// most 100 keys. Non-finite floats become `null` (serde's JSON model;
    /// the server refuses infinities). Stored as compact JSON.
    pub fn metadata<T: serde::Serialize + ?Sized>(mut self, metadata: &T) -> Result<Self> {
        let value = Value::from_serialize(metadata)
            .map_err(|e| ArtifactError::InvalidMetadata(e.to_string()))?;
        self.metadata = validate::metadata(value)?;
        Ok(self)
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The type.
    pub fn artifact_type(&self) -> &str {
        &self.r#type
    }
    /// The description, if set.
    pub fn get_description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The metadata as compact JSON, if set.
    pub fn metadata_json(&self) -> Option<&str> {
        self.metadata.as_deref()
    }
    /// The entries, sorted by logical path.
    pub fn entries(&self) -> impl Iterator<Item = &ArtifactEntry> {
        self.entries.values()
    }
    /// The artifact digest (hex MD5 over paths and entry digests, §1.3).
    pub fn digest(&self) -> String {
        let pairs: Vec<(&str, &str)> = self
            .entries
            .values()
            .map(|e| (e.path.as_str(), e.digest.as_str()))
            .collect();
        digest::manifest_digest(&pairs)
    }

    /// Adds one entry; the same path twice is fine only with the same content.
    fn insert(&mut self, entry: ArtifactEntry, overwrite: bool) -> Result<&ArtifactEntry> {
        let path = entry.path.clone();
        if let Some(old) = self.entries.get(&path) {
            if !overwrite && old.digest != entry.digest {
                return Err(ArtifactError::DuplicatePath { path }.into());
            }
        }
        self.entries.insert(path.clone(), entry);
        self.entries
            .get(&path)
            .ok_or_else(|| Error::InvalidValue(format!("artifact entry {path:?} vanished")))
    }

    /// Adds a local file at `name` (default: its file name). The file is
    /// hashed now and copied to staging by `log_artifact`; if it changes in
    /// between, `log_artifact` fails with [`ArtifactError::Changed`].
    pub fn add_file(
        &mut self,
        local: impl AsRef<Path>,
        name: Option<&str>,
    ) -> Result<&ArtifactEntry> {
        self.add_local(local.as_ref(), name, false)
    }

    /// [`Artifact::add_file`] that replaces an entry already at that path.
    pub fn add_file_overwrite(
        &mut self,
        local: impl AsRef<Path>,
        name: Option<&str>,
    ) -> Result<&ArtifactEntry> {
        self.add_local(local.as_ref(), name, true)
    }

    fn add_local(
        &mut self,
        local: &Path,
        name: Option<&str>,
        overwrite: bool,
    ) -> Result<&ArtifactEntry> {
        if !local.is_file() {
            return Err(ArtifactError::NotFound {
                path: local.to_path_buf(),
                expected: "file",
                hint: "use add_dir for a directory, add_reference for a URI",
            }
            .into());
        }
        let path = match name {
            Some(n) => validate::logical_path(n)?,
            None => validate::logical_path(
                &local
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )?,
        };
        let (digest, size) = digest::b64_md5_file(local)?;
        let source =
            EntrySource::File(std::path::absolute(local).unwrap_or_else(|_| local.to_path_buf()));
        self.insert(
            ArtifactEntry {
                path,
                digest,
                size,
                source,
                skip_cache: false,
            },
            overwrite,
        )
    }

    /// Adds every file under `local` (symlinks followed), each at
    /// `<name>/<relative path>` (or the relative path when `name` is
    /// `None`), with `/` separators. Returns the number of entries added.
    pub fn add_dir(&mut self, local: impl AsRef<Path>, name: Option<&str>) -> Result<usize> {
        let local = local.as_ref();
        if !local.is_dir() {
            return Err(ArtifactError::NotFound {
                path: local.to_path_buf(),
                expected: "directory",
                hint: "use add_file for a single file",
            }
            .into());
        }
        let prefix = match name {
            Some(n) => Some(validate::logical_path(n)?),
            None => None,
        };
        let mut files = Vec::new();
        walk(local, "", 0, &mut files)?;
        let count = files.len();
        for (rel, file) in files {
            let logical = match &prefix {
                Some(p) => format!("{p}/{rel}"),
                None => rel,
            };
            self.add_local(&file, Some(&logical), false)?;
        }
        Ok(count)
    }

    /// Writes an entry from memory (the official `new_file`, whose entries
    /// are not copied into the upload cache).
    pub fn new_file(&mut self, name: &str, content: impl Into<Vec<u8>>) -> Result<&ArtifactEntry> {
        let path = validate::logical_path(name)?;
        let bytes: Arc<[u8]> = content.into().into();
        let digest = digest::b64_md5(&bytes);
        let size = bytes.len() as u64;
        self.insert(
            ArtifactEntry {
                path,
                digest,
                size,
                source: EntrySource::Bytes(bytes),
                skip_cache: true,
            },
            false,
        )
    }

    /// Adds a reference: recorded in the manifest, never uploaded.
    /// `file://` URIs are hashed like files (a directory gives one entry per
    /// file, `<name>/<relative path>`); other URIs (`s3://`, `https://`, …)
    /// are tracked as the official client does without checksums: the
    /// digest is the URI. Returns the number of entries added.
    pub fn add_reference(&mut self, uri: &str, name: Option<&str>) -> Result<usize> {
        reference::add(self, uri, name)
    }
}

/// Deepest directory level `add_dir` follows (symlinks may loop).
const MAX_DEPTH: usize = 64;

/// Files under `dir` as (relative path with `/`, path), sorted.
fn walk(dir: &Path, rel: &str, depth: usize, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::io(
            "artifact directory nested too deep (a symlink loop?)",
            dir,
            std::io::Error::other(format!("more than {MAX_DEPTH} levels")),
        ));
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io("cannot read artifact directory", dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let child_rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{}", name)
        };
        let p = e.path();
        // follow symlinks, as os.walk(followlinks=True)
        if p.is_dir() {
            walk(&p, &child_rel, depth + 1, out)?;
        } else if p.is_file() {
            out.push((child_rel, p));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
