//! [`Run`]: the handle users log through, and [`init`].

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::init::InitOptions;
use crate::media::RunInfo;
use crate::metric::MetricDefinition;
use crate::proto::{self, record::RecordType};
use crate::queue::{PushError, Queue};
use crate::row::{validate_key, IntoRow};
use crate::settings::{Mode, OverflowPolicy, Settings, StepPolicy};
use crate::store::{LogWriter, RecordBuffer};
use crate::value::Map;
use crate::worker::{self, Msg, WorkerSetup};
use crate::{environment, run_dir};

mod accessors;
mod finish;
mod log_options;
mod meta;
mod records;
mod resume;
mod save;
mod update;

use finish::finish_shared;
pub use finish::FinishReport;
pub use log_options::LogOptions;
pub use save::SavePolicy;
pub use update::AlertLevel;

pub use accessors::{Config, Summary};
use records::{random_writer_id, run_record, telemetry};

/// The version of wandb-rs written into the records.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A finish hook; it gets the deadline of the whole finish.
type Hook = Box<dyn FnOnce(Instant) + Send>;

struct CallerState {
    step: u64,
    finished: bool,
}

struct Shared {
    settings: Settings,
    info: RunInfo,
    dir: PathBuf,
    files_dir: PathBuf,
    wandb_file: PathBuf,
    queue: Option<Arc<Queue>>,
    state: Mutex<CallerState>,
    start: Instant,
    dropped_rows: std::sync::atomic::AtomicU64,
    config: Mutex<Map>,
    summary: Arc<Mutex<Map>>,
    hooks: Mutex<Vec<Hook>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Name and entity (meta.rs).
    meta: Mutex<meta::RunMeta>,
    /// `logs/debug.log` and `logs/debug-internal.log` (crate::diag).
    logs: crate::diag::RunLogs,
    /// Online mode: the uploader tailing the `.wandb` file (see crate::online).
    #[cfg(feature = "online")]
    live: Mutex<Option<crate::online::LiveSync>>,
}

/// The owner of a run: finishing happens when the last strong handle drops.
struct RunHandle {
    shared: Shared,
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        // Fallback: normally `Drop for Run` already finished the run while
        // hooks could still upgrade their `WeakRun`s.
        finish_on_drop(&self.shared);
    }
}

fn finish_on_drop(shared: &Shared) {
    let code = i32::from(std::thread::panicking());
    if let Err(e) = shared.logs.user(|| finish_shared(shared, code)) {
        if !matches!(e, Error::Finished) {
            tracing::error!(error = %e, "finishing the run on drop failed");
        }
    }
}

/// A W&B run. Cheap to clone, `Send + Sync`; all clones log to the same run.
/// The run finishes on [`Run::finish`] or when the last clone is dropped
/// (exit code 1 if the dropping thread is panicking).
#[derive(Clone)]
pub struct Run {
    inner: Arc<RunHandle>,
}

impl Drop for Run {
    fn drop(&mut self) {
        // The last user handle finishes the run *before* it is released, so
        // finish hooks (TensorBoard drain, system monitor) can still upgrade
        // their `WeakRun` and log what is left.
        if Arc::strong_count(&self.inner) == 1 && !self.inner.shared.state.lock().finished {
            finish_on_drop(&self.inner.shared);
        }
    }
}

/// A handle that does not keep the run alive; for background threads.
#[derive(Clone)]
pub struct WeakRun {
    inner: Weak<RunHandle>,
}

impl WeakRun {
    /// The run, if any strong handle still exists.
    pub fn upgrade(&self) -> Option<Run> {
        self.inner.upgrade().map(|inner| Run { inner })
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("id", &self.id())
            .field("dir", &self.dir())
            .finish()
    }
}

