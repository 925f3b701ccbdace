//! [`agent`]: registers with the server (`CreateAgent`), heartbeats on a
//! background thread and trains one run per `run` command on the calling
//! thread, as the official `wandb.agent(sweep_id, function, count)` (spec A.4).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use wandb_core::online::{resolve_api_key, Client, RetryPolicy};
use wandb_core::Run;

use super::heartbeat::{self, Job, Shared, Status};
use super::{gql, Connection, ServerError, ServerOptions};

/// The official agent's flapping rule: this many failed runs within
/// [`FLAPPING_WINDOW`] of the start end the agent.
const FLAPPING_MAX_FAILURES: usize = 3;
const FLAPPING_WINDOW: Duration = Duration::from_secs(60);
/// More failures than this with no run succeeding end the agent
/// (`WANDB_AGENT_MAX_INITIAL_FAILURES`).
const MAX_INITIAL_FAILURES: usize = 5;
/// How long the agent waits for its heartbeat thread when it returns.
const JOIN_WAIT: Duration = Duration::from_secs(5);

/// The run handed to the training closure: derefs to the [`Run`] (log,
/// config, summary), plus the sweep's stop request.
pub struct AgentRun {
    run: Run,
    stop: Arc<AtomicBool>,
    params: Map<String, Value>,
}

impl std::ops::Deref for AgentRun {
    type Target = Run;
    fn deref(&self) -> &Run {
        &self.run
    }
}

impl AgentRun {
    /// The run.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// True once the sweep's server sent `stop` for this run (early
    /// termination), `exit` for the agent, or the web UI's stop button was
    /// pressed: return from the closure soon. The official agent interrupts
    /// its trial with an exception; a Rust closure checks this flag.
    pub fn should_stop(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.run.stop_requested()
    }

    /// The sweep's parameters of this run (`{"lr": 0.1}`); also in
    /// `run.config()`, locked over the user's values.
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }
}

/// How a run of the agent ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The closure returned `Ok`; the run finished with exit code 0.
    Finished,
    /// The closure returned an error or panicked, or the run could not
    /// start; finished with exit code 1 (when it started).
    Failed(String),
    /// The server stopped it; finished with exit code 1, as the official
    /// agent's interrupted trial (not counted as a failure).
    Stopped,
}

/// One run of the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The run id (the server's `run_id`).
    pub run_id: String,
    /// The sweep's parameters (`{"lr": 0.1}`).
    pub params: Map<String, Value>,
    /// How it ended.
    pub outcome: RunOutcome,
}

/// Why the agent returned.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEnd {
    /// It ran `count` runs.
    Count,
    /// The server sent `exit` (the sweep is done).
    Exit,
    /// The server answered 404: the sweep was deleted.
    SweepNotFound,
    /// Too many runs failed (the official flapping and failure limits).
    TooManyFailures(String),
}

/// What the agent did.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentReport {
    /// The sweep id.
    pub sweep_id: String,
    /// The agent's id on the server.
    pub agent_id: String,
    /// Its runs, in order.
    pub runs: Vec<RunRecord>,
    /// Why it returned.
    pub end: AgentEnd,
}

/// Runs up to `count` runs of the sweep (`id`, `project/id` or
/// `entity/project/id`), calling `train` for each: see the module docs of
/// [`super`]. Settings come from the environment.
pub fn agent<F, E>(
    sweep_id: &str,
    count: Option<usize>,
    train: F,
) -> Result<AgentReport, ServerError>
where
    F: FnMut(&AgentRun) -> Result<(), E>,
    E: std::fmt::Display,
{
    let mut options = ServerOptions::new();
    options.count = count;
    agent_with(sweep_id, &options, train)
}

