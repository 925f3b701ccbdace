//! Where captured console bytes go: finished lines are appended to
//! `files/output.log` at once (unbuffered, so they survive a crash of the
//! program) and handed to a [`ConsoleSink`] as `output_raw` records.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use parking_lot::Mutex;

use super::render::{Line, LineRenderer};
use crate::proto;
use crate::proto::output_raw_record::OutputType;

/// A console stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Standard output (fd 1).
    Stdout,
    /// Standard error (fd 2).
    Stderr,
}

impl Stream {
    fn output_type(self) -> OutputType {
        match self {
            Stream::Stdout => OutputType::Stdout,
            Stream::Stderr => OutputType::Stderr,
        }
    }
}

/// Receives the `output_raw` records of captured lines. Implemented for the
/// run's weak handle; tests collect them in a vector or channel.
pub trait ConsoleSink: Send + Sync + 'static {
    /// Hands over one record; `false` when the run is gone.
    fn emit(&self, record: proto::OutputRawRecord) -> bool;
}

impl<F> ConsoleSink for F
where
    F: Fn(proto::OutputRawRecord) -> bool + Send + Sync + 'static,
{
    fn emit(&self, record: proto::OutputRawRecord) -> bool {
        self(record)
    }
}

struct State {
    stdout: LineRenderer,
    stderr: LineRenderer,
    file: Option<File>,
    lines: u64,
}

/// Renders console bytes into lines and records them (see the module docs).
/// Feeding is serialised by a mutex, so lines of both streams interleave
/// whole in `output.log`.
pub struct ConsoleLog {
    state: Mutex<State>,
    sink: Box<dyn ConsoleSink>,
}

impl ConsoleLog {
    /// Appends to `output_log` (created if needed) and emits to `sink`.
    pub fn open(output_log: &Path, sink: impl ConsoleSink) -> std::io::Result<Self> {
        if let Some(dir) = output_log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(output_log)?;
        Ok(Self::with_file(Some(file), sink))
    }

    /// A log that only emits records (no `output.log`).
    pub fn records_only(sink: impl ConsoleSink) -> Self {
        Self::with_file(None, sink)
    }

    fn with_file(file: Option<File>, sink: impl ConsoleSink) -> Self {
        Self {
            state: Mutex::new(State {
                stdout: LineRenderer::new(),
                stderr: LineRenderer::new(),
                file,
                lines: 0,
            }),
            sink: Box::new(sink),
        }
    }

    /// Feeds bytes read from `stream`.
    pub fn feed(&self, stream: Stream, bytes: &[u8]) {
        let mut st = self.state.lock();
        let mut lines = Vec::new();
        match stream {
            Stream::Stdout => st.stdout.feed(bytes, &mut |l| lines.push(l)),
            Stream::Stderr => st.stderr.feed(bytes, &mut |l| lines.push(l)),
        }
        self.write_lines(&mut st, stream, lines);
    }

    /// Records the unfinished last line of each stream (at finish).
    pub fn finish(&self) {
        let mut st = self.state.lock();
        for stream in [Stream::Stdout, Stream::Stderr] {
            let partial = match stream {
                Stream::Stdout => st.stdout.take_partial(),
                Stream::Stderr => st.stderr.take_partial(),
            };
            if let Some(l) = partial {
                self.write_lines(&mut st, stream, vec![l]);
            }
        }
    }

    /// Number of lines recorded so far.
    pub fn lines(&self) -> u64 {
        self.state.lock().lines
    }

    fn write_lines(&self, st: &mut State, stream: Stream, lines: Vec<Line>) {
        if lines.is_empty() {
            return;
        }
        st.lines += lines.len() as u64;
        if let Some(f) = st.file.as_mut() {
            let mut text = String::new();
            for l in &lines {
                text.push_str(&l.plain);
                text.push('\n');
            }
            if let Err(e) = f.write_all(text.as_bytes()) {
                tracing::warn!("console capture: cannot write output.log: {e}");
                st.file = None;
            }
        }
        let at = crate::system::sample_timestamp(SystemTime::now());
        for l in lines {
            let mut line = l.styled;
            line.push('\n');
            let rec = proto::OutputRawRecord {
                output_type: stream.output_type() as i32,
                timestamp: Some(at),
                line,
                ..Default::default()
            };
            if !self.sink.emit(rec) {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn lines_go_to_output_log_and_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("files/output.log");
        let recs = Arc::new(Mutex::new(Vec::new()));
        let r2 = Arc::clone(&recs);
        let log = ConsoleLog::open(&path, move |r: proto::OutputRawRecord| {
            r2.lock().push(r);
            true
        })
        .unwrap();
        log.feed(Stream::Stdout, b"hello from the minimal run\nloading\r");
        log.feed(Stream::Stderr, b"warn\n");
        log.feed(Stream::Stdout, b"\rloaded 100%");
        log.finish();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "hello from the minimal run\nwarn\nloaded 100%\n"
        );
        let recs = recs.lock();
        let got: Vec<(i32, &str)> = recs
            .iter()
            .map(|r| (r.output_type, r.line.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "hello from the minimal run\n"),
                (0, "warn\n"),
                (1, "loaded 100%\n")
            ]
        );
        assert!(recs[0].timestamp.is_some());
        assert_eq!(log.lines(), 3);
    }
}
