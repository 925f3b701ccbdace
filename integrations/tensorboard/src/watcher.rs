//! [`sync`]: follows a TensorBoard log directory while training runs and
//! mirrors every event into a W&B run, as `wandb.init(sync_tensorboard=True)`
//! does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{bounded, select, Receiver, Sender};
use notify::Watcher as _;
use wandb_core::proto::{self as wproto, record::RecordType};
use wandb_core::{Run, WeakRun};

use crate::error::{Error, Result};
use crate::group::StepGrouper;
use crate::proto::Event;
use crate::reader::{is_event_file_name, EventFileReader};

/// How [`sync_with`] follows the log directory.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Rescan interval when file-system notifications work (they can miss
    /// events on network file systems): default 2 s (at least 1 ms).
    pub poll_interval: Duration,
    /// Rescan interval when notifications are unavailable: default 500 ms
    /// (at least 1 ms).
    pub fallback_poll_interval: Duration,
    /// Save the event files with the run (copied to `files/<relative path>`
    /// at the end, with a `files` record of policy END): default true.
    pub save: bool,
    /// Use file-system notifications (the `notify` crate): default true.
    pub use_notify: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            poll_interval: Duration::from_secs(2),
            fallback_poll_interval: Duration::from_millis(500),
            save: true,
            use_notify: true,
        }
    }
}

enum Ctl {
    /// Read what is there now, then answer.
    Drain(Sender<()>),
    /// Read everything, end the pending rows, save the files, answer and stop.
    Stop(Sender<()>),
}

/// Counters of a running sync.
#[derive(Debug, Default)]
struct Counters {
    rows: AtomicU64,
    files: AtomicU64,
    passes: AtomicU64,
    corrupt: AtomicU64,
}

/// A running TensorBoard sync (see [`sync`]). Dropping it does not stop the
/// sync: it goes on until the run finishes (or [`TensorBoardSync::stop`]).
#[derive(Debug)]
pub struct TensorBoardSync {
    root: PathBuf,
    ctl: Sender<Ctl>,
    counters: Arc<Counters>,
    timeout: Duration,
}

impl TensorBoardSync {
    /// The log directory being followed.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads everything written so far (rows whose step may still get more
    /// events stay pending) and returns once it is logged to the run.
    pub fn drain(&self) -> Result<()> {
        let (tx, rx) = bounded(1);
        if self.ctl.send(Ctl::Drain(tx)).is_err() {
            return Ok(()); // already stopped
        }
        rx.recv_timeout(self.timeout)
            .map_err(|_| self.timeout_error())
    }

    /// Reads everything, logs the pending rows, saves the event files and
    /// stops following the directory. The run's `finish()` does this too.
    pub fn stop(self) -> Result<()> {
        stop(&self.ctl, self.timeout).map_err(|_| self.timeout_error())
    }

    /// History rows logged so far.
    pub fn rows_logged(&self) -> u64 {
        self.counters.rows.load(Ordering::Relaxed)
    }

    /// Event files found so far.
    pub fn files_found(&self) -> u64 {
        self.counters.files.load(Ordering::Relaxed)
    }

    /// How many times the directory has been scanned and read (a
    /// diagnostic: it grows with file activity and the poll interval, not
    /// with time spent idle).
    pub fn passes(&self) -> u64 {
        self.counters.passes.load(Ordering::Relaxed)
    }

    /// Corrupt records skipped so far (each is also logged as a warning).
    pub fn corrupt_records(&self) -> u64 {
        self.counters.corrupt.load(Ordering::Relaxed)
    }

    fn timeout_error(&self) -> Error {
        Error::Watch {
            path: self.root.clone(),
            reason: format!("the sync thread did not answer within {:?}", self.timeout),
        }
    }
}

fn stop(ctl: &Sender<Ctl>, timeout: Duration) -> std::result::Result<(), ()> {
    let (tx, rx) = bounded(1);
    if ctl.send(Ctl::Stop(tx)).is_err() {
        return Ok(()); // already stopped
    }
    rx.recv_timeout(timeout).map(|_| ()).map_err(|_| ())
}

