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

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use digest::RunDigest;
pub use error::{Error, Result};
pub use read::{read_run, resolve_wandb_file, RawRun, Skipped};
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

/// Reads a run directory or `.wandb` file for export.
pub fn load_run(path: &Path) -> Result<LoadedRun> {
    let raw = read_run(path)?;
    let digest = RunDigest::from_records(raw.records());
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

/// The metadata of a run kept beside its history: id, project, entity,
/// name, state, exit code, config and summary.
pub fn run_metadata(run: &LoadedRun) -> serde_json::Value {
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

fn create(path: &Path) -> Result<BufWriter<fs::File>> {
    fs::File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| Error::io("cannot create", path, e))
}

/// Exports the history of the runs at `paths` (run directories or `.wandb`
/// files) as `options` say. Several runs give one table with a `run_id`
/// column (CSV, JSON lines, Parquet) or a group per run (HDF5).
pub fn export(paths: &[PathBuf], options: &ExportOptions) -> Result<ExportReport> {
    if paths.is_empty() {
        return Err(Error::Invalid("no run to export".into()));
    }
    let runs = paths
        .iter()
        .map(|p| load_run(p))
        .collect::<Result<Vec<_>>>()?;
    let mut report = ExportReport::default();
    for r in &runs {
        for s in &r.raw.skipped {
            report.skipped.push((r.file.clone(), s.clone()));
        }
    }
    let meta = serde_json::json!({ "runs": runs.iter().map(run_metadata).collect::<Vec<_>>() });
    let out = &options.output;
    if options.format == Format::Hdf5 {
        return export_hdf5(&runs, out, report);
    }
    let mut builder = TableBuilder::new(runs.len() > 1);
    for r in &runs {
        builder.add_run(&r.run_id, r.raw.records());
    }
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
            let text = serde_json::to_string_pretty(&meta).map_err(|e| Error::encode("metadata", e))?;
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
fn export_hdf5(runs: &[LoadedRun], out: &Path, mut report: ExportReport) -> Result<ExportReport> {
    let mut tables = Vec::with_capacity(runs.len());
    let mut attrs = Vec::with_capacity(runs.len());
    for r in runs {
        let mut b = TableBuilder::new(false);
        b.add_run(&r.run_id, r.raw.records());
        let t = b.finish();
        report.rows += t.rows;
        report.columns = report.columns.max(t.columns.len());
        tables.push(t);
        let d = &r.digest;
        attrs.push(vec![
            ("run_id".to_string(), r.run_id.clone()),
            ("project".to_string(), d.project.clone()),
            ("entity".to_string(), d.entity.clone()),
            ("name".to_string(), d.name.clone()),
            ("config".to_string(), serde_json::Value::Object(d.config.clone()).to_string()),
            ("summary".to_string(), serde_json::Value::Object(d.summary.clone()).to_string()),
        ]);
    }
    let parts: Vec<hdf5_out::Hdf5Run<'_>> = runs
        .iter()
        .zip(&tables)
        .zip(&attrs)
        .map(|((r, t), a)| hdf5_out::Hdf5Run {
            group: &r.run_id,
            table: t,
            attrs: a,
        })
        .collect();
    hdf5_out::write_hdf5(out, &parts)?;
    Ok(report)
}

#[cfg(not(feature = "hdf5"))]
fn export_hdf5(_: &[LoadedRun], _: &Path, _: ExportReport) -> Result<ExportReport> {
    Err(Error::FormatDisabled("hdf5"))
}
