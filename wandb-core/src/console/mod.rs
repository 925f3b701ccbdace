//! Console capture (setting `console`, env `WANDB_CONSOLE`): what the
//! program writes to stdout and stderr goes to `files/output.log` and to
//! `output_raw` records, and still reaches the terminal unchanged.
//!
//! - **Unix** (Linux, macOS, BSDs): fds 1 and 2 are redirected through a pipe
//!   — or a pseudo-terminal when the original is a terminal, so `isatty`,
//!   colours and progress bars (indicatif, burn's TUI) behave as before —
//!   and reader threads tee every byte to the original fd. Everything is
//!   captured: `println!`, `eprintln!`, C libraries, child processes, any
//!   thread. `console = auto` (the default) turns it on.
//! - **Windows and other platforms**: not implemented; `auto` means off and
//!   `redirect` logs a warning and stays off.
//!
//! `output.log` holds lines as a terminal shows them: a `\r`-redrawn progress
//! bar becomes one line with its final state, escape sequences are removed.
//! Each line is written to the file as soon as it is complete (it survives a
//! crash of the program) and becomes one `output_raw` record (colour codes
//! kept). [`flush_active`] — called by `Run::flush` — waits until every byte
//! written so far is recorded; a panic hook does the same, so a panic
//! message is not lost even with `panic = "abort"`.

mod output;
mod render;
#[cfg(unix)]
mod unix;

pub use output::{ConsoleLog, ConsoleSink, Stream};
pub use render::{Line, LineRenderer};

use std::path::Path;
use std::sync::{Arc, Once};
use std::time::Duration;

use parking_lot::Mutex;

use crate::settings::Console;

/// How long [`ConsoleCapture::flush`] waits for the readers at most.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);
/// How long restoring waits for the readers to drain at most.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether console capture is available on this platform.
pub const SUPPORTED: bool = cfg!(unix);

/// Whether `mode` means "capture" on this platform (`auto` → on where
/// supported, `redirect` → on where supported, `off` → off).
pub fn enabled(mode: Console) -> bool {
    match mode {
        Console::Off => false,
        Console::Auto => SUPPORTED,
        Console::Redirect => {
            if !SUPPORTED {
                tracing::warn!(
                    "console = redirect is not supported on this platform; not capturing"
                );
            }
            SUPPORTED
        }
    }
}

struct Inner {
    log: Arc<ConsoleLog>,
    #[cfg(unix)]
    redirect: Mutex<Option<unix::Redirect>>,
}

/// An active console capture. Only one can be active in a process (fds 1
/// and 2 are process-wide); [`ConsoleCapture::start_into`] returns `None`
/// while another is active.
pub struct ConsoleCapture {
    inner: Arc<Inner>,
}

static ACTIVE: Mutex<Option<Arc<Inner>>> = Mutex::new(None);
static PANIC_HOOK: Once = Once::new();

impl ConsoleCapture {
    /// Starts capturing into `log`. `None` if capture is unsupported here,
    /// another capture is active, or the redirection failed (logged).
    pub fn start_into(log: ConsoleLog) -> Option<ConsoleCapture> {
        if !SUPPORTED {
            return None;
        }
        let mut active = ACTIVE.lock();
        if active.is_some() {
            tracing::warn!("console capture already active (another run?); not capturing twice");
            return None;
        }
        let log = Arc::new(log);
        #[cfg(unix)]
        let redirect = match unix::Redirect::start(Arc::clone(&log)) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("console capture disabled: cannot redirect stdout/stderr: {e}");
                return None;
            }
        };
        let inner = Arc::new(Inner {
            log,
            #[cfg(unix)]
            redirect: Mutex::new(Some(redirect)),
        });
        *active = Some(Arc::clone(&inner));
        drop(active);
        install_panic_hook();
        Some(ConsoleCapture { inner })
    }

    /// Starts capturing into `files_dir/output.log` and `sink`.
    pub fn start_to(files_dir: &Path, sink: impl ConsoleSink) -> Option<ConsoleCapture> {
        match ConsoleLog::open(&files_dir.join("output.log"), sink) {
            Ok(log) => Self::start_into(log),
            Err(e) => {
                tracing::warn!("console capture disabled: cannot open output.log: {e}");
                None
            }
        }
    }

    /// Waits (at most 2 s) until everything written to stdout/stderr so far
    /// is in `output.log` and handed to the sink.
    pub fn flush(&self) {
        #[cfg(unix)]
        if let Some(r) = self.inner.redirect.lock().as_ref() {
            r.flush(FLUSH_TIMEOUT);
        }
    }

    /// Restores stdout and stderr, drains what is left (waiting at most 2 s)
    /// and records the last unfinished lines. Idempotent.
    pub fn stop(&self) {
        self.stop_until(crate::duration::deadline_after(RESTORE_TIMEOUT));
    }

    /// [`ConsoleCapture::stop`], draining until `deadline` at most (and at
    /// most 2 s): a run's finish deadline.
    pub fn stop_until(&self, deadline: std::time::Instant) {
        {
            let mut active = ACTIVE.lock();
            if active.as_ref().is_some_and(|a| Arc::ptr_eq(a, &self.inner)) {
                *active = None;
            }
        }
        #[cfg(unix)]
        {
            let taken = self.inner.redirect.lock().take();
            if let Some(mut r) = taken {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                r.restore(left.min(RESTORE_TIMEOUT));
                self.inner.log.finish();
            }
        }
    }

    /// Lines recorded so far.
    pub fn lines(&self) -> u64 {
        self.inner.log.lines()
    }
}

