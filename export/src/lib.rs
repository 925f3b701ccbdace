//! Reading wandb runs back from their `.wandb` files: every record as JSON
//! (the form `wandb leet inspect --json` prints), a run overview (`wandb
//! leet inspect --summary --json`), and the full history exported as a
//! columnar table to CSV, JSON lines, Parquet (feature `parquet`, default)
//! or HDF5 (feature `hdf5`).
//!
//! ```no_run
//! use wandb_export::{export, ExportOptions, Format};
//! let report = export(&["wandb/offline-run-1".into()], &ExportOptions::new(Format::Csv, "h.csv"))?;
//! println!("{} rows", report.rows);
//! # Ok::<(), wandb_export::Error>(())
//! ```

#![warn(missing_docs)]

pub mod digest;
pub mod error;
#[cfg(feature = "hdf5")]
pub mod hdf5_out;
#[cfg(feature = "parquet")]
pub mod parquet_out;
pub mod read;
pub mod record_json;
pub mod table;
pub mod text;
pub mod wire;

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use prost::Message as _;
use wandb_core::proto::record::RecordType;

pub use digest::DigestBuilder;
pub use digest::RunDigest;
pub use error::{Error, Result};
pub use read::{read_run, read_run_records, resolve_wandb_file, scan_run, RawRun, Skipped};
pub use record_json::record_json_line;
pub use table::{Column, Data, Table, TableBuilder};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a `<output>.meta.json` sidecar.
    Csv,
    /// JSON lines with a `<output>.meta.json` sidecar.
    Jsonl,
    /// Parquet with the runs' config and summary in key-value metadata.
    Parquet,
    /// HDF5: a group per run, config and summary as attributes.
    Hdf5,
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "parquet" => Ok(Format::Parquet),
            "hdf5" | "h5" => Ok(Format::Hdf5),
            other => Err(Error::Invalid(format!(
                "unknown export format {other:?}: use csv, jsonl, parquet or hdf5"
            ))),
        }
    }
}

/// What to export and where.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The format.
    pub format: Format,
    /// The output file.
    pub output: PathBuf,
}

impl ExportOptions {
    /// Options for `format` written to `output`.
    pub fn new(format: Format, output: impl Into<PathBuf>) -> Self {
        ExportOptions {
            format,
            output: output.into(),
        }
    }
}

/// What [`export`] wrote.
#[derive(Debug, Clone, Default)]
pub struct ExportReport {
    /// History rows written (all runs).
    pub rows: usize,
    /// Columns of the table (of the widest run for HDF5).
    pub columns: usize,
    /// The sidecar JSON file (CSV and JSON lines).
    pub sidecar: Option<PathBuf>,
    /// What was skipped in each run's `.wandb` file.
    pub skipped: Vec<(PathBuf, Skipped)>,
}

/// One run read for export.
pub struct LoadedRun {
    /// The run id (the file name's `run-<id>.wandb` when there is no run record).
    pub run_id: String,
    /// Its `.wandb` file.
    pub file: PathBuf,
    /// Its overview (config, summary, ...).
    pub digest: RunDigest,
    /// Its raw records.
    pub raw: RawRun,
}

/// Reads a run directory or `.wandb` file; `keep_payloads` keeps the
/// encoded records for [`record_json_line`].
pub fn load_run(path: &Path, keep_payloads: bool) -> Result<LoadedRun> {
    let raw = if keep_payloads {
        read_run(path)?
    } else {
        read_run_records(path)?
    };
    let digest = RunDigest::from_records(&raw.records);
    let run_id = if digest.run_id.is_empty() {
        raw.path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(|s| s.trim_start_matches("run-").to_string())
            .unwrap_or_default()
    } else {
        digest.run_id.clone()
    };
    Ok(LoadedRun {
        run_id,
        file: raw.path.clone(),
        digest,
        raw,
    })
}

/// The overview JSON of `wandb-rs inspect --summary` for a loaded run.
pub fn summary_json(run: &LoadedRun) -> serde_json::Value {
    let last_write = fs::metadata(&run.file)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let file = fs::canonicalize(&run.file).unwrap_or_else(|_| run.file.clone());
    run.digest.to_json(&file, last_write)
}

fn create(path: &Path) -> Result<BufWriter<fs::File>> {
    fs::File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| Error::io("cannot create", path, e))
}

/// A run streamed into a [`TableBuilder`] by [`stream_run`].
pub struct StreamedRun {
    /// The run id (the file name's `run-<id>.wandb` when there is no run record).
    pub run_id: String,
    /// Its `.wandb` file.
    pub file: PathBuf,
    /// Its overview.
    pub digest: RunDigest,
    /// What was skipped in its file.
    pub skipped: Vec<Skipped>,
}

fn file_run_id(file: &Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .map(|s| s.trim_start_matches("run-").to_string())
        .unwrap_or_default()
}

