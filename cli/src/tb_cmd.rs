//! `wandb-rs tensorboard <logdir>`: a new run holding everything an
//! existing TensorBoard event directory has (scalars, histograms, images,
//! text; `wandb-tensorboard`'s conversion, as `sync_tensorboard`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use wandb_core::{InitOptions, Mode};

pub fn run(
    logdir: &Path,
    project: Option<String>,
    entity: Option<String>,
    name: Option<String>,
    mode: Option<String>,
    dir: Option<PathBuf>,
) -> Result<(), String> {
    if !logdir.is_dir() {
        return Err(format!(
            "{}: not a directory (give a TensorBoard log directory)",
            logdir.display()
        ));
    }
    let mut opts = InitOptions::new();
    if let Some(p) = project {
        opts = opts.project(p);
    }
    if let Some(e) = entity {
        opts = opts.entity(e);
    }
    if let Some(n) = name {
        opts = opts.name(n);
    }
    if let Some(m) = mode {
        let m: Mode = m.parse().map_err(|e: wandb_core::Error| e.to_string())?;
        opts = opts.mode(m);
    }
    if let Some(d) = dir {
        opts = opts.dir(d);
    }
    let run = wandb_core::init(opts.console(wandb_core::Console::Off))
        .map_err(|e| format!("cannot start the run: {e}"))?;
    let bar = crate::progress_bar(0, "{spinner} {msg} ({elapsed})");
    bar.set_message(format!("Reading {}", logdir.display()));
    bar.enable_steady_tick(Duration::from_millis(120));
    let mirrored = wandb_tensorboard::sync(&run, logdir).and_then(|tb| {
        tb.drain()?;
        let counts = (tb.files_found(), tb.corrupt_records());
        tb.stop()?;
        Ok(counts)
    });
    bar.finish_and_clear();
    let dir = run.dir().to_path_buf();
    let id = run.id().to_string();
    let finished = run.finish_report(0);
    let (files, corrupt) = mirrored.map_err(|e| format!("{}: {e}", logdir.display()))?;
    let report = finished.map_err(|e| format!("cannot finish run {id}: {e}"))?;
    if corrupt > 0 {
        eprintln!(
            "wandb-rs: {}: skipped {corrupt} corrupt record(s)",
            logdir.display()
        );
    }
    println!(
        "Mirrored {files} event file(s) of {} into run {id} ({})",
        logdir.display(),
        dir.display()
    );
    if !report.is_complete() {
        return Err(format!(
            "run {id} is not fully uploaded; `wandb-rs sync {}` sends the rest",
            report.run_dir.display()
        ));
    }
    Ok(())
}
