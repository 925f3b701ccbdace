//! The `file_stream` side of the engine: when a request is due, and the
//! request bodies built from the heads of the history/events/console
//! streams plus the summary, within the size limit.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value as JValue;

use super::{Engine, Mode, STREAM_NAMES};
use crate::json::write_str;
use crate::online::error::Result;
use crate::proto::files_item::PolicyType;

impl Engine {
    /// True when a file_stream request is due (live batching).
    pub fn flush_due(&self) -> bool {
        if !self.started {
            return false;
        }
        let has_data = self.pending_bytes > 0 || self.state.summary_dirty;
        let elapsed = self.last_send.elapsed();
        (has_data && elapsed >= self.cfg.interval)
            || self.pending_bytes >= self.cfg.max_request_bytes
            || elapsed >= self.cfg.heartbeat
    }

    /// When the next request would be due.
    pub fn next_due(&self) -> Duration {
        let elapsed = self.last_send.elapsed();
        let target = if self.pending_bytes > 0 || self.state.summary_dirty {
            self.cfg.interval
        } else {
            self.cfg.heartbeat
        };
        target.saturating_sub(elapsed)
    }

    /// Sends pending lines (several requests if they exceed the size limit);
    /// a heartbeat `{}` if nothing is pending. Config changes go out with
    /// UpsertBucket first.
    pub fn flush(&mut self) -> Result<()> {
        if !self.started {
            return Ok(());
        }
        if self.cfg.mode == Mode::Live {
            if self.state.config_dirty {
                self.upsert_config()?;
            }
            // run files are uploaded while the run is live rather than all
            // at the end: new ones unless their policy is `end`, and `live`
            // ones again when they changed (see saved_files)
            let new: Vec<String> = self
                .state
                .files
                .iter()
                .filter(|f| {
                    let fresh = !self.uploaded.contains(*f)
                        && self.saved.policy(f) != PolicyType::End
                        && self.files_dir.join(f).is_file();
                    fresh || self.saved.live_changed(f, &self.files_dir)
                })
                .cloned()
                .collect();
            self.upload_names(new)?;
        }
        self.flush_lines()
    }

    pub(super) fn flush_lines(&mut self) -> Result<()> {
        if self.pending_bytes == 0 && !self.state.summary_dirty && !self.state.preempting {
            if self.cfg.mode == Mode::Live && self.last_send.elapsed() >= self.cfg.heartbeat {
                let text =
                    self.client
                        .file_stream(&self.entity, &self.project, &self.run_id, b"{}")?;
                self.last_send = Instant::now();
                if text.get("stopped").and_then(JValue::as_bool) == Some(true) {
                    self.stopped.store(true, Ordering::SeqCst);
                }
            }
            return Ok(());
        }
        loop {
            let body = self.build_body(None);
            self.send_body(&body)?;
            self.state.preempting = false;
            if self.pending_bytes == 0 {
                return Ok(());
            }
        }
    }

    /// Builds a request body from the head of every stream (up to the size
    /// limit) plus the summary; `fin` adds `uploaded`/`complete`/`exitcode`.
    pub(super) fn build_body(&self, fin: Option<(&[String], i32)>) -> (String, [usize; 3], bool) {
        let mut out =
            String::with_capacity(self.pending_bytes.min(self.cfg.max_request_bytes) + 256);
        out.push_str("{\"files\":{");
        let mut counts = [0usize; 3];
        let mut first_file = true;
        let mut budget = self.cfg.max_request_bytes;
        for (i, s) in self.streams.iter().enumerate() {
            if s.lines.is_empty() {
                continue;
            }
            if !first_file {
                out.push(',');
            }
            first_file = false;
            write_str(STREAM_NAMES[i], &mut out);
            out.push_str(&format!(":{{\"offset\":{},\"content\":[", s.offset));
            for (j, line) in s.lines.iter().enumerate() {
                if j > 0 && line.len() + 8 > budget {
                    break;
                }
                if j > 0 {
                    out.push(',');
                }
                write_str(line, &mut out);
                budget = budget.saturating_sub(line.len() + 8);
                counts[i] += 1;
            }
            out.push_str("]}");
        }
        let with_summary = self.state.summary_dirty || fin.is_some();
        if with_summary {
            if !first_file {
                out.push(',');
            }
            out.push_str("\"wandb-summary.json\":{\"offset\":0,\"content\":[");
            write_str(&self.state.summary_json(), &mut out);
            out.push_str("]}");
        }
        out.push('}');
        if self.state.preempting {
            out.push_str(",\"preempting\":true");
        }
        let all_sent = counts
            .iter()
            .zip(&self.streams)
            .all(|(c, s)| *c == s.lines.len());
        if let Some((uploaded, code)) = fin.filter(|_| all_sent) {
            out.push_str(",\"uploaded\":");
            out.push_str(&serde_json::to_string(uploaded).unwrap_or_else(|_| "[]".into()));
            // a writer without `x_update_finish_state` leaves the run's state alone
            if self.cfg.writer.update_finish_state {
                out.push_str(&format!(",\"complete\":true,\"exitcode\":{code}"));
            }
        }
        out.push('}');
        (out, counts, with_summary)
    }

    pub(super) fn send_body(&mut self, body: &(String, [usize; 3], bool)) -> Result<JValue> {
        let (text, counts, with_summary) = body;
        let answer =
            self.client
                .file_stream(&self.entity, &self.project, &self.run_id, text.as_bytes())?;
        for (i, n) in counts.iter().enumerate() {
            for _ in 0..*n {
                if let Some(l) = self.streams[i].lines.pop_front() {
                    self.pending_bytes = self.pending_bytes.saturating_sub(l.len() + 8);
                }
            }
            self.streams[i].offset += n;
            self.sent[i] += n;
        }
        if *with_summary {
            self.state.summary_dirty = false;
        }
        self.last_send = Instant::now();
        if answer.get("stopped").and_then(JValue::as_bool) == Some(true) {
            self.stopped.store(true, Ordering::SeqCst);
        }
        Ok(answer)
    }
}
