//! Online mode: a background thread tails the run's `.wandb` file while the
//! writer appends to it, and streams what it reads to the server. The file
//! is the buffer: while the server is unreachable the thread retries and
//! reads nothing more, so memory stays bounded and nothing is lost.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use prost::Message as _;

use super::auth::resolve_api_key;
use super::engine::{Engine, EngineConfig, Mode};
use super::error::{OnlineError, Result};
use super::graphql as gql;
use super::http::{Client, RetryPolicy};
use super::report::SyncReport;
use super::tail::Tail;
use crate::proto;
use crate::settings::{Resume, Settings};

/// Tuning of [`LiveSync`] beyond [`Settings`].
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Batch interval of file_stream requests (official default 15 s;
    /// `WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL` in seconds overrides it).
    pub interval: Duration,
    /// Heartbeat after this long without a request (30 s).
    pub heartbeat: Duration,
    /// Largest file_stream request (10 MiB); also bounds what is read ahead.
    pub max_request_bytes: usize,
    /// Retry tuning.
    pub retry: RetryPolicy,
    /// How long `start` may take to validate the key (30 s).
    pub start_timeout: Duration,
    /// Re-read the file at least this often even without `notify_flushed` (1 s).
    pub poll_interval: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            interval: Duration::from_secs(15),
            heartbeat: Duration::from_secs(30),
            max_request_bytes: 10 * 1024 * 1024,
            retry: RetryPolicy::default(),
            start_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl LiveOptions {
    /// Defaults with the interval from `WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL`.
    pub fn from_env() -> Self {
        let mut o = LiveOptions::default();
        if let Some(secs) = std::env::var("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
        {
            o.interval = secs;
        }
        o
    }
}

#[derive(Default)]
struct Signal {
    seq: u64,
    finishing: bool,
}

struct Shared {
    signal: Mutex<Signal>,
    cv: Condvar,
    stopped: Arc<AtomicBool>,
    bytes_read: AtomicU64,
    pending_bytes: AtomicU64,
}

/// How far a [`LiveSync`] has got (for monitoring and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveProgress {
    /// Bytes of the `.wandb` file read so far.
    pub bytes_read: u64,
    /// Bytes of lines read but not yet acknowledged by the server (bounded
    /// by about two file_stream requests, whatever the outage).
    pub pending_bytes: u64,
}

impl Shared {
    fn notify(&self) {
        let mut s = self.signal.lock();
        s.seq = s.seq.wrapping_add(1);
        self.cv.notify_one();
    }
}

/// Wakes a [`LiveSync`] uploader (cheap to clone, `Send + Sync`).
#[derive(Clone)]
pub struct FlushNotifier(Arc<Shared>);

impl FlushNotifier {
    /// Same as [`LiveSync::notify_flushed`].
    pub fn notify(&self) {
        self.0.notify();
    }
}

impl std::fmt::Debug for FlushNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlushNotifier")
    }
}

type Outcome = (Result<()>, SyncReport);

/// What the server already has of a run being resumed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResumeInfo {
    /// History rows stored (the next row goes at this offset).
    pub history_lines: u64,
    /// `_step` of the last stored row: a resumed run logs from `last_step + 1`.
    pub last_step: Option<i64>,
    /// The stored summary.
    pub summary: crate::Map,
}

/// Streams a live run to the server. Created by the run at init (online
/// mode); [`LiveSync::notify_flushed`] after each writer flush;
/// [`LiveSync::finish`] after the exit record is on disk.
pub struct LiveSync {
    shared: Arc<Shared>,
    client: Arc<Client>,
    done: mpsc::Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
    resumed: Option<ResumeInfo>,
}

impl std::fmt::Debug for LiveSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSync").finish_non_exhaustive()
    }
}

impl LiveSync {
    /// Validates the API key against the server (a clear error, not a hang,
    /// when it is missing or rejected), then tails `wandb_file` on a
    /// background thread. Tuning from [`LiveOptions::from_env`].
    pub fn start(settings: &Settings, run_dir: &Path, wandb_file: &Path) -> Result<LiveSync> {
        Self::start_with(settings, run_dir, wandb_file, LiveOptions::from_env())
    }

