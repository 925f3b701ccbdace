//! `wandb-rs inspect` and `wandb-rs export`: thin wrappers over wandb-export.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use wandb_export::{export, load_run, record_json_line, summary_json, ExportOptions, Format};

/// `inspect PATH [--summary] [--strict]`: the records as JSON lines (or the
/// overview as one JSON object); what was skipped goes to stderr with its
/// byte offset. With `strict`, anything skipped makes the command fail.
pub fn inspect(path: &Path, summary: bool, strict: bool) -> Result<(), String> {
    let run = load_run(path, !summary).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_err = |e: std::io::Error| format!("cannot write to standard output: {e}");
    if summary {
        let text = serde_json::to_string_pretty(&summary_json(&run))
            .map_err(|e| format!("cannot encode the summary: {e}"))?;
        writeln!(out, "{text}").map_err(write_err)?;
    } else {
        for (i, payload) in run.raw.payloads.iter().enumerate() {
            let line = record_json_line(i + 1, payload).map_err(|e| e.to_string())?;
            writeln!(out, "{line}").map_err(write_err)?;
        }
    }
    out.flush().map_err(write_err)?;
    report_skipped(&run.file, &run.raw.skipped);
    if strict && !run.raw.skipped.is_empty() {
        return Err(format!(
            "{}: {} problem(s) found (--strict)",
            run.file.display(),
            run.raw.skipped.len()
        ));
    }
    Ok(())
}

fn report_skipped(file: &Path, skipped: &[wandb_export::Skipped]) {
    for s in skipped {
        eprintln!("wandb-rs: {}: skipped {s}", file.display());
    }
}

/// `export PATH... --format F -o OUT`.
pub fn export_runs(
    paths: &[PathBuf],
    format: &str,
    output: &Path,
    strict: bool,
) -> Result<(), String> {
    let format: Format = format
        .parse()
        .map_err(|e: wandb_export::Error| e.to_string())?;
    let bar = crate::progress_bar(0, "{spinner} {msg} ({elapsed})");
    bar.set_message(format!("Exporting to {}", output.display()));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = export(paths, &ExportOptions::new(format, output));
    bar.finish_and_clear();
    let report = report.map_err(|e| e.to_string())?;
    for (file, s) in &report.skipped {
        eprintln!("wandb-rs: {}: skipped {s}", file.display());
    }
    let sidecar = report
        .sidecar
        .as_ref()
        .map(|s| format!(" (config and summary in {})", s.display()))
        .unwrap_or_default();
    println!(
        "Exported {} history rows, {} columns of {} run(s) to {}{sidecar}",
        report.rows,
        report.columns,
        paths.len(),
        output.display()
    );
    if strict && !report.skipped.is_empty() {
        return Err(format!(
            "{} problem(s) found (--strict)",
            report.skipped.len()
        ));
    }
    Ok(())
}
