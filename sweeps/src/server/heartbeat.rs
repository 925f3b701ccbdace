//! The agent's heartbeat thread and the state it shares with the agent
//! loop (spec A.4.2, A.4.3): every interval it reports the queued and
//! running runs (`runState`), and acts on the first command of the answer:
//! `run`/`resume` queue a job, `stop` stops a run, `exit` ends the agent.
//! The training thread never waits for a heartbeat.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use wandb_core::online::{Client, OnlineError};

use super::gql;

/// Where a run of this agent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Queued,
    Running,
    Done,
    Errored,
    Stopped,
}

/// A `run` command: the run id and its parameters (`{"lr": {"value": 0.1}}`).
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub run_id: String,
    pub args: Map<String, Value>,
}

#[derive(Default)]
pub(super) struct State {
    pub statuses: BTreeMap<String, Status>,
    pub queue: VecDeque<Job>,
    /// An `exit` command came.
    pub exit: bool,
    /// The server answered 404: the sweep is gone.
    pub not_found: bool,
    /// The agent is done: the heartbeat thread returns.
    pub shutdown: bool,
    /// The run being trained and its stop flag.
    pub current: Option<(String, Arc<AtomicBool>)>,
    /// The heartbeat thread has returned (or died): no more jobs come.
    pub heartbeat_ended: bool,
}

/// The state of one agent, shared by its loop and its heartbeat thread.
#[derive(Default)]
pub(super) struct Shared {
    state: Mutex<State>,
    cv: Condvar,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn notify(&self) {
        self.cv.notify_all();
    }

    /// Waits until `ready` holds (checked under the lock), at most `limit`
    /// (saturating: a huge limit is a very long wait, never an overflow).
    pub fn wait_until<'a>(
        &'a self,
        mut guard: MutexGuard<'a, State>,
        limit: Duration,
        ready: impl Fn(&State) -> bool,
    ) -> MutexGuard<'a, State> {
        let end = wandb_core::duration::deadline_after(limit);
        while !ready(&guard) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            guard = match self.cv.wait_timeout(guard, left) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        guard
    }

    /// Applies one command of a heartbeat answer.
    fn apply(&self, command: &Value) {
        let mut st = self.lock();
        let run_id = command
            .get("run_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        match command.get("type").and_then(Value::as_str) {
            Some("run" | "resume") => {
                let Some(run_id) = run_id else {
                    tracing::warn!(%command, "sweep agent: a run command without run_id, ignored");
                    return;
                };
                let args = command
                    .get("args")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                st.statuses.insert(run_id.clone(), Status::Queued);
                st.queue.push_back(Job { run_id, args });
            }
            Some("stop") => {
                if let Some(run_id) = run_id {
                    stop_run(&mut st, &run_id);
                }
            }
            Some("exit") => {
                let ids: Vec<String> = st.statuses.keys().cloned().collect();
                for id in ids {
                    stop_run(&mut st, &id);
                }
                st.exit = true;
            }
            other => tracing::warn!(?other, "sweep agent: unknown command type, ignored"),
        }
        drop(st);
        self.notify();
    }
}

/// Marks a queued or running run stopped and raises the flag of the
/// running one (the official agent raises an exception in its thread).
fn stop_run(st: &mut State, run_id: &str) {
    if let Some(s) = st.statuses.get_mut(run_id) {
        if matches!(s, Status::Queued | Status::Running) {
            *s = Status::Stopped;
        }
    }
    if let Some((id, flag)) = &st.current {
        if id == run_id {
            flag.store(true, Ordering::SeqCst);
        }
    }
}

/// `runState`: each queued or running run id mapped to `true`.
fn run_state(st: &State) -> String {
    let live: Map<String, Value> = st
        .statuses
        .iter()
        .filter(|(_, s)| matches!(s, Status::Queued | Status::Running))
        .map(|(id, _)| (id.clone(), Value::Bool(true)))
        .collect();
    Value::Object(live).to_string()
}

