//! An in-process fake W&B server for tests: GraphQL (UpsertBucket,
//! CreateRunFiles, RunResumeStatus, artifacts, the public API's reads:
//! Run, Runs, RunFiles, history, artifacts by name, a run's artifacts,
//! ..., the sweep operations UpsertSweep, CreateAgent and the agent
//! Heartbeat), file_stream, upload storage and downloads of uploaded files,
//! on `127.0.0.1:0`, with fault injection.
//!
//! ```
//! let server = wandb_fake_server::FakeServer::start();
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(server.runs().len(), 0);
//! ```
//!
//! It stores what it receives, keyed by `(entity, project, run id)`: the
//! UpsertBucket variables (config, tags, ...), file_stream lines **by
//! offset** (a retried batch overwrites, so duplicates are impossible and
//! gaps show up as holes), uploaded files and artifacts. Every request to
//! the base URL must carry `Authorization: Basic base64("api:" + key)` with
//! [`FakeServer::api_key`]; uploads are accepted without it and counted if
//! they carry one.

mod artifacts;
mod artifacts_read;
mod faults;
mod filters;
mod handlers;
mod public_api;
mod store;
mod sweeps;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub use faults::{Fault, FaultAction, Target};
pub use handlers::DEFAULT_ENTITY;
pub use store::{ArtifactData, RequestLog, RunData, Stream};
pub use sweeps::{AgentData, SweepData};

use handlers::{Inner, Shared};

/// The API key the server accepts unless another is given: a syntactically
/// valid dummy (44 characters).
pub const DEFAULT_API_KEY: &str = "fake0000000000000000000000000000000000000key";

