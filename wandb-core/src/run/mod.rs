//! [`Run`]: the handle users log through; [`init`] starts one (start.rs).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::media::RunInfo;
use crate::metric::MetricDefinition;
use crate::proto::record::RecordType;
use crate::queue::{PushError, Queue};
use crate::row::IntoRow;
use crate::settings::{OverflowPolicy, Settings, StepPolicy};
use crate::value::Map;
use crate::worker::Msg;

mod accessors;
mod artifacts;
mod finish;
mod log_code;
mod log_options;
mod meta;
mod models;
mod records;
mod resume;
mod save;
mod start;
mod update;

pub(crate) use artifacts::wait_uploaded;
use finish::finish_shared;
pub use finish::FinishReport;
pub use log_code::CodeOptions;
pub use log_options::LogOptions;
pub use save::SavePolicy;
pub use update::AlertLevel;

pub use accessors::{Config, Summary};
pub use start::{init, init_with_sink};

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
    /// False for runs writing to a record sink: no run directory exists.
    on_disk: bool,
    queue: Option<Arc<Queue>>,
    state: Mutex<CallerState>,
    start: Instant,
    dropped_rows: std::sync::atomic::AtomicU64,
    config: Mutex<Map>,
    /// Config keys set by a sweep: later updates of them are ignored.
    locked: Vec<String>,
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