/// Starts the heartbeat thread; it returns once the agent shuts down, an
/// `exit` command came or the sweep is gone.
pub(super) fn spawn(
    shared: Arc<Shared>,
    client: Client,
    agent_id: String,
    interval: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wandb-sweep-heartbeat".into())
        .spawn(move || heartbeat_loop(&shared, &client, &agent_id, interval))
}

/// Marks the heartbeat thread ended when it returns or unwinds, so the
/// agent loop never waits for jobs that cannot come.
struct Ended<'a>(&'a Shared);

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        self.0.lock().heartbeat_ended = true;
        self.0.notify();
    }
}

fn heartbeat_loop(shared: &Shared, client: &Client, agent_id: &str, interval: Duration) {
    let _ended = Ended(shared);
    loop {
        let state = {
            let st = shared.lock();
            if st.shutdown || st.exit || st.not_found {
                return;
            }
            run_state(&st)
        };
        match send(client, agent_id, &state) {
            Ok(commands) => {
                if let Some(first) = commands.first() {
                    shared.apply(first);
                }
            }
            Err(HeartbeatError::NotFound) => {
                shared.lock().not_found = true;
                shared.notify();
                return;
            }
            Err(HeartbeatError::Other(e)) => {
                tracing::warn!(error = %e, "sweep agent: heartbeat failed; trying again at the next one");
            }
        }
        let st = shared.lock();
        let st = shared.wait_until(st, interval, |s| s.shutdown || s.exit);
        if st.shutdown || st.exit {
            return;
        }
    }
}

enum HeartbeatError {
    NotFound,
    Other(String),
}

/// One heartbeat: the commands of the answer (a JSON string holding a list).
fn send(client: &Client, agent_id: &str, run_state: &str) -> Result<Vec<Value>, HeartbeatError> {
    let vars = json!({"id": agent_id, "metrics": "{}", "runState": run_state});
    client
        .deadline
        .set(wandb_core::duration::deadline_after(gql::REQUEST_TIMEOUT));
    let data = match client.graphql("Heartbeat", gql::HEARTBEAT, Some(vars)) {
        Ok(d) => d,
        Err(OnlineError::Http { status: 404, .. }) => return Err(HeartbeatError::NotFound),
        Err(e) => return Err(HeartbeatError::Other(e.to_string())),
    };
    let text = data
        .pointer("/agentHeartbeat/commands")
        .and_then(Value::as_str)
        .unwrap_or("[]");
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(list)) => Ok(list),
        Ok(Value::Null) => Ok(Vec::new()),
        _ => Err(HeartbeatError::Other(format!(
            "the commands are not a JSON list: {text}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_change_the_state() {
        let shared = Shared::default();
        shared.apply(&json!({"type": "run", "run_id": "r1", "args": {"lr": {"value": 0.1}}}));
        shared.apply(&json!({"type": "run", "run_id": "r2", "args": {}}));
        assert_eq!(run_state(&shared.lock()), r#"{"r1":true,"r2":true}"#);
        let flag = Arc::new(AtomicBool::new(false));
        {
            let mut st = shared.lock();
            st.queue.pop_front();
            st.statuses.insert("r1".into(), Status::Running);
            st.current = Some(("r1".into(), flag.clone()));
        }
        shared.apply(&json!({"type": "stop", "run_id": "r1"}));
        assert!(flag.load(Ordering::SeqCst));
        assert_eq!(run_state(&shared.lock()), r#"{"r2":true}"#);
        shared.apply(&json!({"type": "exit"}));
        let st = shared.lock();
        assert!(st.exit);
        assert_eq!(st.statuses["r2"], Status::Stopped);
        assert_eq!(run_state(&st), "{}");
        drop(st);
        // garbage commands are ignored, never a panic
        for bad in [
            json!(null),
            json!({"type": "run"}),
            json!({"type": 3}),
            json!([1]),
        ] {
            shared.apply(&bad);
        }
    }

    #[test]
    fn waits_saturate() {
        let shared = Shared::default();
        shared.lock().exit = true;
        let st = shared.wait_until(shared.lock(), Duration::MAX, |s| s.exit);
        assert!(st.exit);
    }
}