/// [`agent`] with explicit options (`options.count` limits the runs).
pub fn agent_with<F, E>(
    sweep_id: &str,
    options: &ServerOptions,
    mut train: F,
) -> Result<AgentReport, ServerError>
where
    F: FnMut(&AgentRun) -> Result<(), E>,
    E: std::fmt::Display,
{
    let (path_entity, path_project, sweep) = parse_sweep_id(sweep_id)?;
    let conn = Connection::open(options)?;
    let viewer_entity = conn.viewer();
    let entity = path_entity
        .or_else(|| options.entity.clone())
        .or_else(|| conn.settings.entity.clone())
        .or(viewer_entity);
    let project = path_project
        .or_else(|| options.project.clone())
        .or_else(|| conn.settings.project.clone());
    let host = options.host.clone().unwrap_or_else(host_name);
    let vars = json!({"host": host, "entityName": entity, "projectName": project, "sweep": sweep});
    let data = conn.graphql("CreateAgent", gql::CREATE_AGENT, vars)?;
    let agent_id = data
        .pointer("/createAgent/agent/id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ServerError::UnexpectedAnswer {
            op: "CreateAgent",
            reason: "no agent id".into(),
        })?
        .to_string();
    if options.count == Some(0) {
        // registered, nothing to run (the official agent reads 0 as "no
        // limit"; a Rust caller asking for 0 runs gets none)
        return Ok(AgentReport {
            sweep_id: sweep,
            agent_id,
            runs: Vec::new(),
            end: AgentEnd::Count,
        });
    }
    let key = resolve_api_key(conn.settings.api_key.as_deref(), &conn.settings.base_url)?;
    let hb_client = Client::new(&conn.settings.base_url, &key, RetryPolicy::default());
    let shared = Arc::new(Shared::default());
    let thread = heartbeat::spawn(
        shared.clone(),
        hb_client,
        agent_id.clone(),
        options.heartbeat_interval,
    )
    .map_err(|source| ServerError::Io {
        what: "cannot start the heartbeat thread".into(),
        source,
    })?;
    let ctx = RunContext {
        conn: &conn,
        options,
        sweep: &sweep,
        entity: entity.as_deref(),
        project: project.as_deref(),
    };
    let result = run_jobs(&ctx, &shared, &mut train);
    shared.lock().shutdown = true;
    shared.notify();
    join_bounded(thread);
    let (runs, end) = result?;
    Ok(AgentReport {
        sweep_id: sweep,
        agent_id,
        runs,
        end,
    })
}

struct RunContext<'a> {
    conn: &'a Connection,
    options: &'a ServerOptions,
    sweep: &'a str,
    entity: Option<&'a str>,
    project: Option<&'a str>,
}

