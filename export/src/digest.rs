//! A run's overview read from its records: state, exit code, config,
//! summary, last step and console tail, in the form of
//! `wandb leet inspect --summary --json`.

use std::path::Path;
use std::time::SystemTime;

use serde_json::{Map, Value as J};
use wandb_core::proto::{self, record::RecordType};

use crate::record_json::value_to_json;

/// How many of the last console lines the summary shows.
pub const CONSOLE_TAIL: usize = 20;

/// Without an exit record, a run whose file has not changed for this long
/// is reported as crashed (as the official reader does).
pub const CRASH_TIMEOUT_SECS: u64 = 600;

/// One console line.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleLine {
    /// The line, without its newline.
    pub line: String,
    /// `true` for standard error.
    pub stderr: bool,
    /// When its first part was written (RFC 3339, UTC).
    pub time: String,
}

/// What [`RunDigest::from_records`] gathers about a run.
#[derive(Debug, Clone, Default)]
pub struct RunDigest {
    /// Run id (empty without a run record).
    pub run_id: String,
    /// Display name.
    pub name: String,
    /// Entity.
    pub entity: String,
    /// Project.
    pub project: String,
    /// Notes.
    pub notes: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Start time (RFC 3339, UTC).
    pub start_time: Option<String>,
    /// Exit code of the exit record, if any.
    pub exit_code: Option<i32>,
    /// Highest history step, if any history row.
    pub step: Option<i64>,
    /// The final config (nested objects), without `_wandb`.
    pub config: Map<String, J>,
    /// The final summary (nested objects), without `_wandb`.
    pub summary: Map<String, J>,
    /// Every console line in order.
    pub console: Vec<ConsoleLine>,
}

#[derive(Default)]
struct PartialLine {
    text: String,
    time: Option<String>,
}

/// Folds records into a [`RunDigest`] one at a time.
#[derive(Default)]
pub struct DigestBuilder {
    d: RunDigest,
    config: Map<String, J>,
    summary: Map<String, J>,
    partial: [PartialLine; 2],
}

impl DigestBuilder {
    /// An empty digest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes a history row's step (for rows not passed to [`DigestBuilder::apply`]).
    pub fn note_step(&mut self, step: i64) {
        self.d.step = Some(self.d.step.map_or(step, |s| s.max(step)));
    }

    /// Folds one record in.
    pub fn apply(&mut self, record: &proto::Record) {
        let DigestBuilder {
            d,
            config,
            summary,
            partial,
        } = self;
        match &record.record_type {
            Some(RecordType::Run(run)) => {
                d.run_id = run.run_id.clone();
                d.name = run.display_name.clone();
                d.entity = run.entity.clone();
                d.project = run.project.clone();
                d.notes = run.notes.clone();
                d.tags = run.tags.clone();
                d.start_time = run
                    .start_time
                    .as_ref()
                    .filter(|t| t.seconds != 0 || t.nanos != 0)
                    .map(|t| rfc3339_nano(t.seconds, t.nanos));
                if let Some(c) = &run.config {
                    apply_items(
                        config,
                        c.update
                            .iter()
                            .map(|i| (&i.key, &i.nested_key, &i.value_json)),
                        c.remove.iter().map(|i| (&i.key, &i.nested_key)),
                    );
                }
            }
            Some(RecordType::Config(c)) => apply_items(
                config,
                c.update
                    .iter()
                    .map(|i| (&i.key, &i.nested_key, &i.value_json)),
                c.remove.iter().map(|i| (&i.key, &i.nested_key)),
            ),
            Some(RecordType::Summary(s)) => apply_items(
                summary,
                s.update
                    .iter()
                    .map(|i| (&i.key, &i.nested_key, &i.value_json)),
                s.remove.iter().map(|i| (&i.key, &i.nested_key)),
            ),
            Some(RecordType::History(h)) => {
                if let Some(step) = history_step(h) {
                    d.step = Some(d.step.map_or(step, |s| s.max(step)));
                }
            }
            Some(RecordType::OutputRaw(o)) => {
                let stderr = o.output_type == proto::output_raw_record::OutputType::Stderr as i32;
                let time = o
                    .timestamp
                    .as_ref()
                    .map(|t| rfc3339_nano(t.seconds, t.nanos))
                    .unwrap_or_else(|| rfc3339_nano(0, 0));
                let buf = &mut partial[usize::from(stderr)];
                for piece in o.line.split_inclusive('\n') {
                    if buf.time.is_none() {
                        buf.time = Some(time.clone());
                    }
                    match piece.strip_suffix('\n') {
                        Some(text) => {
                            buf.text.push_str(text.strip_suffix('\r').unwrap_or(text));
                            let done = std::mem::take(buf);
                            d.console.push(ConsoleLine {
                                line: done.text,
                                stderr,
                                time: done.time.unwrap_or_default(),
                            });
                        }
                        None => buf.text.push_str(piece),
                    }
                }
            }
            Some(RecordType::Exit(e)) => d.exit_code = Some(e.exit_code),
            _ => {}
        }
    }

