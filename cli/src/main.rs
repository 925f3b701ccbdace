//! `wandb-rs`: the wandb-rs command line.
//!
//! - `wandb-rs sync <run dir>...`: upload offline runs (ours or the official
//!   client's) like `wandb sync`;
//! - `wandb-rs login [KEY] [--host URL]`: store an API key in netrc (0600).

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use wandb_core::online::{
    resolve_base_url, sync_run_dir, write_netrc, ApiKey, SyncOptions, SyncProgress,
};

#[derive(Parser, Debug)]
#[command(
    name = "wandb-rs",
    version,
    about = "Weights & Biases command line of wandb-rs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Upload offline run directories to W&B.
    Sync {
        /// Run directories (`wandb/offline-run-*`) or `.wandb` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Entity to sync to (overrides the run's).
        #[arg(short = 'e', long)]
        entity: Option<String>,
        /// Project to sync to (overrides the run's).
        #[arg(short = 'p', long)]
        project: Option<String>,
        /// Run id to sync to (overrides the run's; one directory only).
        #[arg(long)]
        id: Option<String>,
        /// Sync directories already marked as synced again.
        #[arg(long)]
        include_synced: bool,
        /// Give up on a run after this many seconds without success.
        #[arg(long)]
        timeout: Option<f64>,
        /// Server URL (default: WANDB_BASE_URL, the settings files, or the W&B default).
        #[arg(long)]
        host: Option<String>,
    },
    /// Store an API key in ~/.netrc (or $NETRC) for a server.
    Login {
        /// The API key; read from WANDB_API_KEY or standard input when absent.
        key: Option<String>,
        /// Server URL (default: WANDB_BASE_URL, the settings files, or the W&B default).
        #[arg(long)]
        host: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sync {
            paths,
            entity,
            project,
            id,
            include_synced,
            timeout,
            host,
        } => sync(paths, entity, project, id, include_synced, timeout, host),
        Command::Login { key, host } => login(key, host),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("wandb-rs: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn sync(
    paths: Vec<PathBuf>,
    entity: Option<String>,
    project: Option<String>,
    id: Option<String>,
    include_synced: bool,
    timeout: Option<f64>,
    host: Option<String>,
) -> Result<(), String> {
    if id.is_some() && paths.len() > 1 {
        return Err("--id can only be used with a single run directory".into());
    }
    let opts = SyncOptions {
        entity,
        project,
        run_id: id,
        include_synced,
        base_url: host.map(|h| h.trim_end_matches('/').to_string()),
        timeout: timeout
            .filter(|t| *t > 0.0)
            .and_then(|t| Duration::try_from_secs_f64(t).ok()),
        ..SyncOptions::default()
    };
    let mut failed = 0;
    for path in &paths {
        let bar = ProgressBar::new(0);
        if !std::io::stderr().is_terminal() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
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

fn login(key: Option<String>, host: Option<String>) -> Result<(), String> {
    let base_url = host
        .map(|h| h.trim_end_matches('/').to_string())
        .unwrap_or_else(resolve_base_url);
    let raw = match key {
        Some(k) => k,
        None => match std::env::var("WANDB_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
        {
            Some(k) => k,
            None => {
                if std::io::stdin().is_terminal() {
                    eprint!("Paste an API key from your W&B settings page: ");
                }
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read the key from standard input: {e}"))?;
                line
            }
        },
    };
    let key = ApiKey::new(&raw).map_err(|e| e.to_string())?;
    let path = write_netrc(&base_url, &key).map_err(|e| e.to_string())?;
    println!("Stored the API key for {base_url} in {}", path.display());
    Ok(())
}