/// The agent loop: waits for jobs, trains them one at a time.
fn run_jobs<F, E>(
    ctx: &RunContext<'_>,
    shared: &Shared,
    train: &mut F,
) -> Result<(Vec<RunRecord>, AgentEnd), ServerError>
where
    F: FnMut(&AgentRun) -> Result<(), E>,
    E: std::fmt::Display,
{
    let start = Instant::now();
    let mut runs = Vec::new();
    let mut jobs = 0usize;
    let mut failures = 0usize;
    let mut consecutive = 0usize;
    loop {
        let st = shared.lock();
        let mut st = shared.wait_until(st, wandb_core::duration::FAR_FUTURE, |s| {
            s.exit || s.not_found || s.heartbeat_ended || !s.queue.is_empty()
        });
        if st.exit {
            return Ok((runs, AgentEnd::Exit));
        }
        let Some(job) = st.queue.pop_front() else {
            if st.not_found {
                return Ok((runs, AgentEnd::SweepNotFound));
            }
            if st.heartbeat_ended {
                return Err(ServerError::UnexpectedAnswer {
                    op: "Heartbeat",
                    reason: "the heartbeat thread stopped".into(),
                });
            }
            continue;
        };
        jobs += 1;
        if st.statuses.get(&job.run_id) == Some(&Status::Stopped) {
            // stopped while queued: skipped (it counts, as in the official agent)
            continue;
        }
        let flag = Arc::new(AtomicBool::new(false));
        st.statuses.insert(job.run_id.clone(), Status::Running);
        st.current = Some((job.run_id.clone(), flag.clone()));
        drop(st);
        {
            let outcome = run_job(ctx, &job, flag, train);
            let mut st = shared.lock();
            st.current = None;
            let status = st
                .statuses
                .entry(job.run_id.clone())
                .or_insert(Status::Done);
            let outcome = match (*status, outcome) {
                (Status::Stopped, _) => RunOutcome::Stopped,
                (_, o) => o,
            };
            *status = match outcome {
                RunOutcome::Finished => Status::Done,
                RunOutcome::Failed(_) => Status::Errored,
                RunOutcome::Stopped => Status::Stopped,
            };
            if ctx.options.count.is_some_and(|c| jobs >= c) {
                // no heartbeat between the last run's end and the return
                // (it would report an idle agent and get another run)
                st.shutdown = true;
            }
            drop(st);
            match &outcome {
                RunOutcome::Failed(why) => {
                    failures += 1;
                    consecutive += 1;
                    if !ctx.conn.settings.silent {
                        eprintln!("wandb: ERROR Run {} errored: {why}", job.run_id);
                    }
                }
                RunOutcome::Finished => consecutive = 0,
                RunOutcome::Stopped => {}
            }
            runs.push(RunRecord {
                run_id: job.run_id.clone(),
                params: plain_params(&job.args),
                outcome,
            });
            if let Some(why) = too_many(ctx.options, start, failures, consecutive, jobs) {
                return Ok((runs, AgentEnd::TooManyFailures(why)));
            }
        }
        if ctx.options.count.is_some_and(|c| jobs >= c) {
            return Ok((runs, AgentEnd::Count));
        }
    }
}

/// The official agent's limits on failed runs.
fn too_many(
    options: &ServerOptions,
    start: Instant,
    failures: usize,
    consecutive: usize,
    jobs: usize,
) -> Option<String> {
    if consecutive > 0
        && options
            .max_consecutive_failures
            .is_some_and(|m| consecutive >= m)
    {
        return Some(format!("{consecutive} consecutive failed runs"));
    }
    if failures >= FLAPPING_MAX_FAILURES && start.elapsed() < FLAPPING_WINDOW {
        return Some(format!(
            "{failures} failed runs in the first {} seconds",
            FLAPPING_WINDOW.as_secs()
        ));
    }
    if failures > MAX_INITIAL_FAILURES && failures >= jobs {
        return Some(format!("{failures} failed runs in a row at the start"));
    }
    None
}

/// Trains one run: the parameter file, `init` as a sweep run, the closure,
/// `finish` with the exit code of the outcome.
fn run_job<F, E>(
    ctx: &RunContext<'_>,
    job: &Job,
    stop: Arc<AtomicBool>,
    train: &mut F,
) -> RunOutcome
where
    F: FnMut(&AgentRun) -> Result<(), E>,
    E: std::fmt::Display,
{
    let dir = ctx
        .conn
        .settings
        .root_dir
        .join("wandb")
        .join(format!("sweep-{}", ctx.sweep));
    let param_path = dir.join(format!("config-{}.yaml", job.run_id));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&param_path, crate::agent::param_file(&job.args)));
    if let Err(e) = written {
        return RunOutcome::Failed(format!(
            "cannot write the sweep parameter file {}: {e}",
            param_path.display()
        ));
    }
    let mut init = ctx
        .options
        .init
        .clone()
        .env_var("WANDB_SWEEP_ID", ctx.sweep)
        .env_var("WANDB_SWEEP_PARAM_PATH", param_path.to_string_lossy())
        .env_var("WANDB_RUN_ID", &job.run_id);
    if let Some(e) = ctx.entity {
        init = init.env_var("WANDB_ENTITY", e);
    }
    if let Some(p) = ctx.project {
        init = init.env_var("WANDB_PROJECT", p);
    }
    let run = match wandb_core::init(init) {
        Ok(run) => run,
        Err(e) => return RunOutcome::Failed(format!("the run could not start: {e}")),
    };
    let handle = AgentRun {
        run,
        stop,
        params: plain_params(&job.args),
    };
    let result = catch_unwind(AssertUnwindSafe(|| train(&handle)));
    let outcome = match result {
        _ if handle.stop.load(Ordering::SeqCst) => RunOutcome::Stopped,
        Ok(Ok(())) => RunOutcome::Finished,
        Ok(Err(e)) => RunOutcome::Failed(e.to_string()),
        Err(panic) => RunOutcome::Failed(format!(
            "the training closure panicked: {}",
            panic_text(panic.as_ref())
        )),
    };
    let code = if outcome == RunOutcome::Finished {
        0
    } else {
        1
    };
    if let Err(e) = handle.run.finish_with_exit_code(code) {
        tracing::warn!(error = %e, run = %job.run_id, "sweep agent: finishing the run failed");
    }
    outcome
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// `{"lr": {"value": 0.1}}` → `{"lr": 0.1}`.
fn plain_params(args: &Map<String, Value>) -> Map<String, Value> {
    args.iter()
        .map(|(k, v)| (k.clone(), v.get("value").cloned().unwrap_or(Value::Null)))
        .collect()
}

