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

use super::engine::{Engine, EngineConfig, Mode};
use super::error::{OnlineError, Result};
use super::graphql as gql;
use super::http::{Client, RetryPolicy};
use super::report::SyncReport;
use super::resume::ServerRun;
use super::tail::Tail;
use crate::proto;
use crate::settings::Settings;

/// Tuning of [`LiveSync`] beyond [`Settings`].
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Batch interval of file_stream requests (official default 15 s;
    /// the `x_file_stream_transmit_interval` setting overrides it).
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
    /// Ask `RunStoppedStatus` this often (15 s, as the official client).
    pub stop_poll_interval: Duration,
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
            stop_poll_interval: super::stop_poll::STOP_POLL_INTERVAL,
        }
    }
}

impl LiveOptions {
    /// Defaults with the settings' transmit interval
    /// (`x_file_stream_transmit_interval`), if set. The process environment
    /// is not read here: `init` resolves settings from its environment map.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut o = LiveOptions::default();
        if let Some(d) = settings.file_stream_transmit_interval {
            o.interval = d;
        }
        if let Some(d) = settings.stop_poll_interval {
            o.stop_poll_interval = d;
        }
        if let Some(d) = settings.init_timeout {
            o.start_timeout = d;
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

/// A connection to the server made at init before the run directory
/// exists ([`LiveSync::prepare`]): the key is validated and the `resume`
/// setting applied, so a refused resume leaves nothing behind.
/// [`LivePrepared::start`] then tails the run's log.
pub struct LivePrepared {
    client: Arc<Client>,
    run_id: String,
    viewer_entity: Option<String>,
    resumed: Option<ServerRun>,
    opts: LiveOptions,
}

impl std::fmt::Debug for LivePrepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivePrepared")
            .field("resumed", &self.resumed)
            .finish_non_exhaustive()
    }
}

/// Streams a live run to the server. Created by the run at init (online
/// mode); [`LiveSync::notify_flushed`] after each writer flush;
/// [`LiveSync::finish`] after the exit record is on disk.
pub struct LiveSync {
    shared: Arc<Shared>,
    /// Dropped at finish, which ends polling.
    stop_poll: Option<super::stop_poll::StopPoller>,
    client: Arc<Client>,
    /// The entity the run is uploaded to (setting, else the key's default).
    entity: String,
    done: mpsc::Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
    resumed: Option<ServerRun>,
    wandb_file: PathBuf,
}

impl std::fmt::Debug for LiveSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSync").finish_non_exhaustive()
    }
}

impl LiveSync {
    /// Validates the API key against the server (a clear error, not a hang,
    /// when it is missing or rejected), applies the `resume` setting, then
    /// tails `wandb_file` on a background thread. Tuning from
    /// [`LiveOptions::from_settings`].
    pub fn start(settings: &Settings, run_dir: &Path, wandb_file: &Path) -> Result<LiveSync> {
        Self::start_with(
            settings,
            run_dir,
            wandb_file,
            LiveOptions::from_settings(settings),
        )
    }

    /// [`LiveSync::start`] with explicit tuning (the run id is `settings.run_id`).
    pub fn start_with(
        settings: &Settings,
        run_dir: &Path,
        wandb_file: &Path,
        opts: LiveOptions,
    ) -> Result<LiveSync> {
        let run_id = settings.run_id.clone().unwrap_or_default();
        Self::prepare_with(settings, &run_id, opts)?.start(settings, run_dir, wandb_file)
    }

    /// Validates the key and applies the `resume` setting for `run_id`
    /// (crate::resume): `RunResumeStatus` is asked when `resume` is set, or
    /// when the id was given (`settings.run_id`) without one, so that an
    /// existing run is never overwritten. Nothing is written.
    pub fn prepare(settings: &Settings, run_id: &str) -> Result<LivePrepared> {
        Self::prepare_with(settings, run_id, LiveOptions::from_settings(settings))
    }

