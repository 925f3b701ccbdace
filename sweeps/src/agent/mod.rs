//! The local agent: runs a command per trial the way the official
//! `wandb agent` does, with a local [`Controller`] choosing the parameters.
//!
//! For each trial it makes a run id, writes
//! `<dir>/wandb/sweep-<sweep>/config-<run>.yaml` (`wandb_version: 1` then
//! `key: {value: v}`), sets `WANDB_SWEEP_ID`, `WANDB_SWEEP_PARAM_PATH`,
//! `WANDB_RUN_ID`, `WANDB_RUN_GROUP` (= the sweep id), `WANDB_DIR` and
//! `WANDB_MODE=offline` (unless set), expands the command macros and starts
//! the command. The trial's metric is read back from the offline run it
//! writes (`<dir>/wandb/*-<run>/run-<run>.wandb`), which is what bayes and
//! hyperband need.

mod command;
mod results;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::{Controller, RunState, SearchError, SweepConfig, SweepRun};
pub use command::{expand, python_str, DEFAULT_COMMAND};
pub use results::{param_file, read_run, sweep_params_from_env};

/// How to run a sweep locally.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// The command with macros; empty: the config's `command`, else the
    /// official default `${env} ${interpreter} ${program} ${args}`.
    pub command: Vec<String>,
    /// Trials run in parallel (at least 1).
    pub jobs: usize,
    /// The most trials this agent starts (`None`: until the sweep is done).
    pub count: Option<usize>,
    /// Where `wandb/` lives (`WANDB_DIR`).
    pub dir: PathBuf,
    /// The sweep id (default: 8 random characters).
    pub sweep_id: Option<String>,
    /// Seeds random and bayes search.
    pub seed: u32,
    /// How often running trials are polled (hyperband decisions).
    pub poll: Duration,
    /// Time between SIGTERM and SIGKILL for a stopped trial.
    pub kill_delay: Duration,
    /// Extra environment for the trials (applied last).
    pub env: Vec<(String, String)>,
    /// Whether trials inherit this process's environment (default true).
    pub inherit_env: bool,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            command: Vec::new(),
            jobs: 1,
            count: None,
            dir: PathBuf::from("."),
            sweep_id: None,
            seed: 0,
            poll: Duration::from_millis(200),
            kill_delay: Duration::from_secs(10),
            env: Vec::new(),
            inherit_env: true,
        }
    }
}

/// One finished trial.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialResult {
    /// Its run id.
    pub run_id: String,
    /// Its parameters (`{"lr": 0.1}`).
    pub params: Map<String, Value>,
    /// Finished, failed or killed (stopped by hyperband).
    pub state: RunState,
    /// The process exit code (`None` when killed by a signal).
    pub exit_code: Option<i32>,
    /// The best value of the sweep metric it reported.
    pub metric: Option<f64>,
}

/// Why the agent stopped.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The controller cannot continue.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The command is empty after expansion.
    #[error(
        "the sweep command is empty: give one after `--` or set `command`/`program` in the config"
    )]
    EmptyCommand,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> AgentError {
    let what = what.into();
    move |source| AgentError::Io { what, source }
}

struct Active {
    run_id: String,
    child: Child,
    sigterm_at: Option<Instant>,
}