    /// [`LiveSync::start`] with explicit tuning.
    pub fn start_with(
        settings: &Settings,
        run_dir: &Path,
        wandb_file: &Path,
        opts: LiveOptions,
    ) -> Result<LiveSync> {
        let base_url = settings.base_url.trim_end_matches('/').to_string();
        let key = resolve_api_key(settings.api_key.as_deref(), &base_url)?;
        let client = Arc::new(Client::new(&base_url, &key, opts.retry.clone()));
        client.deadline.set(Instant::now() + opts.start_timeout);
        let viewer = client.graphql("Viewer", gql::VIEWER, None)?;
        client.deadline.clear();
        let viewer_entity = viewer
            .pointer("/viewer/entity")
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let resume = matches!(
            settings.resume,
            Some(Resume::Allow | Resume::Must | Resume::Auto)
        );
        let resumed = match (&settings.run_id, resume) {
            (Some(id), true) => resume_info(&client, settings, viewer_entity.as_deref(), id)?,
            _ => None,
        };
        let cfg = EngineConfig {
            entity: settings.entity.clone(),
            fallback_entity: viewer_entity,
            project: None,
            run_id: None,
            mode: Mode::Live,
            interval: opts.interval,
            max_request_bytes: opts.max_request_bytes,
            heartbeat: opts.heartbeat,
            resume,
        };
        let stopped = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            signal: Mutex::new(Signal::default()),
            cv: Condvar::new(),
            stopped: stopped.clone(),
            bytes_read: AtomicU64::new(0),
            pending_bytes: AtomicU64::new(0),
        });
        let engine = Engine::new(client.clone(), cfg, &run_dir.join("files"), stopped);
        let (tx, rx) = mpsc::channel();
        let th_shared = shared.clone();
        let file = wandb_file.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("wandb-online".into())
            .spawn(move || {
                crate::background::lower_priority();
                let out = run_loop(engine, &file, &th_shared, &opts);
                let _ = tx.send(out);
            })
            .map_err(|e| OnlineError::Thread(e.to_string()))?;
        Ok(LiveSync {
            shared,
            client,
            done: rx,
            thread: Some(thread),
            resumed,
        })
    }

    /// With `resume` set and the run already on the server: what it has
    /// (for continuing the step counter).
    pub fn resumed(&self) -> Option<&ResumeInfo> {
        self.resumed.as_ref()
    }

    /// Wakes the uploader: the writer has flushed new records to the file.
    pub fn notify_flushed(&self) {
        self.shared.notify();
    }

    /// A handle that wakes the uploader, for the writer thread's flush hook.
    pub fn notifier(&self) -> FlushNotifier {
        FlushNotifier(self.shared.clone())
    }

    /// Bytes read from the log and bytes waiting for the server.
    pub fn progress(&self) -> LiveProgress {
        LiveProgress {
            bytes_read: self.shared.bytes_read.load(Ordering::Relaxed),
            pending_bytes: self.shared.pending_bytes.load(Ordering::Relaxed),
        }
    }

    /// True once the server asked the run to stop (`"stopped": true`).
    pub fn is_stopped(&self) -> bool {
        self.shared.stopped.load(Ordering::SeqCst)
    }

    /// Uploads the rest (the exit record must be on disk) and completes the
    /// run, giving up after `timeout`: the report says what is unsent; the
    /// run directory keeps everything for `wandb-rs sync`.
    pub fn finish(mut self, timeout: Duration) -> Result<SyncReport> {
        self.client.deadline.set(Instant::now() + timeout);
        {
            let mut s = self.shared.signal.lock();
            s.finishing = true;
            self.shared.cv.notify_one();
        }
        let grace = Duration::from_secs(2);
        match self.done.recv_timeout(timeout + grace) {
            Ok((result, report)) => {
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
                match result {
                    Ok(()) | Err(OnlineError::Unreachable { .. }) => Ok(report),
                    Err(e) => Err(e),
                }
            }
            Err(_) => Err(OnlineError::Unreachable {
                what: "finishing the online run".into(),
                attempts: 0,
                last: format!("the upload thread did not stop within {timeout:?}"),
            }),
        }
    }
}