/// A running fake server; it stops when dropped.
pub struct FakeServer {
    url: String,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FakeServer {
    /// Starts a server that accepts [`DEFAULT_API_KEY`].
    ///
    /// # Panics
    /// If the runtime or the listening socket cannot be created (test helper).
    pub fn start() -> Self {
        Self::with_api_key(DEFAULT_API_KEY)
    }

    /// Starts a server that accepts only `api_key`.
    ///
    /// # Panics
    /// If the runtime or the listening socket cannot be created (test helper).
    pub fn with_api_key(api_key: &str) -> Self {
        match Self::try_with_api_key(api_key) {
            Ok(server) => server,
            Err(e) => panic!("fake server: cannot start on 127.0.0.1:0: {e}"),
        }
    }

    /// Starts a server that accepts only `api_key`; an error when the
    /// runtime or the listening socket cannot be created.
    pub fn try_with_api_key(api_key: &str) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            api_key: api_key.to_string(),
            url: Mutex::new(String::new()),
            inner: Mutex::new(Inner::default()),
        });
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        *shared.url.lock() = url.clone();
        let app = axum::Router::new()
            .fallback(handlers::handle)
            .layer(axum::extract::DefaultBodyLimit::max(256 * 1024 * 1024))
            .with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeServer {
            url,
            shared,
            runtime: Some(runtime),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (use as `WANDB_BASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API key the server accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        self.shared.inner.lock().faults.push(fault);
    }

    /// Answers every request with 503 for `length` from now.
    pub fn outage(&self, length: Duration) {
        self.shared.inner.lock().faults.outage(length);
    }

    /// How many injected faults fired so far.
    pub fn faults_fired(&self) -> usize {
        self.shared.inner.lock().faults.fired
    }

    /// Features advertised by ServerFeaturesQuery (none by default).
    pub fn set_features(&self, features: &[&str]) {
        self.shared.inner.lock().features = features.iter().map(|s| s.to_string()).collect();
    }

    /// Marks a run as stopped: file_stream answers carry `"stopped": true`
    /// and RunStoppedStatus answers true.
    pub fn stop_run(&self, entity: &str, project: &str, run_id: &str) {
        self.shared
            .inner
            .lock()
            .run_mut(entity, project, run_id)
            .stopped = true;
    }

    /// Creates or replaces a run as if it had been uploaded before (for resume tests).
    /// A run without a [`RunData::storage_id`] gets a fresh one.
    pub fn insert_run(&self, run: RunData) {
        self.shared.inner.lock().insert_run(run);
    }

    /// A snapshot of one run.
    pub fn run(&self, entity: &str, project: &str, run_id: &str) -> Option<RunData> {
        let key = (entity.to_string(), project.to_string(), run_id.to_string());
        self.shared.inner.lock().runs.get(&key).cloned()
    }

    /// A snapshot of every run.
    pub fn runs(&self) -> Vec<RunData> {
        self.shared.inner.lock().runs.values().cloned().collect()
    }

    /// The only run; panics unless exactly one exists (test helper).
    pub fn only_run(&self) -> RunData {
        let runs = self.runs();
        assert_eq!(
            runs.len(),
            1,
            "expected exactly one run, got {}",
            runs.len()
        );
        runs.into_iter().next().expect("one run")
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RequestLog> {
        self.shared.inner.lock().requests.clone()
    }

    /// GraphQL operation names received, in order.
    pub fn ops(&self) -> Vec<String> {
        self.requests().into_iter().filter_map(|r| r.op).collect()
    }

    /// Uploads that carried an `Authorization` header (must stay 0).
    pub fn uploads_with_auth(&self) -> usize {
        self.shared.inner.lock().uploads_with_auth
    }

    /// Requests rejected for a missing or wrong key.
    pub fn unauthorized(&self) -> usize {
        self.shared.inner.lock().unauthorized
    }

    /// Created artifacts.
    pub fn artifacts(&self) -> Vec<ArtifactData> {
        self.shared.inner.lock().artifacts.clone()
    }

    /// Files uploaded for artifacts (`files/<artifact id>/<name>`,
    /// `manifests/<manifest id>/wandb_manifest.json`).
    pub fn artifact_files(&self) -> BTreeMap<String, Vec<u8>> {
        self.shared.inner.lock().artifact_files.clone()
    }

    /// A snapshot of every sweep, by sweep id.
    pub fn sweeps(&self) -> BTreeMap<String, SweepData> {
        self.shared.inner.lock().sweeps.sweeps.clone()
    }

    /// A snapshot of one sweep.
    pub fn sweep(&self, sweep_id: &str) -> Option<SweepData> {
        self.shared
            .inner
            .lock()
            .sweeps
            .sweeps
            .get(sweep_id)
            .cloned()
    }

    /// Every registered sweep agent, by agent id.
    pub fn agents(&self) -> BTreeMap<String, AgentData> {
        self.shared.inner.lock().sweeps.agents.clone()
    }

    /// Scripts the answers to the next heartbeats of `sweep_id`'s agents,
    /// one answer per heartbeat, in order, before the controller's
    /// suggestions: each is a list of commands (`[{"type": "stop", "run_id":
    /// "r1"}]`, `[]`), or one command.
    pub fn script_heartbeats(
        &self,
        sweep_id: &str,
        answers: impl IntoIterator<Item = serde_json::Value>,
    ) {
        self.shared.inner.lock().sweeps.script(sweep_id, answers);
    }

    /// Deletes a sweep: its agents' heartbeats get HTTP 404 from now on.
    pub fn delete_sweep(&self, sweep_id: &str) {
        self.shared
            .inner
            .lock()
            .sweeps
            .deleted
            .push(sweep_id.to_string());
    }

    /// Replaces the stored bytes of an uploaded artifact file (a key of
    /// [`FakeServer::artifact_files`]): a corrupt blob for download tests.
    /// False when there is no such file.
    pub fn replace_artifact_file(&self, key: &str, bytes: Vec<u8>) -> bool {
        match self.shared.inner.lock().artifact_files.get_mut(key) {
            Some(slot) => {
                *slot = bytes;
                true
            }
            None => false,
        }
    }

    /// Waits until `pred` holds for the run (or the timeout passes) and
    /// returns the last snapshot.
    pub fn wait_for_run(
        &self,
        entity: &str,
        project: &str,
        run_id: &str,
        timeout: Duration,
        pred: impl Fn(&RunData) -> bool,
    ) -> Option<RunData> {
        let end = Instant::now() + timeout;
        loop {
            let run = self.run(entity, project, run_id);
            if run.as_ref().is_some_and(&pred) || Instant::now() >= end {
                return run;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