/// Reads the run at `path` record by record, adding its history rows to
/// `table` (history records are read without decoding them into owned
/// strings unless they hold media) and folding the rest into its digest.
pub fn stream_run(path: &Path, table: &mut TableBuilder) -> Result<StreamedRun> {
    let mut run_id = file_run_id(&resolve_wandb_file(path)?);
    let mut digest = DigestBuilder::new();
    let (file, skipped) = scan_run(path, |payload| {
        if let Some(h) = wire::history_bytes(&payload) {
            if let Some(step) = table.add_history_bytes(&run_id, h) {
                if let Some(s) = step {
                    digest.note_step(s);
                }
                return Ok(());
            }
        }
        let record =
            wandb_core::proto::Record::decode(payload.as_slice()).map_err(|e| e.to_string())?;
        match &record.record_type {
            Some(RecordType::Run(r)) if !r.run_id.is_empty() => run_id = r.run_id.clone(),
            Some(RecordType::History(h)) => table.add_row(&run_id, h),
            _ => {}
        }
        digest.apply(&record);
        Ok(())
    })?;
    Ok(StreamedRun {
        run_id,
        file,
        digest: digest.finish(),
        skipped,
    })
}

/// The metadata of a run kept beside its history: id, project, entity,
/// name, exit code, config and summary.
pub fn streamed_metadata(run: &StreamedRun) -> serde_json::Value {
    let d = &run.digest;
    serde_json::json!({
        "run_id": run.run_id,
        "project": d.project,
        "entity": d.entity,
        "name": d.name,
        "exit_code": d.exit_code,
        "config": d.config,
        "summary": d.summary,
    })
}

/// Exports the history of the runs at `paths` (run directories or `.wandb`
/// files) as `options` say. Several runs give one table with a `run_id`
/// column (CSV, JSON lines, Parquet) or a group per run (HDF5).
pub fn export(paths: &[PathBuf], options: &ExportOptions) -> Result<ExportReport> {
    if paths.is_empty() {
        return Err(Error::Invalid("no run to export".into()));
    }
    let mut report = ExportReport::default();
    let out = &options.output;
    if options.format == Format::Hdf5 {
        let mut runs = Vec::with_capacity(paths.len());
        for p in paths {
            let mut b = TableBuilder::new(false);
            let run = stream_run(p, &mut b)?;
            runs.push((run, b.finish()));
        }
        for (r, t) in &runs {
            report.rows += t.rows;
            report.columns = report.columns.max(t.columns.len());
            for s in &r.skipped {
                report.skipped.push((r.file.clone(), s.clone()));
            }
        }
        export_hdf5(&runs, out)?;
        return Ok(report);
    }
    let mut builder = TableBuilder::new(paths.len() > 1);
    let mut runs = Vec::with_capacity(paths.len());
    for p in paths {
        runs.push(stream_run(p, &mut builder)?);
    }
    for r in &runs {
        for s in &r.skipped {
            report.skipped.push((r.file.clone(), s.clone()));
        }
    }
    let meta =
        serde_json::json!({ "runs": runs.iter().map(streamed_metadata).collect::<Vec<_>>() });
    let table = builder.finish();
    report.rows = table.rows;
    report.columns = table.columns.len();
    match options.format {
        Format::Csv | Format::Jsonl => {
            let mut w = create(out)?;
            let written = if options.format == Format::Csv {
                text::write_csv(&table, &mut w)
            } else {
                text::write_jsonl(&table, &mut w)
            };
            written
                .and_then(|()| std::io::Write::flush(&mut w))
                .map_err(|e| Error::io("cannot write", out, e))?;
            let mut sidecar = out.clone().into_os_string();
            sidecar.push(".meta.json");
            let sidecar = PathBuf::from(sidecar);
            let text =
                serde_json::to_string_pretty(&meta).map_err(|e| Error::encode("metadata", e))?;
            fs::write(&sidecar, text).map_err(|e| Error::io("cannot write", &sidecar, e))?;
            report.sidecar = Some(sidecar);
        }
        Format::Parquet => export_parquet(&table, &meta, out)?,
        Format::Hdf5 => {}
    }
    Ok(report)
}

#[cfg(feature = "parquet")]
fn export_parquet(table: &Table, meta: &serde_json::Value, out: &Path) -> Result<()> {
    let w = create(out)?;
    parquet_out::write_parquet(table, &[("wandb".to_string(), meta.to_string())], w)
}

#[cfg(not(feature = "parquet"))]
fn export_parquet(_: &Table, _: &serde_json::Value, _: &Path) -> Result<()> {
    Err(Error::FormatDisabled("parquet"))
}

#[cfg(feature = "hdf5")]
fn export_hdf5(runs: &[(StreamedRun, Table)], out: &Path) -> Result<()> {
    let attrs: Vec<Vec<(String, String)>> = runs
        .iter()
        .map(|(r, _)| {
            let d = &r.digest;
            vec![
                ("run_id".to_string(), r.run_id.clone()),
                ("project".to_string(), d.project.clone()),
                ("entity".to_string(), d.entity.clone()),
                ("name".to_string(), d.name.clone()),
                (
                    "config".to_string(),
                    serde_json::Value::Object(d.config.clone()).to_string(),
                ),
                (
                    "summary".to_string(),
                    serde_json::Value::Object(d.summary.clone()).to_string(),
                ),
            ]
        })
        .collect();
    let parts: Vec<hdf5_out::Hdf5Run<'_>> = runs
        .iter()
        .zip(&attrs)
        .map(|((r, t), a)| hdf5_out::Hdf5Run {
            group: &r.run_id,
            table: t,
            attrs: a,
        })
        .collect();
    hdf5_out::write_hdf5(out, &parts)
}

#[cfg(not(feature = "hdf5"))]
fn export_hdf5(_: &[(StreamedRun, Table)], _: &Path) -> Result<()> {
    Err(Error::FormatDisabled("hdf5"))
}