impl Drop for Active {
    /// A trial still running when the agent stops (an error) is killed and
    /// reaped: the agent leaves no process behind. For a trial already
    /// reaped this does nothing.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sweep id: 8 characters of `[a-z0-9]`, like the server's.
pub fn new_sweep_id() -> String {
    wandb_core::generate_run_id().chars().take(8).collect()
}

/// Runs a whole sweep locally; `on_trial` sees each trial as it ends.
/// Returns every trial in the order they ended.
pub fn run_sweep(
    config: SweepConfig,
    opts: &AgentOptions,
    mut on_trial: impl FnMut(&TrialResult),
) -> Result<Vec<TrialResult>, AgentError> {
    let sweep_id = opts.sweep_id.clone().unwrap_or_else(new_sweep_id);
    let template: Vec<String> = if !opts.command.is_empty() {
        opts.command.clone()
    } else if let Some(c) = &config.command {
        c.iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect()
    } else {
        DEFAULT_COMMAND.iter().map(|s| s.to_string()).collect()
    };
    let dir = std::path::absolute(&opts.dir).map_err(io("cannot resolve the sweep directory"))?;
    let sweep_dir = dir.join("wandb").join(format!("sweep-{sweep_id}"));
    std::fs::create_dir_all(&sweep_dir)
        .map_err(io(format!("cannot create {}", sweep_dir.display())))?;
    let metric = config
        .metric
        .as_ref()
        .map(|m| (m.name.clone(), m.goal == crate::Goal::Maximize));
    let program = config.program.clone();
    let mut ctl = Controller::new(config, opts.seed);
    let mut active: Vec<Active> = Vec::new();
    let mut results = Vec::new();
    let (mut launched, mut exhausted) = (0usize, false);
    let mut params_of: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    loop {
        while !exhausted
            && active.len() < opts.jobs.max(1)
            && opts.count.is_none_or(|c| launched < c)
        {
            let Some(args) = ctl.suggest()? else {
                exhausted = true;
                break;
            };
            let run_id = wandb_core::generate_run_id();
            let param_path = sweep_dir.join(format!("config-{run_id}.yaml"));
            let json_path = sweep_dir.join(format!("config-{run_id}.json"));
            std::fs::write(&param_path, results::param_file(&args))
                .map_err(io(format!("cannot write {}", param_path.display())))?;
            let argv = expand(&template, &args, program.as_deref(), &json_path);
            if template.iter().any(|c| c == "${args_json_file}") {
                std::fs::write(&json_path, command::args_json(&args))
                    .map_err(io(format!("cannot write {}", json_path.display())))?;
            }
            let (exe, rest) = argv.split_first().ok_or(AgentError::EmptyCommand)?;
            let mut cmd = Command::new(exe);
            if !opts.inherit_env {
                cmd.env_clear();
            }
            cmd.args(rest)
                .current_dir(&dir)
                .env("WANDB_SWEEP_ID", &sweep_id)
                .env("WANDB_SWEEP_PARAM_PATH", &param_path)
                .env("WANDB_RUN_ID", &run_id)
                .env("WANDB_RUN_GROUP", &sweep_id)
                .env("WANDB_DIR", &dir);
            if !opts.inherit_env || std::env::var_os("WANDB_MODE").is_none() {
                cmd.env("WANDB_MODE", "offline");
            }
            cmd.envs(opts.env.iter().map(|(k, v)| (k, v)));
            let child = cmd.spawn().map_err(io(format!("cannot start `{exe}`")))?;
            ctl.upsert(SweepRun::new(
                run_id.clone(),
                RunState::Running,
                args.clone(),
            ));
            params_of.insert(run_id.clone(), args);
            active.push(Active {
                run_id,
                child,
                sigterm_at: None,
            });
            launched += 1;
        }
        if active.is_empty() {
            break;
        }
        std::thread::sleep(opts.poll);
        let mut i = 0;
        while i < active.len() {
            let a = &mut active[i];
            let mut run = SweepRun::new(
                a.run_id.clone(),
                RunState::Running,
                params_of[&a.run_id].clone(),
            );
            if let Some((h, s)) = read_run(&dir, &a.run_id) {
                (run.history, run.summary) = (h, s);
            }
            let status = a.child.try_wait().map_err(io("cannot wait for a trial"))?;
            match status {
                None => {
                    if let Some(t) = a.sigterm_at {
                        if t.elapsed() >= opts.kill_delay {
                            let _ = a.child.kill();
                        }
                    }
                    ctl.upsert(run);
                    i += 1;
                }
                Some(st) => {
                    run.state = if a.sigterm_at.is_some() {
                        RunState::Killed
                    } else if st.success() {
                        RunState::Finished
                    } else {
                        RunState::Failed
                    };
                    let value = metric
                        .as_ref()
                        .and_then(|(m, max)| run.metric_extremum(m, *max));
                    let result = TrialResult {
                        run_id: a.run_id.clone(),
                        params: results::plain(&run.config),
                        state: run.state,
                        exit_code: st.code(),
                        metric: value,
                    };
                    ctl.upsert(run);
                    on_trial(&result);
                    results.push(result);
                    active.remove(i);
                }
            }
        }
        for name in ctl.to_stop()? {
            if let Some(a) = active
                .iter_mut()
                .find(|a| a.run_id == name && a.sigterm_at.is_none())
            {
                a.sigterm_at = Some(Instant::now());
                command::terminate(&mut a.child);
            }
        }
    }
    Ok(results)
}
