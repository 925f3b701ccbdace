//! The media extension point: how rich values (images, tables, ...) become
//! files in the run directory and JSON in history.
//!
//! Core knows no concrete media type. A media type implements [`Media`]; its
//! [`Media::materialize`] runs on the run's writer thread (never on the
//! caller's thread) with a [`MediaContext`] that writes files under
//! `files/media/...`, emits the `files` records for them and any extra
//! records (config entries for charts, `run_table` artifacts).

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::proto;
use crate::value::Value;

/// A value that is stored as a file (or several) plus a JSON description,
/// like `wandb.Image` or `wandb.Table`.
pub trait Media: Send + Sync + fmt::Debug {
    /// Writes the object's files through `ctx` and returns the JSON value that
    /// goes into history or the summary (e.g. `{"_type":"image-file",...}`).
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> Result<Value>;
}

/// Where a media value is being logged: a history step or the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaStep {
    /// A history row with this `_step`.
    Step(u64),
    /// The run summary (file names use `summary` as the step).
    Summary,
}

impl fmt::Display for MediaStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaStep::Step(s) => write!(f, "{s}"),
            MediaStep::Summary => f.write_str("summary"),
        }
    }
}

/// A file written into the run's `files/` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Path relative to `files/`, with `/` separators (`media/images/x_0_ab12.png`).
    pub path: String,
    /// Hex SHA-256 of the file bytes.
    pub sha256: String,
    /// File size in bytes.
    pub size: u64,
}

/// Identity of the run a media value is logged to.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// The run id.
    pub run_id: String,
    /// The entity (may be empty offline).
    pub entity: String,
    /// The project.
    pub project: String,
    /// `$WANDB_DATA_DIR` of the run's settings, if set (artifact staging).
    pub data_dir: Option<std::path::PathBuf>,
}

/// What a [`Media`] implementation may do while it is materialised.
pub struct MediaContext<'a> {
    files_dir: &'a Path,
    key: &'a str,
    step: MediaStep,
    run: &'a RunInfo,
    records: &'a mut Vec<proto::record::RecordType>,
}

impl<'a> MediaContext<'a> {
    /// Creates a context; `records` receives the records to write after the
    /// value (files, config, artifact).
    pub fn new(
        files_dir: &'a Path,
        key: &'a str,
        step: MediaStep,
        run: &'a RunInfo,
        records: &'a mut Vec<proto::record::RecordType>,
    ) -> Self {
        MediaContext {
            files_dir,
            key,
            step,
            run,
            records,
        }
    }

    /// The history or summary key the value is logged under (may contain `/`).
    pub fn key(&self) -> &str {
        self.key
    }

    /// The step (or summary) the value is logged at.
    pub fn step(&self) -> MediaStep {
        self.step
    }

    /// The run's identity.
    pub fn run(&self) -> &RunInfo {
        self.run
    }

    /// The run's `files/` directory.
    pub fn files_dir(&self) -> &Path {
        self.files_dir
    }

    /// Writes `bytes` as `media/<subdir>/<key>_<step>_<sha256[:20]><extension>`
    /// (`extension` includes its dot, e.g. `.png` or `.table.json`), the way
    /// the official client names media files, and emits its `files` record.
    pub fn write_media_file(
        &mut self,
        subdir: &str,
        extension: &str,
        bytes: &[u8],
    ) -> Result<MediaFile> {
        let sha = hex_sha256(bytes);
        let rel = format!(
            "media/{subdir}/{}_{}_{}{extension}",
            self.key,
            self.step,
            &sha[..20]
        );
        self.write_file_with_hash(&rel, bytes, sha)
    }

    /// Writes `bytes` at `rel_path` under `files/` and emits its `files` record.
    pub fn write_file(&mut self, rel_path: &str, bytes: &[u8]) -> Result<MediaFile> {
        self.write_file_with_hash(rel_path, bytes, hex_sha256(bytes))
    }

    fn write_file_with_hash(
        &mut self,
        rel_path: &str,
        bytes: &[u8],
        sha256: String,
    ) -> Result<MediaFile> {
        let full = self.resolve(rel_path)?;
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io("cannot create media directory", parent, e))?;
        }
        let mut f = std::fs::File::create(&full)
            .map_err(|e| Error::io("cannot create media file", &full, e))?;
        f.write_all(bytes)
            .map_err(|e| Error::io("cannot write media file", &full, e))?;
        self.emit_files_record(rel_path, proto::files_item::PolicyType::Now);
        Ok(MediaFile {
            path: rel_path.to_owned(),
            sha256,
            size: bytes.len() as u64,
        })
    }

    /// Copies an existing file to `rel_path` under `files/` and emits its
    /// `files` record.
    pub fn copy_file(&mut self, rel_path: &str, source: &Path) -> Result<MediaFile> {
        let bytes =
            std::fs::read(source).map_err(|e| Error::io("cannot read media file", source, e))?;
        self.write_file(rel_path, &bytes)
    }

    /// Emits a `files` record for a path under `files/` (e.g. a file saved
    /// at the end of the run with [`proto::files_item::PolicyType::End`]).
    pub fn emit_files_record(&mut self, rel_path: &str, policy: proto::files_item::PolicyType) {
        self.records
            .push(proto::record::RecordType::Files(proto::FilesRecord {
                files: vec![proto::FilesItem {
                    path: rel_path.to_owned(),
                    policy: policy as i32,
                    r#type: proto::files_item::FileType::Other as i32,
                }],
                info: None,
            }));
    }

    /// Sets a config value at a nested key, e.g.
    /// `["_wandb", "visualize", "<key>"]` for a chart.
    pub fn update_config(&mut self, nested_key: &[&str], value: &Value) -> Result<()> {
        let value_json = crate::json::to_json_string(value)?;
        self.records
            .push(proto::record::RecordType::Config(proto::ConfigRecord {
                update: vec![proto::ConfigItem {
                    key: String::new(),
                    nested_key: nested_key.iter().map(|s| (*s).to_owned()).collect(),
                    value_json,
                }],
                remove: vec![],
                info: None,
            }));
        Ok(())
    }

    /// Emits any other record after the value (e.g. an `artifact` record).
    pub fn emit_record(&mut self, record: proto::record::RecordType) {
        self.records.push(record);
    }

    fn resolve(&self, rel_path: &str) -> Result<PathBuf> {
        let rel = Path::new(rel_path);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(Error::InvalidValue(format!(
                "media path {rel_path:?} must stay inside the run's files directory"
            )));
        }
        Ok(self.files_dir.join(rel))
    }
}

/// Hex SHA-256 of `bytes`.
pub fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
    }
    s
}
