//! Reading every readable record of a run's `.wandb` file, with a report of
//! what was skipped and where.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use prost::Message as _;
use wandb_core::proto;
use wandb_core::store::{LogReader, ReadError};

use crate::error::{Error, Result};

/// Something skipped while reading a `.wandb` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Byte offset in the file of the chunk or record that was skipped
    /// (`None` for a record whose chunks were intact but whose content is
    /// not a valid `Record`: the reader does not tell where it started).
    pub offset: Option<u64>,
    /// What was wrong.
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "at byte offset {o}: {}", self.reason),
            None => write!(f, "{}", self.reason),
        }
    }
}

/// The readable records of a `.wandb` file, as stored (protobuf payloads).
#[derive(Debug, Default)]
pub struct RawRun {
    /// The `.wandb` file that was read.
    pub path: PathBuf,
    /// The decoded records, in file order.
    pub records: Vec<proto::Record>,
    /// Each record's encoded `Record` message, in file order (only from
    /// [`read_run`]; [`read_run_records`] leaves it empty).
    pub payloads: Vec<Vec<u8>>,
    /// Corrupt chunks, undecodable records and a truncated end, in file order.
    pub skipped: Vec<Skipped>,
}

/// The `.wandb` file of `path`: `path` itself when it is a file, otherwise
/// the single `run-*.wandb` file of the run directory `path`.
pub fn resolve_wandb_file(path: &Path) -> Result<PathBuf> {
    let meta = fs::metadata(path).map_err(|e| Error::io("cannot open", path, e))?;
    if !meta.is_dir() {
        return Ok(path.to_path_buf());
    }
    let entries = fs::read_dir(path).map_err(|e| Error::io("cannot list", path, e))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "wandb")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("run-"))
        })
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::NoRunFile(path.to_path_buf())),
        _ => Err(Error::SeveralRunFiles(path.to_path_buf())),
    }
}

/// Reads every readable record of the run directory or `.wandb` file
/// `path`. Corrupt chunks, records that do not decode and a truncated end
/// are skipped and reported in [`RawRun::skipped`]; a file that is not a
/// `.wandb` file (bad header) or cannot be read is an error.
pub fn read_run(path: &Path) -> Result<RawRun> {
    read(path, true)
}

/// [`read_run`] without keeping the encoded payloads (for export).
pub fn read_run_records(path: &Path) -> Result<RawRun> {
    read(path, false)
}

fn read(path: &Path, keep_payloads: bool) -> Result<RawRun> {
    let mut records = Vec::new();
    let mut payloads = Vec::new();
    let (path, skipped) = scan_run(path, |payload| {
        let record = proto::Record::decode(payload.as_slice()).map_err(|e| e.to_string())?;
        records.push(record);
        if keep_payloads {
            payloads.push(payload);
        }
        Ok(())
    })?;
    Ok(RawRun {
        path,
        records,
        payloads,
        skipped,
    })
}

/// Reads the run directory or `.wandb` file `path` record by record:
/// `on_record` gets each intact record payload and returns an error text if
/// it is not a valid record (then reported as skipped). Returns the
/// `.wandb` file and what was skipped; a bad header or an I/O error is an
/// error.
pub fn scan_run(
    path: &Path,
    mut on_record: impl FnMut(Vec<u8>) -> std::result::Result<(), String>,
) -> Result<(PathBuf, Vec<Skipped>)> {
    let file_path = resolve_wandb_file(path)?;
    let file = fs::File::open(&file_path).map_err(|e| Error::io("cannot open", &file_path, e))?;
    let reader = LogReader::new(BufReader::with_capacity(1 << 20, file)).map_err(|e| {
        Error::NotAWandbFile {
            path: file_path.clone(),
            reason: e.to_string(),
        }
    })?;
    let mut skipped = Vec::new();
    let mut good = 0usize;
    for item in reader {
        match item {
            Ok(payload) => match on_record(payload) {
                Ok(()) => good += 1,
                Err(e) => skipped.push(Skipped {
                    offset: None,
                    reason: format!(
                        "the record after record {good} is not a valid protobuf Record ({e}); skipped"
                    ),
                }),
            },
            Err(ReadError::Io(e)) => {
                return Err(Error::io(
                    "cannot read",
                    &file_path,
                    std::io::Error::other(e),
                ))
            }
            Err(ReadError::Truncated { offset }) => skipped.push(Skipped {
                offset: Some(offset),
                reason: "the file ends inside a record (the run may still be active or was interrupted); the incomplete record was skipped".into(),
            }),
            Err(ReadError::Corrupt { offset, reason }) => skipped.push(Skipped {
                offset: Some(offset),
                reason: format!("corrupt chunk ({reason}); the rest of its 32 KiB block was skipped"),
            }),
            Err(ReadError::BadHeader(reason)) => skipped.push(Skipped { offset: Some(0), reason }),
        }
    }
    Ok((file_path, skipped))
}