    /// [`LiveSync::prepare`] with explicit tuning.
    pub fn prepare_with(
        settings: &Settings,
        run_id: &str,
        opts: LiveOptions,
    ) -> Result<LivePrepared> {
        let base_url = settings.base_url.trim_end_matches('/').to_string();
        // The key comes from the settings only: they were resolved from the
        // run's environment (WANDB_API_KEY, settings files, its netrc), and
        // the process environment must not override that.
        let key = match settings.api_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(k) => super::auth::ApiKey::new(k)?,
            None => {
                return Err(OnlineError::MissingApiKey {
                    host: super::auth::url_host(&base_url)?,
                })
            }
        };
        let client = Arc::new(Client::new(&base_url, &key, opts.retry.clone()));
        client
            .deadline
            .set(crate::duration::deadline_after(opts.start_timeout));
        let viewer = client.graphql("Viewer", gql::VIEWER, None)?;
        let viewer_entity = viewer
            .pointer("/viewer/entity")
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        // Shared mode: every writer names the same id on purpose; the
        // official client asks nothing (RunResumeStatus) then either.
        let ask = !run_id.is_empty()
            && !settings.is_shared()
            && (settings.resume.is_some() || settings.run_id.is_some());
        let resumed = if ask {
            let entity = settings
                .entity
                .clone()
                .or_else(|| viewer_entity.clone())
                .unwrap_or_default();
            let project = settings.project.as_deref().unwrap_or("uncategorized");
            let found = super::resume::query(&client, &entity, project, run_id)?;
            let location = format!("(in {entity}/{project} on {base_url})");
            super::resume::check(settings.resume, run_id, &location, found)?
        } else {
            None
        };
        client.deadline.clear();
        Ok(LivePrepared {
            client,
            run_id: run_id.to_owned(),
            viewer_entity,
            resumed,
            opts,
        })
    }
}

impl LivePrepared {
    /// The default entity of the API key's user (the `Viewer` query), used
    /// when the settings name no entity.
    pub fn viewer_entity(&self) -> Option<&str> {
        self.viewer_entity.as_deref()
    }

    /// Sends `id` as the client id of every request (`X-Wandb-Client-Id`,
    /// `X-Wandb-Async-Client-Id` on file_stream), as the official client
    /// does: the writers of a shared run are told apart by it.
    pub fn set_client_id(&self, id: &str) {
        self.client.set_client_id(id);
    }

    /// The run the server already has, to be continued.
    pub fn resumed(&self) -> Option<&ServerRun> {
        self.resumed.as_ref()
    }

    /// Starts tailing `wandb_file` of the run directory `run_dir`.
    pub fn start(self, settings: &Settings, run_dir: &Path, wandb_file: &Path) -> Result<LiveSync> {
        let LivePrepared {
            client,
            run_id,
            viewer_entity,
            resumed,
            opts,
        } = self;
        let entity = settings
            .entity
            .clone()
            .or_else(|| viewer_entity.clone())
            .unwrap_or_default();
        let target = super::stop_poll::StopTarget {
            entity: entity.clone(),
            project: settings
                .project
                .clone()
                .unwrap_or_else(|| "uncategorized".into()),
            run_id,
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
            resume: false,
            resumed: resumed.clone(),
            writer: super::engine::Writer::of(settings),
        };
        let stopped = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            signal: Mutex::new(Signal::default()),
            cv: Condvar::new(),
            stopped: stopped.clone(),
            bytes_read: AtomicU64::new(0),
            pending_bytes: AtomicU64::new(0),
        });
        let stop_poll = super::stop_poll::spawn(
            client.clone(),
            target,
            opts.stop_poll_interval,
            stopped.clone(),
        );
        let engine = Engine::new(client.clone(), cfg, &run_dir.join("files"), stopped);
        let (tx, rx) = mpsc::channel();
        let th_shared = shared.clone();
        let file = wandb_file.to_path_buf();
        let dispatch = crate::diag::current_dispatch();
        let thread = std::thread::Builder::new()
            .name("wandb-online".into())
            .spawn(move || {
                let _log = tracing::dispatcher::set_default(&dispatch);
                crate::background::lower_priority();
                let out = run_loop(engine, &file, &th_shared, &opts);
                let _ = tx.send(out);
            })
            .map_err(|e| OnlineError::Thread(e.to_string()))?;
        Ok(LiveSync {
            shared,
            stop_poll,
            client,
            entity,
            done: rx,
            thread: Some(thread),
            resumed,
            wandb_file: wandb_file.to_path_buf(),
        })
    }
}

