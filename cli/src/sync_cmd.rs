//! `wandb-rs sync`: upload run directories given by path or found under
//! `<dir>/wandb` (`--sync-all`), then delete synced ones (`--clean`).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wandb_core::online::{
    find_wandb_file, sync_order, sync_run_dir, synced_marker, SyncOptions, SyncProgress,
};

/// The arguments of `sync`.
pub struct Args {
    pub paths: Vec<PathBuf>,
    pub sync_all: bool,
    pub include_offline: bool,
    pub include_online: bool,
    pub clean: bool,
    pub clean_old_hours: u64,
    pub clean_force: bool,
    pub dir: Option<PathBuf>,
    pub entity: Option<String>,
    pub project: Option<String>,
    pub id: Option<String>,
    pub include_synced: bool,
    pub timeout: Option<Duration>,
    pub host: Option<String>,
}

pub fn run(a: Args) -> Result<(), String> {
    let wandb_dir = a
        .dir
        .clone()
        .or_else(|| std::env::var_os("WANDB_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("wandb");
    let mut paths = a.paths.clone();
    if a.sync_all {
        let (found, synced) = run_dirs(&wandb_dir, a.include_offline, a.include_online)?
            .into_iter()
            .partition::<Vec<_>, _>(|d| a.include_synced || !is_synced(d));
        if !synced.is_empty() {
            println!(
                "Skipping {} run(s) already synced (use --include-synced to sync them again)",
                synced.len()
            );
        }
        if found.is_empty() {
            println!("No runs to sync in {}", wandb_dir.display());
        }
        paths.extend(found);
    }
    let synced = if paths.is_empty() {
        Ok(())
    } else {
        sync_paths(&paths, &a)
    };
    if a.clean {
        clean(&wandb_dir, a.clean_old_hours, a.clean_force)?;
    }
    synced
}

/// Run directories (`offline-run-*`, `run-*`) in `wandb_dir` holding a `.wandb` file.
fn run_dirs(wandb_dir: &Path, offline: bool, online: bool) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(wandb_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", wandb_dir.display())),
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (offline && name.starts_with("offline-run-")) || (online && name.starts_with("run-"))
        })
        .filter(|p| find_wandb_file(p).is_ok())
        .collect();
    out.sort();
    Ok(out)
}

fn is_synced(dir: &Path) -> bool {
    find_wandb_file(dir).is_ok_and(|f| synced_marker(&f).exists())
}

fn sync_paths(paths: &[PathBuf], a: &Args) -> Result<(), String> {
    if a.id.is_some() && paths.len() > 1 {
        return Err("--id can only be used with a single run directory".into());
    }
    let opts = SyncOptions {
        entity: a.entity.clone(),
        project: a.project.clone(),
        run_id: a.id.clone(),
        include_synced: a.include_synced,
        base_url: a.host.as_ref().map(|h| h.trim_end_matches('/').to_string()),
        timeout: a.timeout,
        ..SyncOptions::default()
    };
    // parts of a resumed run in start order, as `wandb sync` does
    let paths = sync_order(paths);
    let mut failed = 0;
    for path in &paths {
        let bar = crate::progress_bar(0, "{msg} [{bar:30}] {bytes}/{total_bytes}");
        bar.set_message(format!("Syncing {}", path.display()));
        let result = sync_run_dir(path, &opts, |p| match p {
            SyncProgress::Reading { read, total } => {
                bar.set_length(total);
                bar.set_position(read);
            }
            SyncProgress::Finishing => {
                bar.set_message(format!("Uploading files of {}", path.display()))
            }
        });
        bar.finish_and_clear();
        match result {
            Ok(r) if r.skipped => println!(
                "Skipping {}: already synced (use --include-synced to sync it again)",
                path.display()
            ),
            Ok(r) if !r.unsent.is_empty() => {
                failed += 1;
                eprintln!(
                    "wandb-rs: {}: partly synced to {}/{}/{}; unsent: {:?}",
                    path.display(),
                    r.entity,
                    r.project,
                    r.run_id,
                    r.unsent
                );
            }
            Ok(r) => println!(
                "Synced {} -> {}/{}/{} ({} history rows, {} system rows, {} console lines, {} files)",
                path.display(),
                r.entity,
                r.project,
                r.run_id,
                r.history_lines,
                r.events_lines,
                r.output_lines,
                r.files_uploaded.len()
            ),
            Err(e) => {
                failed += 1;
                eprintln!("wandb-rs: {}: {e}", path.display());
            }
        }
    }
    if failed > 0 {
        Err(format!(
            "{failed} of {} run(s) could not be synced",
            paths.len()
        ))
    } else {
        Ok(())
    }
}

/// Deletes the synced run directories of `wandb_dir` whose `.synced`
/// marker is at least `hours` old, after confirmation (a `y` line on
/// standard input) unless `force`.
fn clean(wandb_dir: &Path, hours: u64, force: bool) -> Result<(), String> {
    let limit = Duration::from_secs(hours.saturating_mul(3600));
    let old_enough = |dir: &Path| {
        find_wandb_file(dir)
            .ok()
            .and_then(|f| std::fs::metadata(synced_marker(&f)).ok())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= limit)
    };
    let victims: Vec<PathBuf> = run_dirs(wandb_dir, true, true)?
        .into_iter()
        .filter(|d| old_enough(d))
        .collect();
    if victims.is_empty() {
        println!(
            "No synced runs older than {hours} h to clean in {}",
            wandb_dir.display()
        );
        return Ok(());
    }
    for v in &victims {
        println!("Will delete {}", v.display());
    }
    if !force {
        eprint!("Delete these {} run directories? [y/N] ", victims.len());
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the answer: {e}"))?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            println!("Nothing deleted");
            return Ok(());
        }
    }
    for v in &victims {
        std::fs::remove_dir_all(v).map_err(|e| format!("cannot delete {}: {e}", v.display()))?;
    }
    println!("Deleted {} synced run(s)", victims.len());
    Ok(())
}
