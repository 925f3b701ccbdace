//! Errors of online mode and sync.

use std::path::PathBuf;

/// The result type of [`crate::online`].
pub type Result<T, E = OnlineError> = std::result::Result<T, E>;

/// What can go wrong while talking to a W&B server. The API key never
/// appears in any message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnlineError {
    /// No API key was found anywhere.
    #[error("no W&B API key for {host}: set WANDB_API_KEY, pass Settings::api_key, or run `wandb-rs login` (stores it in ~/.netrc)")]
    MissingApiKey {
        /// The server the key is needed for.
        host: String,
    },
    /// The API key has the wrong shape.
    #[error("invalid W&B API key ({0}): a key is at least 40 letters, digits, '_' or '-', optionally after a '<prefix>-'; copy it again from your W&B settings page")]
    InvalidApiKey(&'static str),
    /// The server rejected the API key.
    #[error("the W&B server at {base_url} rejected the API key (HTTP {status}): check WANDB_API_KEY or run `wandb-rs login --host {base_url}` again")]
    Rejected {
        /// The base URL.
        base_url: String,
        /// 401 or 403.
        status: u16,
    },
    /// The base URL cannot be used.
    #[error(
        "invalid W&B base URL {url:?}: {reason} (set WANDB_BASE_URL to e.g. https://api.wandb.ai)"
    )]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The server answered with an error that retrying does not fix.
    #[error("{what} failed with HTTP {status}: {body}")]
    Http {
        /// What was being done, e.g. "GraphQL UpsertBucket".
        what: String,
        /// The status code.
        status: u16,
        /// The start of the answer.
        body: String,
    },
    /// The server could not be reached (or kept failing) until the deadline.
    #[error("{what} did not succeed before the deadline ({attempts} attempts; last error: {last}); the run directory keeps everything and can be synced later with `wandb-rs sync`")]
    Unreachable {
        /// What was being done.
        what: String,
        /// Attempts made.
        attempts: u32,
        /// The last error seen.
        last: String,
    },
    /// A GraphQL answer carried errors.
    #[error("GraphQL {op} failed: {message}")]
    GraphQl {
        /// The operation.
        op: String,
        /// The server's message(s).
        message: String,
    },
    /// The `.wandb` file has no run record, so there is nothing to create.
    #[error("{0}: no run record found (a .wandb file must start with a run record to be synced)")]
    NoRunRecord(PathBuf),
    /// No `.wandb` file was found in a run directory.
    #[error("{0}: no run-<id>.wandb file in this directory")]
    NoWandbFile(PathBuf),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The `.wandb` file is not valid.
    #[error("{path}: {reason}")]
    BadLog {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The `resume` setting refuses to start this run.
    #[error("run {run_id} {location} {}", .conflict.explain())]
    Resume {
        /// The run id.
        run_id: String,
        /// Where the run was looked up.
        location: String,
        /// What the setting forbids.
        conflict: crate::resume::ResumeConflict,
    },
    /// The server has no artifact by that name and alias.
    #[error("artifact {reference} not found on the server: check the entity, project, name and alias (or version vN)")]
    ArtifactNotFound {
        /// The reference looked up.
        reference: String,
    },
    /// A downloaded artifact file does not have the digest of its manifest.
    #[error("downloaded artifact file {path:?} has digest {got}, but the manifest says {expected}: nothing was written for it; retry, or report the corrupt artifact")]
    DigestMismatch {
        /// The logical path.
        path: String,
        /// The manifest's b64 MD5.
        expected: String,
        /// The b64 MD5 of what was received.
        got: String,
    },
    /// The server has no such run (or the key cannot see it).
    #[error("run {path} not found on the server: check the entity, project and run id (the run id is the last part of the run's URL) and that the API key can see it")]
    RunNotFound {
        /// `entity/project/id` looked up.
        path: String,
    },
    /// A run or project path of the read API cannot be understood.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The path given.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The server's answer does not have the expected shape.
    #[error("unexpected answer to {op}: {reason} (is the base URL a W&B server of a supported version?)")]
    UnexpectedAnswer {
        /// The GraphQL operation.
        op: String,
        /// What was wrong.
        reason: String,
    },
    /// Settings could not be resolved.
    #[error("cannot resolve the W&B settings: {reason}")]
    InvalidSetting {
        /// The settings error.
        reason: String,
    },
    /// A server file name would leave the download directory.
    #[error("refusing to download {name:?}: the name is not a plain relative path")]
    UnsafeFileName {
        /// The name the server gave.
        name: String,
    },
    /// The download destination exists and replacing was not asked for.
    #[error("{path} already exists: pass replace = true to overwrite it")]
    FileExists {
        /// The destination.
        path: PathBuf,
    },
    /// The server refused to delete a version that still holds aliases.
    #[error("the server refused to delete artifact version {version} because it holds aliases {aliases:?} ({message}): move or delete the aliases first, or delete with delete_aliases = true")]
    ArtifactHasAliases {
        /// `v<index>`.
        version: String,
        /// The aliases it holds.
        aliases: Vec<String>,
        /// What the server said.
        message: String,
    },
    /// The background uploader stopped unexpectedly.
    #[error("the upload thread failed: {0}")]
    Thread(String),
}

impl OnlineError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        OnlineError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<OnlineError> for crate::Error {
    fn from(e: OnlineError) -> Self {
        match e {
            OnlineError::Io {
                action,
                path,
                source,
            } => crate::Error::Io {
                action,
                path,
                source,
            },
            OnlineError::MissingApiKey { .. } | OnlineError::InvalidApiKey(_) => {
                crate::Error::InvalidSetting {
                    name: "api_key".into(),
                    reason: e.to_string(),
                }
            }
            OnlineError::InvalidBaseUrl { .. } => crate::Error::InvalidSetting {
                name: "base_url".into(),
                reason: e.to_string(),
            },
            OnlineError::Resume {
                run_id,
                location,
                conflict,
            } => crate::Error::Resume {
                run_id,
                location,
                conflict,
            },
            other => crate::Error::Writer(format!("online mode: {other}")),
        }
    }
}