impl Drop for LiveSync {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // not finished: stop soon, leaving the rest for `sync`
            self.client
                .deadline
                .set(Instant::now() + Duration::from_secs(1));
            let mut s = self.shared.signal.lock();
            s.finishing = true;
            self.shared.cv.notify_one();
        }
    }
}

fn resume_info(
    client: &Client,
    settings: &Settings,
    viewer_entity: Option<&str>,
    run_id: &str,
) -> Result<Option<ResumeInfo>> {
    use serde_json::{json, Value};
    let entity = settings
        .entity
        .as_deref()
        .or(viewer_entity)
        .unwrap_or_default();
    let project = settings.project.as_deref().unwrap_or("uncategorized");
    let vars = json!({"project": project, "entity": entity, "name": run_id});
    let data = client.graphql("RunResumeStatus", gql::RUN_RESUME_STATUS, Some(vars))?;
    let Some(b) = data.pointer("/model/bucket").filter(|b| b.is_object()) else {
        return Ok(None);
    };
    let history_lines = b
        .get("historyLineCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let last_step = b
        .get("historyTail")
        .and_then(Value::as_str)
        .and_then(|t| serde_json::from_str::<Vec<String>>(t).ok())
        .and_then(|rows| rows.last().cloned())
        .and_then(|row| serde_json::from_str::<Value>(&row).ok())
        .and_then(|row| row.get("_step").and_then(Value::as_i64));
    let summary = match b
        .get("summaryMetrics")
        .and_then(Value::as_str)
        .and_then(|s| crate::json::parse(s).ok())
    {
        Some(crate::Value::Map(m)) => m,
        _ => crate::Map::new(),
    };
    Ok(Some(ResumeInfo {
        history_lines,
        last_step,
        summary,
    }))
}

fn run_loop(mut engine: Engine, file: &PathBuf, shared: &Shared, opts: &LiveOptions) -> Outcome {
    let mut tail = Tail::new(file);
    let result = (|| -> Result<()> {
        loop {
            let seq_before = shared.signal.lock().seq;
            let finishing = shared.signal.lock().finishing;
            let mut got = false;
            if engine.pending_bytes() < opts.max_request_bytes {
                let polled = tail.poll(opts.max_request_bytes)?;
                got = !polled.records.is_empty();
                for payload in polled.records {
                    let rec = proto::Record::decode(payload.as_slice()).map_err(|e| {
                        OnlineError::BadLog {
                            path: file.clone(),
                            reason: format!("undecodable record: {e}"),
                        }
                    })?;
                    engine.handle(rec)?;
                }
            }
            if !got && (engine.exit_seen() || finishing) {
                if !engine.started() {
                    return Ok(());
                }
                return engine.finish_run();
            }
            shared.bytes_read.store(tail.offset(), Ordering::Relaxed);
            shared
                .pending_bytes
                .store(engine.pending_bytes() as u64, Ordering::Relaxed);
            if engine.flush_due() {
                engine.flush()?;
                shared
                    .pending_bytes
                    .store(engine.pending_bytes() as u64, Ordering::Relaxed);
            }
            if !got {
                let wait = engine
                    .next_due()
                    .min(opts.poll_interval)
                    .max(Duration::from_millis(1));
                let mut s = shared.signal.lock();
                if s.seq == seq_before && !s.finishing {
                    shared.cv.wait_for(&mut s, wait);
                }
            }
        }
    })();
    let unread = std::fs::metadata(file)
        .map(|m| m.len().saturating_sub(tail.offset()))
        .unwrap_or(0);
    (result, engine.report(unread))
}
