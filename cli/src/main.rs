//! `wandb-rs`: the wandb-rs command line (docs/cli.md).
//!
//! - `sync [PATHS]... | --sync-all [--include-online] [--clean]`: upload
//!   offline runs (ours or the official client's) like `wandb sync`;
//! - `login [KEY] [--host URL] [--verify]`, `logout`, `status`;
//! - `inspect <run dir | .wandb>` and `export <run dir>... --format ...`;
//! - `tensorboard <logdir>`: mirror a TensorBoard event directory into a new run;
//! - `completion <shell>`: shell completions;
//! - `sweep sweep.yaml -- COMMAND...`: a local sweep (grid, random, bayes,
//!   hyperband) running COMMAND per trial like `wandb agent`.
//!
//! Exit codes: 0 success, 1 the operation failed, 2 usage error.

mod account;
mod artifact_cmd;
mod read_cmds;
mod sweep_cmd;
mod sync_cmd;
mod tb_cmd;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "wandb-rs",
    version,
    about = "Weights & Biases command line of wandb-rs",
    after_help = "Exit codes: 0 success, 1 the operation failed, 2 usage error (bad arguments)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Upload offline run directories to W&B.
    #[command(
        after_help = "Examples:\n  wandb-rs sync wandb/offline-run-20260101_120000-abc123\n  \
        wandb-rs sync --sync-all                  # every unsynced offline run under ./wandb\n  \
        wandb-rs sync --clean --clean-force       # delete synced runs older than 24 h"
    )]
    Sync {
        /// Run directories (`wandb/offline-run-*`) or `.wandb` files.
        paths: Vec<PathBuf>,
        /// Sync every run directory under `<dir>/wandb` not synced yet.
        #[arg(long)]
        sync_all: bool,
        /// With --sync-all: include `offline-run-*` directories (the default).
        #[arg(long, overrides_with = "no_include_offline")]
        include_offline: bool,
        /// With --sync-all: leave `offline-run-*` directories out.
        #[arg(long)]
        no_include_offline: bool,
        /// With --sync-all: include `run-*` directories of online runs too.
        #[arg(long)]
        include_online: bool,
        /// Delete synced run directories under `<dir>/wandb` (after syncing, if asked to sync).
        #[arg(long)]
        clean: bool,
        /// With --clean: only runs older than this many hours.
        #[arg(long, default_value_t = 24)]
        clean_old_hours: u64,
        /// With --clean: do not ask for confirmation.
        #[arg(long)]
        clean_force: bool,
        /// Where the `wandb/` directory is (default: WANDB_DIR, else the current directory).
        #[arg(long)]
        dir: Option<PathBuf>,
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
    #[command(
        after_help = "Example:\n  wandb-rs inspect --summary wandb/offline-run-20260101_120000-abc123"
    )]
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
    #[command(
        after_help = "Example:\n  wandb-rs export wandb/offline-run-* --format parquet -o history.parquet"
    )]
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
    #[command(
        after_help = "Examples:\n  wandb-rs login --verify            # key from WANDB_API_KEY or stdin, checked first\n  \
        wandb-rs login --host http://localhost:8080 KEY"
    )]
    Login {
        /// The API key; read from WANDB_API_KEY or standard input when absent.
        key: Option<String>,
        /// Server URL (default: WANDB_BASE_URL, the settings files, or the W&B default).
        #[arg(long)]
        host: Option<String>,
        /// Check the key against the server before storing it (nothing is
        /// stored when the server rejects it).
        #[arg(long)]
        verify: bool,
    },
    /// Remove the stored API key of a server from ~/.netrc (or $NETRC).
    #[command(after_help = "Example:\n  wandb-rs logout --host https://api.wandb.ai")]
    Logout {
        /// Server URL (default: WANDB_BASE_URL, the settings files, or the W&B default).
        #[arg(long)]
        host: Option<String>,
    },
    /// Show the settings in effect and where each comes from.
    #[command(after_help = "Example:\n  wandb-rs status")]
    Status,
    /// Mirror an existing TensorBoard event directory into a new run.
    #[command(
        after_help = "Example:\n  wandb-rs tensorboard runs/exp1 --project demo --mode offline"
    )]
    Tensorboard {
        /// The TensorBoard log directory (read recursively).
        logdir: PathBuf,
        /// Project of the new run.
        #[arg(short = 'p', long)]
        project: Option<String>,
        /// Entity of the new run.
        #[arg(short = 'e', long)]
        entity: Option<String>,
        /// Display name of the new run.
        #[arg(long)]
        name: Option<String>,
        /// online or offline (default: the settings).
        #[arg(long)]
        mode: Option<String>,
        /// Where the run's `wandb/` directory goes (default: WANDB_DIR or the current directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Artifacts on the server.
    #[command(subcommand)]
    Artifact(ArtifactCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Example:\n  wandb-rs completion bash > ~/.local/share/bash-completion/completions/wandb-rs"
    )]
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum ArtifactCommand {
    /// Download an artifact version (through the artifact cache, every file
    /// MD5-checked) and print the directory.
    #[command(
        after_help = "Examples:\n  wandb-rs artifact get my-team/my-project/dataset:latest\n  \
        wandb-rs artifact get my-team/my-project/model:v3 --root ./model\n\n\
        The server and key come from WANDB_BASE_URL / WANDB_API_KEY, the settings files or netrc."
    )]
    Get {
        /// `entity/project/name:alias` or `:vN` (no alias: latest).
        path: String,
        /// Where the files go (default: WANDB_ARTIFACT_DIR/<name>:<vN>, else ./artifacts/<name>:<vN>).
        #[arg(long, short = 'o')]
        root: Option<PathBuf>,
        /// Fail unless the artifact has this type.
        #[arg(long = "type")]
        artifact_type: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Sync {
        paths,
        sync_all: false,
        clean: false,
        ..
    } = &cli.command
    {
        if paths.is_empty() {
            Cli::command()
                .error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "sync needs run directories, --sync-all or --clean",
                )
                .exit();
        }
    }
    let result = match cli.command {
        Command::Sync {
            paths,
            sync_all,
            include_offline: _,
            no_include_offline,
            include_online,
            clean,
            clean_old_hours,
            clean_force,
            dir,
            entity,
            project,
            id,
            include_synced,
            timeout,
            host,
        } => sync_cmd::run(sync_cmd::Args {
            paths,
            sync_all,
            include_offline: !no_include_offline,
            include_online,
            clean,
            clean_old_hours,
            clean_force,
            dir,
            entity,
            project,
            id,
            include_synced,
            timeout,
            host,
        }),
        Command::Login { key, host, verify } => account::login(key, host, verify),
        Command::Logout { host } => account::logout(host),
        Command::Status => account::status(),
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
        Command::Tensorboard {
            logdir,
            project,
            entity,
            name,
            mode,
            dir,
        } => tb_cmd::run(&logdir, project, entity, name, mode, dir),
        Command::Artifact(ArtifactCommand::Get {
            path,
            root,
            artifact_type,
        }) => artifact_cmd::get(&path, root, artifact_type.as_deref()),
        Command::Completion { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "wandb-rs", &mut std::io::stdout());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("wandb-rs: {msg}");
            ExitCode::FAILURE
        }
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

/// A progress bar on stderr, hidden when stderr is not a terminal.
pub(crate) fn progress_bar(len: u64, template: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal as _;
    let bar = indicatif::ProgressBar::new(len);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}