impl Drop for ConsoleCapture {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for ConsoleCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleCapture")
            .field("lines", &self.lines())
            .finish()
    }
}

/// Flushes the active capture, if any (see [`ConsoleCapture::flush`]).
/// `Run::flush` calls it so that "flushed" includes console output.
pub fn flush_active() {
    let active = ACTIVE.lock().clone();
    if let Some(inner) = active {
        #[cfg(unix)]
        if let Some(r) = inner.redirect.lock().as_ref() {
            r.flush(FLUSH_TIMEOUT);
        }
        #[cfg(not(unix))]
        let _ = inner;
    }
}

/// After the previous hook printed the panic message, make sure it went
/// through the capture to the terminal and `output.log` before the process
/// can abort. Likewise at `exit()` (also `std::process::exit` and returning
/// from `main` with a run still alive): what was printed last reaches the
/// terminal before the process ends.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            prev(info);
            flush_active();
        }));
        #[cfg(unix)]
        {
            extern "C" fn at_exit() {
                flush_active();
            }
            // SAFETY: registers a plain function; it only flushes.
            unsafe { libc::atexit(at_exit) };
        }
    });
}

// ---- run integration -------------------------------------------------------

use crate::proto::record::RecordType;
use crate::{Run, Settings, WeakRun};

impl ConsoleSink for WeakRun {
    fn emit(&self, record: crate::proto::OutputRawRecord) -> bool {
        match self.upgrade() {
            Some(run) => run.emit_record(RecordType::OutputRaw(record)).is_ok(),
            None => false,
        }
    }
}

impl ConsoleCapture {
    /// Captures stdout/stderr into `run`'s `files/output.log` and
    /// `output_raw` records when `settings.console` asks for it on this
    /// platform (see [`enabled`]); an `on_finish` hook restores the streams
    /// before the exit record is written. `None` when off, unsupported, the
    /// run is disabled or gone, or another capture is active.
    pub fn start(run: WeakRun, settings: &Settings) -> Option<Arc<ConsoleCapture>> {
        if !enabled(settings.console) {
            return None;
        }
        let strong = run.upgrade()?;
        if strong.is_disabled() {
            return None;
        }
        // `output_<label>.log` for a labelled process (shared runs)
        let path = strong.files_dir().join(settings.console_file_name());
        let log = match ConsoleLog::open(&path, run) {
            Ok(log) => log,
            Err(e) => {
                tracing::warn!(
                    "console capture disabled: cannot open {}: {e}",
                    path.display()
                );
                return None;
            }
        };
        let cap = Arc::new(ConsoleCapture::start_into(log)?);
        let c = Arc::clone(&cap);
        strong.on_finish_until(move |deadline| c.stop_until(deadline));
        Some(cap)
    }
}

/// Starts console capture for a fresh run. Called by `init`.
pub(crate) fn attach(run: &Run) {
    let _ = ConsoleCapture::start(run.downgrade(), run.settings());
}
