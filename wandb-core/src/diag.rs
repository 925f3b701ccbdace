//! The run's diagnostics: what wandb-rs reports through `tracing` is also
//! written to the run directory, `logs/debug.log` for what happened on the
//! user's threads (`init`, `finish`, warnings of `log`) and
//! `logs/debug-internal.log` for the background threads (writer, online
//! upload, stop poller, system monitor), as the official client splits its
//! logs. The user's own subscriber (global default, or the
//! thread's default at `init`) still gets every event: [`Tee`] forwards
//! everything to it and copies wandb-rs events (targets `wandb*`, level
//! DEBUG and above) to the file. Secrets (the API key, `Authorization`
//! values) are replaced by `***` before anything is written.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// A subscriber that forwards to `inner` and copies wandb-rs events to a file.
pub struct Tee {
    inner: Dispatch,
    file: Mutex<File>,
    secrets: Arc<Vec<String>>,
}

/// Whether an event comes from wandb-rs (its crates' module paths).
fn ours(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("wandb") && *meta.level() <= Level::DEBUG
}

/// Replaces every secret in `text` by `***`, and the credentials of an
/// `Authorization` value.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 8 && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    for scheme in ["Basic ", "Bearer "] {
        let mut from = 0;
        while let Some(i) = out[from..].find(scheme) {
            let start = from + i + scheme.len();
            let end = out[start..]
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    out
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Tee {
    /// A tee to `path` (appended to) in front of `inner`.
    pub fn open(path: &Path, inner: Dispatch, secrets: Arc<Vec<String>>) -> std::io::Result<Tee> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Tee {
            inner,
            file: Mutex::new(file),
            secrets,
        })
    }

    fn write_event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.3f");
        let thread = std::thread::current();
        let mut line = format!(
            "{now} {:<5} [{}] {}:",
            meta.level(),
            thread.name().unwrap_or("?"),
            meta.target()
        );
        event.record(&mut Fields(&mut line));
        let mut line = scrub(&line, &self.secrets);
        line.push('\n');
        let _ = self.file.lock().write_all(line.as_bytes());
    }
}

impl Subscriber for Tee {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let inner = self.inner.register_callsite(meta);
        if ours(meta) {
            Interest::always()
        } else {
            inner
        }
    }
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        ours(meta) || self.inner.enabled(meta)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values)
    }
    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows)
    }
    fn event(&self, event: &Event<'_>) {
        if ours(event.metadata()) {
            self.write_event(event);
        }
        // (`Dispatch::event` applies the inner subscriber's `event_enabled`)
        if self.inner.enabled(event.metadata()) {
            self.inner.event(event);
        }
    }
    fn enter(&self, span: &Id) {
        self.inner.enter(span)
    }
    fn exit(&self, span: &Id) {
        self.inner.exit(span)
    }
    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }
    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }
}

/// The calling thread's default dispatcher, for a thread it starts (wandb-rs
/// background threads set it as theirs, so they log where their starter does).
pub fn current_dispatch() -> Dispatch {
    tracing::dispatcher::get_default(Dispatch::clone)
}

/// The two dispatchers of a run: user threads and background threads.
#[derive(Clone, Default)]
pub struct RunLogs {
    /// For the user's threads while inside wandb-rs (`logs/debug.log`).
    pub user: Option<Dispatch>,
    /// For the writer thread (`logs/debug-internal.log`).
    pub internal: Option<Dispatch>,
}

impl RunLogs {
    /// Opens both logs of `run_dir`, teeing into the subscriber that is the
    /// default on the calling thread now. Failures leave that log off.
    pub fn open(run_dir: &Path, secrets: Vec<String>) -> RunLogs {
        let inner = tracing::dispatcher::get_default(Dispatch::clone);
        let secrets = Arc::new(secrets);
        let open = |name: &str| match Tee::open(
            &run_dir.join("logs").join(name),
            inner.clone(),
            secrets.clone(),
        ) {
            Ok(t) => Some(Dispatch::new(t)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot open logs/{name}");
                None
            }
        };
        RunLogs {
            user: open("debug.log"),
            internal: open("debug-internal.log"),
        }
    }

    /// Runs `f` with the background-thread log as the thread's default:
    /// threads it starts through [`current_dispatch`] log there.
    pub fn internal<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.internal {
            Some(d) => tracing::dispatcher::with_default(d, f),
            None => f(),
        }
    }

    /// Runs `f` with the user-thread log as the thread's default.
    pub fn user<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.user {
            Some(d) => tracing::dispatcher::with_default(d, f),
            None => f(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_keys_and_authorization_values() {
        let key = "local-0123456789abcdef0123456789abcdef01234567".to_owned();
        let s = scrub(
            &format!("key {key} header=\"Basic dXNlcjprZXk=\" Bearer tok123 end"),
            &[key.clone(), "short".into()],
        );
        assert_eq!(s, "key *** header=\"Basic ***\" Bearer *** end");
        assert!(!s.contains(&key));
    }
}