/// Follows `logdir` (and every subdirectory, including ones created later)
/// and mirrors each `events.out.tfevents.*` file into `run`, as the
/// official client does with `sync_tensorboard=True`:
///
/// - consecutive events of one file with the same step become one history
///   row (its own W&B step) with `global_step` = the TensorBoard step and
///   `_timestamp` = the event's `wall_time`;
/// - keys are `<namespace>/<tag>`, the namespace being the file's directory
///   relative to `logdir` (`logdir/train/...` gives `train/loss`; files
///   directly in `logdir` give `loss`);
/// - scalars, histograms (at most 512 bins), images and PR curves are
///   converted (see [`crate::convert`]);
/// - a `tbrecord` is written for each log directory, and each event file is
///   saved with the run (`files/<relative path>`, policy END).
///
/// The directory is created if missing. The sync stops on `run.finish()`
/// after reading everything written until then.
///
/// ```no_run
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("demo"))?;
/// let _tb = wandb_tensorboard::sync(&run, "runs/exp1")?;
/// let writer = wandb_tensorboard::SummaryWriter::new("runs/exp1/train")?;
/// writer.add_scalar("loss", 0.5, 1)?;
/// writer.flush()?;
/// run.finish()?; // drains the log directory first
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sync(run: &Run, logdir: impl AsRef<Path>) -> Result<TensorBoardSync> {
    sync_with(run, logdir, SyncOptions::default())
}

/// Starts the sync asked for by `Settings::sync_tensorboard`
/// (`InitOptions::sync_tensorboard(dir)`, `WANDB_SYNC_TENSORBOARD`), if any.
pub fn sync_from_settings(run: &Run) -> Result<Option<TensorBoardSync>> {
    match run.settings().sync_tensorboard.clone() {
        Some(dir) if !run.is_disabled() => sync(run, dir).map(Some),
        _ => Ok(None),
    }
}

/// [`sync`] with options.
pub fn sync_with(
    run: &Run,
    logdir: impl AsRef<Path>,
    opts: SyncOptions,
) -> Result<TensorBoardSync> {
    let given = logdir.as_ref();
    std::fs::create_dir_all(given)
        .map_err(|e| Error::io("cannot create TensorBoard log directory", given, e))?;
    let root = given
        .canonicalize()
        .map_err(|e| Error::io("cannot resolve TensorBoard log directory", given, e))?;
    let (fs_tx, fs_rx) = bounded::<()>(1);
    let mut watcher = None;
    if opts.use_notify {
        let made = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if res.as_ref().map_or(true, is_change) {
                let _ = fs_tx.try_send(()); // a full channel already means "look again"
            }
        })
        .and_then(|mut w| w.watch(&root, notify::RecursiveMode::Recursive).map(|_| w));
        match made {
            Ok(w) => watcher = Some(w),
            Err(e) => {
                tracing::warn!(dir = %root.display(), "tensorboard: file notifications unavailable ({e}); polling instead")
            }
        }
    }
    // at least 1 ms: a zero interval would rescan in a busy loop
    let poll = if watcher.is_some() {
        opts.poll_interval
    } else {
        opts.fallback_poll_interval
    }
    .max(Duration::from_millis(1));
    let (ctl_tx, ctl_rx) = bounded::<Ctl>(4);
    let counters = Arc::new(Counters::default());
    let state = State {
        root: root.clone(),
        files_dir: run.files_dir().to_path_buf(),
        save: opts.save,
        files: BTreeMap::new(),
        log_dirs: Vec::new(),
        counters: counters.clone(),
        event: Event::default(),
    };
    let weak = run.downgrade();
    let timeout = run.settings().finish_timeout;
    let handle = std::thread::Builder::new()
        .name("wandb-tensorboard".into())
        .spawn(move || {
            let _watcher = watcher; // dropped (unwatched) when the thread ends
            thread_main(weak, state, ctl_rx, fs_rx, poll);
        })
        .map_err(|e| Error::Watch {
            path: root.clone(),
            reason: format!("cannot start the sync thread: {e}"),
        })?;
    let thread_id = handle.thread().id();
    let hook_ctl = ctl_tx.clone();
    run.on_finish_until(move |deadline| {
        // On our own thread (it dropped the last Run handle) we cannot wait
        // for ourselves: the thread sees the run gone and stops. Waits until
        // the run's finish deadline at most.
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if std::thread::current().id() != thread_id && stop(&hook_ctl, left).is_err() {
            tracing::warn!("tensorboard: the sync did not finish within finish_timeout ({timeout:?}); some events may be missing");
        }
    });
    Ok(TensorBoardSync {
        root,
        ctl: ctl_tx,
        counters,
        timeout,
    })
}

/// Whether a notification can mean new data. Opening and reading (which our
/// own scans do) are ignored, or each scan would wake the next one.
fn is_change(ev: &notify::Event) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

fn thread_main(
    weak: WeakRun,
    mut state: State,
    ctl: Receiver<Ctl>,
    fs: Receiver<()>,
    poll: Duration,
) {
    // First look at what is already there.
    if !with_run(&weak, |run| state.pass(run, false)) {
        return;
    }
    loop {
        let msg = select! {
            recv(ctl) -> m => match m {
                Ok(m) => Some(m),
                Err(_) => return,
            },
            recv(fs) -> _ => None,
            default(poll) => None,
        };
        match msg {
            None => {
                if !with_run(&weak, |run| state.pass(run, false)) {
                    return;
                }
            }
            Some(Ctl::Drain(reply)) => {
                let alive = with_run(&weak, |run| state.pass(run, false));
                let _ = reply.send(());
                if !alive {
                    return;
                }
            }
            Some(Ctl::Stop(reply)) => {
                with_run(&weak, |run| {
                    state.pass(run, true);
                    state.save_files();
                });
                let _ = reply.send(());
                return;
            }
        }
    }
}

