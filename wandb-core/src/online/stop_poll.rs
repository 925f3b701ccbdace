//! Polls `RunStoppedStatus` while a run is live, as the official client
//! checks the stop status every 15 s: when the run was stopped from the web
//! UI the shared flag is set ([`crate::Run::stop_requested`]) and polling
//! ends (a run is stopped once). file_stream answers carrying
//! `"stopped": true` set the same flag. The thread ends when the poller is
//! dropped (at finish); a query in flight is bounded by the client's
//! deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::graphql as gql;
use super::http::Client;

/// The official client's poll interval.
pub const STOP_POLL_INTERVAL: Duration = Duration::from_secs(15);

/// A running poller; dropping it stops the thread.
pub struct StopPoller {
    _stop: mpsc::Sender<()>,
}

impl std::fmt::Debug for StopPoller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StopPoller")
    }
}

/// What to poll.
pub struct StopTarget {
    /// Entity (may be empty: the server's default).
    pub entity: String,
    /// Project.
    pub project: String,
    /// Run id.
    pub run_id: String,
}

/// Starts polling every `interval` (the first check after one interval). `None` when the
/// thread cannot be started (logged; file_stream answers still count).
pub fn spawn(
    client: Arc<Client>,
    target: StopTarget,
    interval: Duration,
    stopped: Arc<AtomicBool>,
) -> Option<StopPoller> {
    let (tx, rx) = mpsc::channel::<()>();
    let dispatch = crate::diag::current_dispatch();
    let res = std::thread::Builder::new()
        .name("wandb-stop-poll".into())
        .spawn(move || {
            let _log = tracing::dispatcher::set_default(&dispatch);
            poll(&client, &target, interval, &stopped, &rx)
        });
    match res {
        Ok(_) => Some(StopPoller { _stop: tx }),
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the stop-status poller");
            None
        }
    }
}

fn poll(
    client: &Client,
    target: &StopTarget,
    interval: Duration,
    stopped: &AtomicBool,
    rx: &mpsc::Receiver<()>,
) {
    loop {
        // First wait: the run is created on the server (by the upload
        // thread's first UpsertBucket) before it is asked about.
        match rx.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        if stopped.load(Ordering::SeqCst) {
            return;
        }
        let vars = json!({
            "entityName": target.entity, "projectName": target.project, "runId": target.run_id,
        });
        match client.graphql("RunStoppedStatus", gql::RUN_STOPPED_STATUS, Some(vars)) {
            Ok(data) => {
                if data
                    .pointer("/project/run/stopped")
                    .and_then(|v| v.as_bool())
                    == Some(true)
                {
                    tracing::info!(run_id = %target.run_id, "the run was stopped from W&B");
                    stopped.store(true, Ordering::SeqCst);
                    return;
                }
            }
            Err(e) => tracing::debug!(error = %e, "RunStoppedStatus failed; will retry"),
        }
    }
}