    /// The digest.
    pub fn finish(self) -> RunDigest {
        let DigestBuilder {
            mut d,
            mut config,
            mut summary,
            partial,
        } = self;
        for (i, buf) in partial.into_iter().enumerate() {
            if !buf.text.is_empty() {
                d.console.push(ConsoleLine {
                    line: buf.text,
                    stderr: i == 1,
                    time: buf.time.unwrap_or_default(),
                });
            }
        }
        config.remove("_wandb");
        summary.remove("_wandb");
        d.config = config;
        d.summary = summary;
        d
    }
}

impl RunDigest {
    /// Folds the records of a run into its overview.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a proto::Record>) -> Self {
        let mut b = DigestBuilder::new();
        for r in records {
            b.apply(r);
        }
        b.finish()
    }

    /// The run's state: `finished` (exit code 0), `crashed` (254, or no
    /// exit record and no write for [`CRASH_TIMEOUT_SECS`]), `failed`
    /// (another exit code), `unknown` (no run record) or `running`.
    pub fn state(&self, last_write: SystemTime) -> &'static str {
        match self.exit_code {
            Some(0) => "finished",
            Some(254) => "crashed",
            Some(_) => "failed",
            None if self.run_id.is_empty() => "unknown",
            None => {
                let age = SystemTime::now()
                    .duration_since(last_write)
                    .map_or(0, |d| d.as_secs());
                if age > CRASH_TIMEOUT_SECS {
                    "crashed"
                } else {
                    "running"
                }
            }
        }
    }

    /// The overview as the JSON object `wandb leet inspect --summary --json`
    /// prints; `file` is the `.wandb` file, `last_write` its modification time.
    pub fn to_json(&self, file: &Path, last_write: SystemTime) -> J {
        let tail = &self.console[self.console.len().saturating_sub(CONSOLE_TAIL)..];
        let console: Vec<J> = tail
            .iter()
            .map(|l| {
                serde_json::json!({
                    "line": l.line,
                    "stream": if l.stderr { "stderr" } else { "stdout" },
                    "time": l.time,
                })
            })
            .collect();
        let (secs, nanos) = match last_write.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos() as i32,
            ),
            Err(_) => (0, 0),
        };
        serde_json::json!({
            "file": file.display().to_string(),
            "run_id": self.run_id,
            "name": self.name,
            "entity": self.entity,
            "project": self.project,
            "notes": self.notes,
            "tags": self.tags,
            "state": self.state(last_write),
            "last_write": rfc3339_nano(secs, nanos),
            "summary": self.summary,
            "config": self.config,
            "console": console,
            "console_lines": self.console.len(),
            "start_time": self.start_time,
            "exit_code": self.exit_code,
            "step": self.step,
        })
    }
}

/// A history row's step: its `step.num`, else its `_step` item.
pub fn history_step(h: &proto::HistoryRecord) -> Option<i64> {
    if let Some(s) = &h.step {
        return Some(s.num);
    }
    h.item
        .iter()
        .find(|i| i.key == "_step" && i.nested_key.is_empty())
        .and_then(|i| i.value_json.trim().parse::<i64>().ok())
}

fn item_path<'a>(key: &'a str, nested: &'a [String]) -> Vec<&'a str> {
    if nested.is_empty() {
        vec![key]
    } else {
        nested.iter().map(String::as_str).collect()
    }
}

fn apply_items<'a>(
    tree: &mut Map<String, J>,
    updates: impl Iterator<Item = (&'a String, &'a Vec<String>, &'a String)>,
    removes: impl Iterator<Item = (&'a String, &'a Vec<String>)>,
) {
    for (key, nested, value_json) in updates {
        let value = match wandb_core::json::parse(value_json) {
            Ok(v) => value_to_json(&v),
            Err(_) => J::String(value_json.clone()),
        };
        set_path(tree, &item_path(key, nested), value);
    }
    for (key, nested) in removes {
        remove_path(tree, &item_path(key, nested));
    }
}

fn set_path(tree: &mut Map<String, J>, path: &[&str], value: J) {
    match path {
        [] => {}
        [last] => {
            tree.insert((*last).to_string(), value);
        }
        [first, rest @ ..] => {
            let child = tree
                .entry((*first).to_string())
                .or_insert_with(|| J::Object(Map::new()));
            if !child.is_object() {
                *child = J::Object(Map::new());
            }
            if let J::Object(m) = child {
                set_path(m, rest, value);
            }
        }
    }
}

fn remove_path(tree: &mut Map<String, J>, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            tree.remove(*last);
        }
        [first, rest @ ..] => {
            if let Some(J::Object(m)) = tree.get_mut(*first) {
                remove_path(m, rest);
            }
        }
    }
}

/// RFC 3339 in UTC with as many fraction digits as needed (Go's
/// `time.RFC3339Nano`): `2026-11-21T23:50:05.9119Z`.
pub fn rfc3339_nano(secs: i64, nanos: i32) -> String {
    let nanos = nanos.clamp(0, 999_999_999) as u32;
    let Some(t) = chrono::DateTime::<chrono::Utc>::from_timestamp(secs, nanos) else {
        return "0001-01-01T00:00:00Z".into();
    };
    let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}