/// Starts a run.
///
/// ```no_run
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("demo"))?;
/// run.log(serde_json::json!({"loss": 0.5}))?;
/// run.finish()?;
/// # Ok::<(), wandb_core::Error>(())
/// ```
pub fn init(options: InitOptions) -> Result<Run> {
    let mut settings = options.resolve()?;
    let mut config = options.take_config()?;
    for k in config.keys() {
        validate_key(k, false)?;
    }
    if settings.mode == Mode::Online && !cfg!(feature = "online") {
        return Err(Error::Unsupported(
            "online mode needs the `online` feature of wandb-core (on by default in the wandb-rs facade); use Mode::Offline and sync later".into(),
        ));
    }
    // The run id and the `resume` setting, before anything is written (resume.rs).
    let begin = resume::begin(&mut settings)?;
    let run_id = begin.run_id.clone();
    let resumed = begin.resumed;
    if let Some(r) = &resumed {
        r.merge_config(&mut config);
    }
    let info = RunInfo {
        run_id: run_id.clone(),
        entity: settings.entity.clone().unwrap_or_default(),
        project: settings
            .project
            .clone()
            .unwrap_or_else(|| "uncategorized".into()),
        data_dir: settings.data_dir.clone(),
    };
    // A resumed run's clock starts its earlier runtime ago (resume.rs).
    let (start, shift) = resume::shifted_start(resumed.as_ref());
    let start_time = SystemTime::now();
    let since_epoch = start_time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(shift);
    let start_unix_ns = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);

    let (settings_name, settings_entity) = (settings.name.clone(), settings.entity.clone());
    if settings.mode == Mode::Disabled {
        let dir = settings
            .root_dir
            .join("wandb")
            .join(format!("disabled-run-{run_id}"));
        return Ok(Run::from_shared(Shared {
            files_dir: dir.join("files"),
            wandb_file: dir.join(format!("run-{run_id}.wandb")),
            dir,
            settings,
            info,
            queue: None,
            state: Mutex::new(CallerState {
                step: 0,
                finished: false,
            }),
            start,
            dropped_rows: Default::default(),
            config: Mutex::new(config),
            summary: Default::default(),
            hooks: Default::default(),
            worker: Default::default(),
            meta: Mutex::new(meta::RunMeta::new(settings_name, settings_entity)),
            logs: Default::default(),
            #[cfg(feature = "online")]
            live: Default::default(),
        }));
    }
    let rd = run_dir::create(&settings.root_dir, settings.mode, &run_id)?;
    let logs = crate::diag::RunLogs::open(&rd.dir, settings.api_key.iter().cloned().collect());
    let file = File::create(&rd.wandb_file)
        .map_err(|e| Error::io("cannot create the transaction log", &rd.wandb_file, e))?;
    let writer = LogWriter::new(RecordBuffer::new(file, 256 * 1024))
        .map_err(|e| Error::io("cannot write the transaction log", &rd.wandb_file, e))?;

    let writer_id = random_writer_id();
    let run_rec = run_record(&settings, &info, &config, start_time, resumed.as_ref())?;
    // A resumed run's stored summary is also written as a summary record:
    // the official tools read the summary from those, not from the run record.
    let resumed_summary = run_rec.summary.clone();
    let (rec_tags, rec_notes) = (run_rec.tags.clone(), run_rec.notes.clone());
    let mut initial = vec![
        RecordType::Header(proto::HeaderRecord {
            version_info: Some(proto::VersionInfo {
                producer: format!("wandb-rs {VERSION}"),
                min_consumer: "0.70.0".into(),
                info: None,
            }),
            info: None,
        }),
        RecordType::Run(run_rec),
        RecordType::Environment(environment::collect(&settings, start_time, &writer_id)),
        RecordType::Telemetry(telemetry(&settings, resumed.is_some())),
    ];
    initial.extend(resumed_summary.map(RecordType::Summary));
    // Online mode: validate the key and start tailing the log (crate::online).
    // The entity of the URLs: the setting or, online, the key's default.
    #[cfg(feature = "online")]
    let settings_entity = settings_entity.or_else(|| {
        begin
            .live
            .as_ref()
            .and_then(|l| l.viewer_entity().map(str::to_owned))
    });
    #[cfg(feature = "online")]
    let live = match begin.live {
        Some(prepared) => {
            Some(logs.internal(|| prepared.start(&settings, &rd.dir, &rd.wandb_file))?)
        }
        None => None,
    };
    #[cfg(feature = "online")]
    let on_flush: Option<Box<dyn Fn() + Send>> = live.as_ref().map(|l| {
        let n = l.notifier();
        Box::new(move || n.notify()) as Box<dyn Fn() + Send>
    });
    #[cfg(not(feature = "online"))]
    let on_flush: Option<Box<dyn Fn() + Send>> = None;
    let summary = Arc::new(Mutex::new(
        resumed
            .as_ref()
            .map(|r| r.summary.clone())
            .unwrap_or_default(),
    ));
    let queue = Arc::new(Queue::new(settings.queue_capacity));
    let handle = worker::spawn(
        WorkerSetup {
            writer,
            wandb_file: rd.wandb_file.clone(),
            files_dir: rd.files.clone(),
            info: info.clone(),
            start_unix_ns,
            flush_interval: settings.flush_interval,
            initial,
            summary_mirror: summary.clone(),
            on_flush,
            dispatch: logs.internal.clone(),
        },
        queue.clone(),
    )
    .map_err(|e| Error::Writer(format!("cannot start the writer thread: {e}")))?;

    let run = Run::from_shared(Shared {
        settings,
        info,
        dir: rd.dir,
        files_dir: rd.files,
        wandb_file: rd.wandb_file,
        queue: Some(queue),
        state: Mutex::new(CallerState {
            // a resumed run continues after the last stored step
            step: resumed.as_ref().map_or(0, |r| r.starting_step),
            finished: false,
        }),
        start,
        dropped_rows: Default::default(),
        config: Mutex::new(config),
        summary,
        hooks: Default::default(),
        worker: Mutex::new(Some(handle)),
        meta: Mutex::new(
            meta::RunMeta::new(settings_name, settings_entity).with_tags_notes(rec_tags, rec_notes),
        ),
        logs,
        #[cfg(feature = "online")]
        live: Mutex::new(live),
    });
    // As the official client: a run without a resume setting drops a stale
    // `auto` resume file.
    if run.settings().resume.is_none() {
        crate::resume::remove_auto_file(&resume::wandb_dir(run.settings()));
    }
    run.shared().logs.user(|| {
        tracing::info!(run_id = %run.id(), dir = %run.dir().display(), "run initialized");
        tracing::debug!(settings = ?run.settings(), "settings");
        // The header goes out before console capture starts: it is not in output.log.
        run.shared().print_header(resumed.is_some());
    });
    // System metrics + requirements.txt (system/), console capture (console/).
    run.shared().logs.internal(|| crate::system::attach(&run));
    crate::console::attach(&run);
    Ok(run)
}