impl LiveSync {
    /// The client talking to the server (for requests made on the caller's
    /// behalf, e.g. `use_artifact`).
    pub fn client(&self) -> Arc<Client> {
        self.client.clone()
    }

    /// The entity the run is uploaded to.
    pub fn entity(&self) -> &str {
        &self.entity
    }

    /// The run the server already had (`resume` set and the run found).
    pub fn resumed(&self) -> Option<&ServerRun> {
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
    /// run, giving up after `timeout` (saturating: `Duration::MAX` waits as
    /// long as it takes): see [`LiveSync::finish_by`].
    pub fn finish(self, timeout: Duration) -> Result<SyncReport> {
        self.finish_by(crate::duration::deadline_after(timeout))
    }

    /// Uploads the rest (the exit record must be on disk) and completes the
    /// run, returning by `deadline` at the latest: the report says what is
    /// unsent; the run directory keeps everything for `wandb-rs sync`.
    /// Requests stop [`FINISH_MARGIN`] before the deadline so the upload
    /// thread can report in time; if it still has not, the report counts
    /// the unacknowledged part of the file as unsent and the thread is left
    /// to stop on its own.
    pub fn finish_by(mut self, deadline: Instant) -> Result<SyncReport> {
        drop(self.stop_poll.take());
        let now = Instant::now();
        let margin = FINISH_MARGIN.min(deadline.saturating_duration_since(now) / 4);
        let requests_until = deadline.checked_sub(margin).unwrap_or(deadline).max(now);
        self.client.deadline.set(requests_until);
        {
            let mut s = self.shared.signal.lock();
            s.finishing = true;
            self.shared.cv.notify_one();
        }
        match self
            .done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok((result, report)) => {
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
                match result {
                    Ok(()) | Err(OnlineError::Unreachable { .. }) => Ok(report),
                    Err(e) => Err(e),
                }
            }
            Err(_) => {
                // Detached: it stops at its next request (the deadline passed).
                drop(self.thread.take());
                Ok(self.cut_short_report())
            }
        }
    }

    /// What is unsent when the upload thread did not report by the deadline:
    /// the unread part of the file, the summary and the completion (lines
    /// read but unacknowledged are not counted: the thread still has them).
    fn cut_short_report(&self) -> SyncReport {
        let read = self.progress().bytes_read;
        let file_len = std::fs::metadata(&self.wandb_file).map_or(0, |m| m.len());
        let mut report = SyncReport::default();
        report.unsent.unread_bytes = file_len.saturating_sub(read);
        report.unsent.summary = true;
        report.unsent.completion = true;
        report
    }
}

/// How long before its deadline [`LiveSync::finish_by`] stops sending
/// requests (at most a quarter of the time left), so the upload thread has
/// time to answer with its report.
pub const FINISH_MARGIN: Duration = Duration::from_millis(150);

impl Drop for LiveSync {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // not finished: stop soon, leaving the rest for `sync`
            self.client
                .deadline
                .set(crate::duration::deadline_after(Duration::from_secs(1)));
            let mut s = self.shared.signal.lock();
            s.finishing = true;
            self.shared.cv.notify_one();
        }
    }
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
