//! `wandb-rs`: the wandb-rs command line.
//!
//! - `wandb-rs sync <run dir>...`: upload offline runs (ours or the official
//!   client's) like `wandb sync`;
//! - `wandb-rs login [KEY] [--host URL]`: store an API key in netrc (0600);
//! - `wandb-rs inspect <run dir | .wandb>`: the records as JSON lines, or
//!   the run's overview with `--summary` (like `wandb leet inspect --json`);
//! - `wandb-rs export <run dir>... --format csv|jsonl|parquet|hdf5 -o FILE`:
//!   the history as a table;
//! - `wandb-rs sweep sweep.yaml -- COMMAND...`: a local sweep (grid, random,
//!   bayes, hyperband) running COMMAND per trial like `wandb agent`.

mod read_cmds;
mod sweep_cmd;

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use wandb_core::online::{
    resolve_base_url, sync_order, sync_run_dir, write_netrc, ApiKey, SyncOptions, SyncProgress,
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
        /// Give up on a run after this many seconds without success (a
        /// number > 0; `inf` or a huge value means no limit).
        #[arg(long, value_parser = parse_timeout)]
        timeout: Option<Duration>,
        /// Server URL (default: WANDB_BASE_URL, the settings files, or the W&B default).
        #[arg(long)]
        host: Option<String>,
    },
    /// Print a run's records as JSON lines, or its overview with --summary.
    ///
    /// Example: wandb-rs inspect --summary wandb/offline-run-20260101_120000-abc123
    Inspect {
        /// A run directory or a `.wandb` file.
        path: PathBuf,
        /// Print one JSON object: state, exit code, config, summary, last
        /// step and the console tail.
        #[arg(long)]
        summary: bool,
        /// Fail (exit status 1) if any part of the file was skipped as
        /// corrupt or truncated (always reported on stderr).
        #[arg(long)]
        strict: bool,
    },
    /// Export the history of runs as one table (CSV, JSON lines, Parquet, HDF5).
    ///
    /// Example: wandb-rs export wandb/offline-run-* --format parquet -o history.parquet
    Export {
        /// Run directories or `.wandb` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// csv, jsonl, parquet or hdf5.
        #[arg(short = 'f', long, default_value = "csv")]
        format: String,
        /// The output file.
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Fail if any part of a file was skipped as corrupt or truncated.
        #[arg(long)]
        strict: bool,
    },
    /// Run a sweep locally: the controller picks parameters (grid, random,
    /// bayes, hyperband) and runs COMMAND per trial as `wandb agent` does.
    ///
    /// Example: wandb-rs sweep sweep.yaml --jobs 4 -- ./train --epochs=3
    ///
    /// Parameters reach the command as `--name=value` (`${args}` is appended
    /// when COMMAND has no `${...}` macro; also `${args_no_hyphens}`,
    /// `${args_json}`, `${args_json_file}`, ...) and through
    /// WANDB_SWEEP_PARAM_PATH; WANDB_SWEEP_ID, WANDB_RUN_ID, WANDB_RUN_GROUP
    /// and WANDB_MODE=offline are set. Without COMMAND, the config's
    /// `command` (or `${env} ${interpreter} ${program} ${args}`) is used.
    Sweep {
        /// The sweep config (YAML or JSON).
        config: PathBuf,
        /// Trials run in parallel.
        #[arg(short = 'j', long, default_value_t = 1)]
        jobs: usize,
        /// The most trials to run (default: until the sweep is done).
        #[arg(short = 'c', long)]
        count: Option<usize>,
        /// Seed of random and bayes search.
        #[arg(long, default_value_t = 0)]
        seed: u32,
        /// Directory that gets `wandb/` (WANDB_DIR; default: the current one).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The sweep id (default: 8 random characters).
        #[arg(long)]
        sweep_id: Option<String>,
        /// The command run per trial.
        #[arg(last = true)]
        command: Vec<String>,
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
        Command::Sweep {
            config,
            jobs,
            count,
            seed,
            dir,
            sweep_id,
            command,
        } => sweep_cmd::sweep(sweep_cmd::SweepArgs {
            config,
            command,
            jobs,
            count,
            seed,
            dir,
            sweep_id,
        }),
        Command::Inspect {
            path,
            summary,
            strict,
        } => read_cmds::inspect(&path, summary, strict),
        Command::Export {
            paths,
            format,
            output,
            strict,
        } => read_cmds::export_runs(&paths, &format, &output, strict),
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
    timeout: Option<Duration>,
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
        timeout,
        ..SyncOptions::default()
    };
    // parts of a resumed run in start order, as `wandb sync` does
    let paths = sync_order(&paths);
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

/// `--timeout SECS`: NaN, negative and zero are refused; huge values and
/// `inf` saturate (no limit).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = wandb_core::duration::parse_secs("--timeout", text).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("--timeout must be more than 0 seconds (omit it for no limit)".into());
    }
    Ok(d)
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