/// `id`, `project/id` or `entity/project/id`.
pub(super) fn parse_sweep_id(
    id: &str,
) -> Result<(Option<String>, Option<String>, String), ServerError> {
    let parts: Vec<&str> = id.trim().trim_matches('/').split('/').collect();
    let bad = || ServerError::InvalidSweepId(id.to_string());
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad());
    }
    let s = |x: &str| Some(x.to_string());
    match parts.as_slice() {
        [name] => Ok((None, None, name.to_string())),
        [p, name] => Ok((None, s(p), name.to_string())),
        [e, p, name] => Ok((s(e), s(p), name.to_string())),
        [e, p, "sweeps", name] => Ok((s(e), s(p), name.to_string())),
        _ => Err(bad()),
    }
}

/// Waits a little for the heartbeat thread; one still inside a request is
/// left to end on its own (it returns after that request).
fn join_bounded(thread: std::thread::JoinHandle<()>) {
    let end = Instant::now() + JOIN_WAIT;
    while !thread.is_finished() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    if thread.is_finished() {
        let _ = thread.join();
    }
}

/// This machine's name, as the official agent's `socket.gethostname()`.
fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at
        // most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            if let Ok(s) = std::str::from_utf8(&buf[..end]) {
                if !s.is_empty() {
                    return s.to_string();
                }
            }
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_paths() {
        let p = |s: &str| parse_sweep_id(s).map_err(|e| e.to_string());
        assert_eq!(p("abc"), Ok((None, None, "abc".into())));
        assert_eq!(p("proj/abc"), Ok((None, Some("proj".into()), "abc".into())));
        assert_eq!(
            p("ent/proj/abc"),
            Ok((Some("ent".into()), Some("proj".into()), "abc".into()))
        );
        assert_eq!(
            p("/ent/proj/sweeps/abc/"),
            Ok((Some("ent".into()), Some("proj".into()), "abc".into()))
        );
        for bad in ["", "a//b", "a/b/c/d/e"] {
            assert!(p(bad).unwrap_err().contains("invalid sweep id"), "{bad}");
        }
    }

    #[test]
    fn failure_limits() {
        let o = ServerOptions::new();
        let now = Instant::now();
        assert_eq!(too_many(&o, now, 2, 2, 2), None);
        assert!(too_many(&o, now, 3, 3, 3).is_some());
        let old = now.checked_sub(Duration::from_secs(120)).unwrap_or(now);
        if old != now {
            assert_eq!(too_many(&o, old, 3, 3, 10), None);
            assert!(too_many(&o, old, 6, 6, 6).is_some());
        }
        let o = ServerOptions::new().max_consecutive_failures(1);
        assert!(too_many(&o, now, 1, 1, 1).is_some());
    }
}