impl Run {
    fn from_shared(shared: Shared) -> Run {
        Run {
            inner: Arc::new(RunHandle { shared }),
        }
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// The run id.
    pub fn id(&self) -> &str {
        &self.shared().info.run_id
    }

    /// The run directory (`.../wandb/offline-run-YYYYMMDD_HHMMSS-<id>`).
    pub fn dir(&self) -> &Path {
        &self.shared().dir
    }

    /// The run's `files/` directory.
    pub fn files_dir(&self) -> &Path {
        &self.shared().files_dir
    }

    /// The run's transaction log (`run-<id>.wandb`).
    pub fn wandb_file(&self) -> &Path {
        &self.shared().wandb_file
    }

    /// The resolved settings.
    pub fn settings(&self) -> &Settings {
        &self.shared().settings
    }

    /// Run id, entity and project.
    pub fn info(&self) -> &RunInfo {
        &self.shared().info
    }

    /// Whether the run is disabled (logs nothing).
    pub fn is_disabled(&self) -> bool {
        self.shared().queue.is_none()
    }

    /// True once the W&B server asked this run to stop (the "stop" button
    /// of the web UI; online mode only, see crate::online). The run keeps
    /// logging until the program finishes it; check this in a training loop
    /// to end early.
    pub fn stop_requested(&self) -> bool {
        #[cfg(feature = "online")]
        {
            self.shared()
                .live
                .lock()
                .as_ref()
                .is_some_and(|l| l.is_stopped())
        }
        #[cfg(not(feature = "online"))]
        {
            false
        }
    }

    /// The step the next committed row gets.
    pub fn current_step(&self) -> u64 {
        self.shared().state.lock().step
    }

    /// Rows dropped because the queue was full (only with
    /// [`OverflowPolicy::DropAndCount`]).
    pub fn dropped_rows(&self) -> u64 {
        self.shared()
            .dropped_rows
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Seconds since the run started.
    pub fn runtime(&self) -> Duration {
        self.shared().start.elapsed()
    }

    /// A handle that does not keep the run alive.
    pub fn downgrade(&self) -> WeakRun {
        WeakRun {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Logs a row at the current step and commits it (the step then
    /// advances). Returns as soon as the row is queued: no disk or network
    /// I/O happens on the caller's thread.
    ///
    /// ```no_run
    /// # let run = wandb_core::init(wandb_core::InitOptions::new())?;
    /// use wandb_core::row;
    /// run.log(serde_json::json!({"loss": 0.5, "nested": {"a": 1}}))?;
    /// run.log(row! {"loss" => f64::NAN, "acc" => 0.9f32})?;
    /// # Ok::<(), wandb_core::Error>(())
    /// ```
    pub fn log(&self, row: impl IntoRow) -> Result<()> {
        self.log_with(row, LogOptions::default())
    }

    /// Logs a row with an explicit step and/or without committing it.
    pub fn log_with(&self, row: impl IntoRow, options: LogOptions) -> Result<()> {
        let shared = self.shared();
        let Some(queue) = &shared.queue else {
            return Ok(());
        };
        let row = row.into_row()?;
        row.validate()?;
        let elapsed_ns = u64::try_from(shared.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut st = shared.state.lock();
        if st.finished {
            return Err(Error::Finished);
        }
        let step = match options.step {
            None => st.step,
            Some(s) if s < st.step => match shared.settings.step_decrease {
                StepPolicy::Error => {
                    return Err(Error::StepDecreased {
                        given: s,
                        current: st.step,
                    })
                }
                StepPolicy::Warn => {
                    shared.logs.user(|| {
                        tracing::warn!(
                            given = s,
                            current = st.step,
                            "row with a decreasing step dropped"
                        )
                    });
                    return Ok(());
                }
            },
            Some(s) => s,
        };
        let commit = options.commit.unwrap_or(options.step.is_none());
        let msg = Msg::Log {
            row,
            step,
            commit,
            elapsed_ns,
        };
        self.send_locked(queue, msg)?;
        st.step = if commit { step + 1 } else { step };
        Ok(())
    }

    fn send_locked(&self, queue: &Queue, msg: Msg) -> Result<()> {
        let shared = self.shared();
        let res = match shared.settings.overflow {
            OverflowPolicy::Block => queue.push(msg, false),
            OverflowPolicy::DropAndCount => queue.try_push(msg),
        };
        match res {
            Ok(()) => Ok(()),
            Err(PushError::Full) => {
                let dropped = shared
                    .dropped_rows
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    + 1;
                Err(Error::QueueFull {
                    capacity: queue.capacity(),
                    dropped,
                })
            }
            Err(PushError::Closed) => Err(writer_stopped()),
        }
    }

    /// Sends a control message (never dropped: waits for room) and wakes
    /// the writer for it.
    fn send(&self, msg: Msg) -> Result<()> {
        let shared = self.shared();
        let Some(queue) = &shared.queue else {
            return Ok(());
        };
        let st = shared.state.lock();
        if st.finished {
            return Err(Error::Finished);
        }
        let res = queue.push(msg, true).map_err(|_| writer_stopped());
        drop(st);
        res
    }

    /// The run config.
    pub fn config(&self) -> Config<'_> {
        Config { run: self }
    }

    /// The run summary.
    pub fn summary(&self) -> Summary<'_> {
        Summary { run: self }
    }

    /// Defines a metric (step metric, summary aggregate, goal, hidden).
    pub fn define_metric(&self, definition: MetricDefinition) -> Result<()> {
        if definition.name.is_empty() {
            return Err(Error::InvalidKey {
                key: String::new(),
                reason: "metric names must not be empty",
            });
        }
        self.send(Msg::Metric(Box::new(definition)))
    }

    /// Writes a record as is (for integrations: `tbrecord`, `stats`,
    /// `output_raw`, `files`, ...). It is written after everything queued before.
    pub fn emit_record(&self, record: RecordType) -> Result<()> {
        self.send(Msg::Record(Box::new(record)))
    }

    /// Registers a hook run at the start of `finish()`, before the exit
    /// record is written (integrations drain and stop there). Hooks may run
    /// on any thread, including one of yours holding an upgraded
    /// [`WeakRun`]: do not join your own thread from a hook.
    pub fn on_finish(&self, hook: impl FnOnce() + Send + 'static) {
        self.on_finish_until(move |_| hook());
    }

    /// Like [`Run::on_finish`], for a hook that waits for something: it gets
    /// a deadline and should return by then (`finish_timeout` after `finish`
    /// began, less up to 1 s, a quarter at most, left for the writer and the
    /// upload).
    pub fn on_finish_until(&self, hook: impl FnOnce(Instant) + Send + 'static) {
        self.shared().hooks.lock().push(Box::new(hook));
    }

    /// Waits until everything logged so far is written and flushed to disk.
    pub fn flush(&self) -> Result<()> {
        crate::console::flush_active(); // captured stdout/stderr first
        let (reply, rx) = crossbeam_channel::bounded(1);
        if self.shared().queue.is_none() {
            return Ok(());
        }
        self.send(Msg::Flush(reply))?;
        rx.recv_timeout(self.shared().settings.finish_timeout)
            .map_err(|_| Error::Writer("the writer thread did not answer".into()))
    }

    /// Finishes the run with exit code 0: writes the final summary and the
    /// exit record, flushes and, online, uploads the rest; all of it within
    /// `finish_timeout`. An upload cut short by the timeout is not an error
    /// (a warning on stderr says what is unsent and how to send it; see
    /// [`Run::finish_report`]); the last rows not reaching the disk in time
    /// is [`Error::FinishTimeout`].
    pub fn finish(&self) -> Result<()> {
        self.finish_with_exit_code(0)
    }

    /// Finishes the run with the given exit code (non-zero marks it failed).
    pub fn finish_with_exit_code(&self, exit_code: i32) -> Result<()> {
        self.finish_report(exit_code).map(|_| ())
    }

    /// [`Run::finish_with_exit_code`], returning what was done: how long it
    /// took and, online, what the upload left unsent
    /// ([`FinishReport::is_complete`], [`FinishReport::sync_command`]).
    pub fn finish_report(&self, exit_code: i32) -> Result<FinishReport> {
        let shared = self.shared();
        shared.logs.user(|| finish_shared(shared, exit_code))
    }
}

fn writer_stopped() -> Error {
    Error::Writer("the writer thread has stopped".into())
}