/// Runs `f` with the run if it still exists; false when it is gone.
fn with_run(weak: &WeakRun, f: impl FnOnce(&Run)) -> bool {
    match weak.upgrade() {
        Some(run) => {
            f(&run);
            true
        }
        None => false,
    }
}

struct FileState {
    reader: EventFileReader,
    grouper: StepGrouper,
    /// Path relative to the root, `/`-separated.
    rel: String,
}

struct State {
    root: PathBuf,
    files_dir: PathBuf,
    save: bool,
    files: BTreeMap<PathBuf, FileState>,
    log_dirs: Vec<PathBuf>,
    counters: Arc<Counters>,
    event: Event,
}

fn rel_string(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

impl State {
    /// Finds new event files (and log directories) under the root.
    fn scan(&mut self, run: &Run) {
        let mut stack = vec![self.root.clone()];
        let mut found = Vec::new();
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(ft) = entry.file_type() else { continue };
                let path = entry.path();
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file()
                    && is_event_file_name(&entry.file_name().to_string_lossy())
                    && !self.files.contains_key(&path)
                {
                    found.push(path);
                }
            }
        }
        found.sort();
        for path in found {
            let reader = match EventFileReader::open(&path) {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!("tensorboard: {e}; will retry");
                    continue;
                }
            };
            let dir = path.parent().unwrap_or(&self.root).to_path_buf();
            if !self.log_dirs.contains(&dir) {
                let _ = run.emit_record(RecordType::Tbrecord(wproto::TbRecord {
                    log_dir: dir.to_string_lossy().into_owned(),
                    save: self.save,
                    root_dir: self.root.to_string_lossy().into_owned(),
                    ..Default::default()
                }));
                self.log_dirs.push(dir.clone());
            }
            let rel = rel_string(&path, &self.root);
            if self.save {
                let _ = run.emit_record(RecordType::Files(wproto::FilesRecord {
                    files: vec![wproto::FilesItem {
                        path: rel.clone(),
                        policy: wproto::files_item::PolicyType::End as i32,
                        ..Default::default()
                    }],
                    info: None,
                }));
            }
            let namespace = rel_string(&dir, &self.root);
            self.counters.files.fetch_add(1, Ordering::Relaxed);
            self.files.insert(
                path,
                FileState {
                    reader,
                    grouper: StepGrouper::new(namespace),
                    rel,
                },
            );
        }
    }

    /// Reads every file to its current end and logs the finished rows; with
    /// `last`, also the pending ones.
    fn pass(&mut self, run: &Run, last: bool) {
        self.counters.passes.fetch_add(1, Ordering::Relaxed);
        self.scan(run);
        let counters = &self.counters;
        for f in self.files.values_mut() {
            loop {
                match f.reader.next_event_into(&mut self.event) {
                    Ok(true) => {
                        if let Some(row) = f.grouper.push(&self.event) {
                            log_row(run, row, counters);
                        }
                    }
                    Ok(false) => break,
                    Err(e @ Error::CorruptRecord { .. }) => {
                        counters.corrupt.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!("tensorboard: {e}");
                    }
                    Err(e) => {
                        tracing::warn!("tensorboard: {e}");
                        break;
                    }
                }
            }
            if last {
                if let Some(row) = f.grouper.finish() {
                    log_row(run, row, counters);
                }
                if f.reader.pending_bytes() > 0 {
                    tracing::warn!(
                        file = %f.reader.path().display(),
                        bytes = f.reader.pending_bytes(),
                        "tensorboard: the last record of the file is incomplete and was not read"
                    );
                }
            }
        }
    }

    /// Copies the event files to `files/<relative path>` (their `files`
    /// records, policy END, were written when they were found).
    fn save_files(&self) {
        if !self.save {
            return;
        }
        for (path, f) in &self.files {
            let dest = self.files_dir.join(&f.rel);
            let copied = dest
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|_| std::fs::copy(path, &dest));
            if let Err(e) = copied {
                tracing::warn!(
                    "tensorboard: cannot save {} as {}: {e}",
                    path.display(),
                    dest.display()
                );
            }
        }
    }
}

fn log_row(run: &Run, row: crate::group::TbRow, counters: &Counters) {
    match run.log(row.into_row()) {
        Ok(()) => {
            counters.rows.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => tracing::warn!("tensorboard: cannot log a row: {e}"),
    }
}
