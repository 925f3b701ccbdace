//! The sender: turns records into GraphQL calls and file_stream batches,
//! and runs the exit sequence (final config, run files, completion).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as JValue};

mod file_stream;
mod files;
mod saved_files;
mod writer;

pub use writer::Writer;

use super::artifact_wait::{publish, Uploaded};
use super::error::{OnlineError, Result};
use super::graphql as gql;
use super::http::Client;
use super::lines::{self, Console, ConsoleLine};
use super::report::{SyncReport, Unsent};
use super::state::{self, RunState};
use crate::proto;
use crate::proto::record::RecordType;

/// Whether records come from a finished file or a live run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `sync` of a run directory.
    Sync,
    /// A live run being tailed.
    Live,
}

/// Tuning of the sender.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Entity override.
    pub entity: Option<String>,
    /// Project override.
    pub project: Option<String>,
    /// Run id override.
    pub run_id: Option<String>,
    /// Sync or live.
    pub mode: Mode,
    /// Batch interval of file_stream requests in live mode (official: 15 s).
    pub interval: Duration,
    /// Largest file_stream request body (official: about 10 MiB).
    pub max_request_bytes: usize,
    /// A heartbeat `{}` is sent after this long without a request (official: 30 s).
    pub heartbeat: Duration,
    /// Sync mode: ask RunResumeStatus and continue the run if the server has
    /// it (also done when the run record says `resume`/`resumed`).
    pub resume: bool,
    /// Live mode: the run the server already has, as asked at init (the
    /// engine does not ask again).
    pub resumed: Option<super::resume::ServerRun>,
    /// Entity used when neither the override nor the run record names one.
    pub fallback_entity: Option<String>,
    /// Which part of the run this process writes (shared runs: label,
    /// primary, finish state); the default is the run's only writer.
    pub writer: Writer,
}

const HISTORY: usize = 0;
const EVENTS: usize = 1;
const OUTPUT: usize = 2;
const STREAM_NAMES: [&str; 3] = ["wandb-history.jsonl", "wandb-events.jsonl", "output.log"];
/// Official limit of one line (10 MiB − 100 KiB); longer lines are dropped.
const MAX_LINE: usize = 10 * 1024 * 1024 - 100 * 1024;

#[derive(Debug, Default)]
struct Pending {
    /// Lines acknowledged by the server (the offset of `lines[0]`).
    offset: usize,
    lines: VecDeque<String>,
}

/// The sender of one run.
pub struct Engine {
    client: Arc<Client>,
    cfg: EngineConfig,
    files_dir: PathBuf,
    /// Accumulated state.
    pub state: RunState,
    console: Console,
    streams: [Pending; 3],
    pending_bytes: usize,
    entity: String,
    project: String,
    run_id: String,
    started: bool,
    last_send: Instant,
    stopped: Arc<AtomicBool>,
    console_file: Option<BufWriter<File>>,
    rebuild_console: bool,
    uploaded: Vec<String>,
    /// Upload policies and what each file was like when uploaded.
    saved: saved_files::SavedFiles,
    completed: bool,
    dropped_lines: usize,
    sent: [usize; 3],
    artifacts: usize,
    /// The storage id of a continued run, for the first UpsertBucket.
    storage_id: Option<String>,
}

impl Engine {
    /// A sender for the run whose `files/` directory is `files_dir`.
    pub fn new(
        client: Arc<Client>,
        cfg: EngineConfig,
        files_dir: &Path,
        stopped: Arc<AtomicBool>,
    ) -> Self {
        Engine {
            client,
            cfg,
            files_dir: files_dir.to_path_buf(),
            state: RunState::default(),
            console: Console::default(),
            streams: Default::default(),
            pending_bytes: 0,
            entity: String::new(),
            project: String::new(),
            run_id: String::new(),
            started: false,
            last_send: Instant::now(),
            stopped,
            console_file: None,
            rebuild_console: false,
            uploaded: Vec::new(),
            saved: Default::default(),
            completed: false,
            dropped_lines: 0,
            sent: [0; 3],
            artifacts: 0,
            storage_id: None,
        }
    }

    /// Bytes of lines waiting to be sent.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// True once the run record was sent.
    pub fn started(&self) -> bool {
        self.started
    }

    /// True once the exit record was read.
    pub fn exit_seen(&self) -> bool {
        self.state.exit.is_some()
    }

    /// Handles one record.
    pub fn handle(&mut self, rec: proto::Record) -> Result<()> {
        if rec.control.as_ref().is_some_and(|c| c.local) {
            return Ok(());
        }
        let Some(rt) = rec.record_type else {
            return Ok(());
        };
        match rt {
            RecordType::Run(run) => {
                if self.started {
                    self.update_run(&run)?;
                } else {
                    self.start(run)?;
                }
            }
            RecordType::Config(c) => self.state.apply_config(&c),
            RecordType::Summary(s) => self.state.apply_summary(&s),
            RecordType::History(h) => {
                let (line, step) = lines::history_line(&h);
                for item in &h.item {
                    let key = item
                        .nested_key
                        .first()
                        .map_or(item.key.as_str(), String::as_str);
                    if item.nested_key.len() > 1 {
                        continue;
                    }
                    if key == "_runtime" || key == "_timestamp" {
                        if let Ok(v) = crate::json::parse(&item.value_json) {
                            self.state.summary.insert(key.to_string(), v);
                        }
                    } else {
                        self.state.aggregate(key, &item.value_json);
                    }
                }
                self.state.note_history(step);
                self.push(HISTORY, line);
            }
            RecordType::Stats(s) => {
                let line = lines::events_line(&s, self.state.start_time.as_ref());
                self.push(EVENTS, line);
            }
            RecordType::OutputRaw(o) => {
                let at = o.timestamp.as_ref().map(state::timestamp_secs);
                self.console_fragment(o.output_type == 0, &o.line, at)?;
            }
            RecordType::Output(o) => {
                let at = o.timestamp.as_ref().map(state::timestamp_secs);
                self.console_fragment(o.output_type == 0, &o.line, at)?;
            }
            RecordType::Files(f) => {
                for item in f.files {
                    let p = item.path.trim_start_matches("./").to_string();
                    if !p.is_empty() && !p.contains("..") {
                        self.saved.note(&p, item.policy);
                        self.state.files.insert(p);
                    }
                }
            }
            RecordType::Telemetry(t) => self.state.apply_telemetry(&t),
            RecordType::Metric(m) => self.state.apply_metric(&m),
            RecordType::Environment(e) => self.state.apply_environment(&e),
            RecordType::Alert(a) => self.alert(&a)?,
            RecordType::Preempting(_) => self.state.preempting = true,
            RecordType::Artifact(a) if self.started => {
                // `sync` sends the record verbatim (spec artifacts.md §2.11):
                // its entity (even empty) and project, not the `-e`/`-p`
                // overrides of the run; a live run uses the run's own.
                let (e, p, r) = match self.cfg.mode {
                    Mode::Sync => (
                        a.entity.clone(),
                        non_empty_or(&a.project, &self.project),
                        non_empty_or(&a.run_id, &self.run_id),
                    ),
                    Mode::Live => (
                        self.entity.clone(),
                        self.project.clone(),
                        self.run_id.clone(),
                    ),
                };
                match super::artifacts::upload_artifact(
                    &self.client,
                    &a,
                    &e,
                    &p,
                    &r,
                    &self.files_dir,
                ) {
                    Ok(id) => {
                        self.artifacts += 1;
                        let client = self.client.clone();
                        publish(&a.client_id, Uploaded::Done { id, client });
                    }
                    // a live run carries on past a refused artifact, as the
                    // official client (the record stays in the run for a
                    // later `wandb-rs sync`); `sync` stops and reports it
                    Err(err)
                        if self.cfg.mode == Mode::Live || matches!(err, OnlineError::Io { .. }) =>
                    {
                        tracing::warn!(artifact = a.name.as_str(), error = %err, "artifact not uploaded");
                        publish(&a.client_id, Uploaded::Failed(err.to_string()));
                    }
                    Err(err) => {
                        publish(&a.client_id, Uploaded::Failed(err.to_string()));
                        return Err(err);
                    }
                }
            }
            RecordType::Exit(e) => self.state.exit = Some((e.exit_code, e.runtime)),
            _ => {}
        }
        Ok(())
    }

    fn push(&mut self, stream: usize, line: String) {
        if line.len() > MAX_LINE {
            tracing::warn!(
                stream = STREAM_NAMES[stream],
                len = line.len(),
                "line too long for file_stream: dropped"
            );
            self.dropped_lines += 1;
            return;
        }
        self.pending_bytes += line.len() + 8;
        self.streams[stream].lines.push_back(line);
    }

    fn console_fragment(&mut self, stderr: bool, text: &str, at: Option<f64>) -> Result<()> {
        let mut done = Vec::new();
        self.console.push(stderr, text, &mut done);
        self.console_lines(done, at)
    }

    fn console_lines(&mut self, done: Vec<ConsoleLine>, at: Option<f64>) -> Result<()> {
        // `wandb sync` stamps console lines with the time of the sync
        let when = match (self.cfg.mode, at) {
            (Mode::Live, Some(secs)) => {
                chrono::DateTime::from_timestamp(secs.floor() as i64, ((secs.fract()) * 1e9) as u32)
                    .unwrap_or_else(chrono::Utc::now)
            }
            _ => chrono::Utc::now(),
        };
        for l in done {
            if self.rebuild_console && self.console_file.is_none() {
                std::fs::create_dir_all(&self.files_dir)
                    .map_err(|e| OnlineError::io("cannot create", &self.files_dir, e))?;
                let path = self.files_dir.join("output.log");
                let f =
                    File::create(&path).map_err(|e| OnlineError::io("cannot create", &path, e))?;
                self.console_file = Some(BufWriter::new(f));
            }
            if let Some(f) = self.console_file.as_mut() {
                let path = self.files_dir.join("output.log");
                writeln!(f, "{}", l.text).map_err(|e| OnlineError::io("cannot write", path, e))?;
            }
            let line = self.cfg.writer.console_line(&l, when);
            self.push(OUTPUT, line);
        }
        Ok(())
    }

    fn start(&mut self, run: proto::RunRecord) -> Result<()> {
        self.entity = pick(&self.cfg.entity, &run.entity)
            .or_else(|| self.cfg.fallback_entity.clone())
            .unwrap_or_default();
        if self.entity.is_empty() {
            self.entity = self.viewer_entity()?;
        }
        self.project =
            pick(&self.cfg.project, &run.project).unwrap_or_else(|| "uncategorized".into());
        self.run_id = pick(&self.cfg.run_id, &run.run_id).unwrap_or_default();
        if self.run_id.is_empty() {
            return Err(OnlineError::BadLog {
                path: self.files_dir.clone(),
                reason: "the run record has no run id".into(),
            });
        }
        if let Some(c) = &run.config {
            self.state.apply_config(c);
        }
        if let Some(s) = &run.summary {
            self.state.apply_summary(s);
        }
        if let Some(t) = &run.telemetry {
            self.state.apply_telemetry(t);
        }
        self.state.start_time = run.start_time;
        // `sync` rebuilds output.log from the console records when the run
        // directory has none (created at the first line)
        self.rebuild_console =
            self.cfg.mode == Mode::Sync && !self.files_dir.join("output.log").exists();
        match self.cfg.mode {
            Mode::Live => {
                if let Some(r) = self.cfg.resumed.take() {
                    self.continue_run(r);
                }
            }
            Mode::Sync if self.cfg.resume || run.resumed || run.resume => {
                let found =
                    super::resume::query(&self.client, &self.entity, &self.project, &self.run_id)?;
                if let Some(r) = found {
                    self.continue_run(r);
                }
            }
            Mode::Sync => {}
        }
        let opt = |s: &str| if s.is_empty() { JValue::Null } else { json!(s) };
        let commit = run
            .git
            .as_ref()
            .map(|g| opt(&g.commit))
            .unwrap_or(JValue::Null);
        let repo = run
            .git
            .as_ref()
            .map(|g| opt(&g.remote_url))
            .unwrap_or(JValue::Null);
        let vars = json!({
            "id": self.storage_id.take(), "name": self.run_id, "project": self.project, "entity": self.entity,
            "groupName": opt(&run.run_group), "description": null,
            "displayName": opt(&run.display_name), "notes": opt(&run.notes),
            "commit": commit, "config": self.state.config_json(), "host": opt(&run.host),
            "debug": null, "program": null, "repo": repo, "jobType": opt(&run.job_type),
            "state": null, "sweep": opt(&run.sweep_id),
            "tags": if run.tags.is_empty() { JValue::Null } else { json!(run.tags) },
            "summaryMetrics": null,
        });
        self.client
            .graphql("UpsertBucket", gql::UPSERT_BUCKET, Some(vars))?;
        self.state.config_dirty = false;
        self.state.run = Some(run);
        self.started = true;
        // Feature flags: wandb-rs needs none of them, but servers expect the query.
        if let Err(e) = self
            .client
            .graphql("ServerFeaturesQuery", gql::SERVER_FEATURES, None)
        {
            tracing::debug!(error = %e, "ServerFeaturesQuery failed");
        }
        Ok(())
    }

    fn viewer_entity(&self) -> Result<String> {
        let data = self.client.graphql("Viewer", gql::VIEWER, None)?;
        Ok(data
            .pointer("/viewer/entity")
            .and_then(JValue::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Continues a run the server has: offsets after its lines, its summary
    /// and config under what this run sets.
    fn continue_run(&mut self, r: super::resume::ServerRun) {
        self.storage_id = r.storage_id;
        for (stream, offset) in r.offsets.into_iter().enumerate() {
            self.streams[stream].offset = offset;
        }
        for (k, v) in r.state.summary {
            self.state.summary.entry(k).or_insert(v);
        }
        for (k, v) in r.state.config {
            self.state.config.entry(k).or_insert(v);
        }
    }

    /// A later run record (`set_name`, `set_tags`, `set_notes`): config
    /// changes go out with the next flush; name, notes and tags now, in an
    /// UpsertBucket (as the official client; empty fields are left as they are).
    fn update_run(&mut self, run: &proto::RunRecord) -> Result<()> {
        if let Some(c) = &run.config {
            self.state.apply_config(c);
        }
        if run.display_name.is_empty() && run.notes.is_empty() && run.tags.is_empty() {
            return Ok(());
        }
        let mut vars = json!({"name": self.run_id, "project": self.project, "entity": self.entity});
        if !run.display_name.is_empty() {
            vars["displayName"] = json!(run.display_name);
        }
        if !run.notes.is_empty() {
            vars["notes"] = json!(run.notes);
        }
        if !run.tags.is_empty() {
            vars["tags"] = json!(run.tags);
        }
        self.client
            .graphql("UpsertBucket", gql::UPSERT_BUCKET, Some(vars))?;
        Ok(())
    }

    fn alert(&mut self, a: &proto::AlertRecord) -> Result<()> {
        if !self.started {
            return Ok(());
        }
        let vars = json!({
            "entityName": self.entity, "projectName": self.project, "runName": self.run_id,
            "title": a.title, "text": a.text,
            "severity": if a.level.is_empty() { "INFO" } else { a.level.as_str() },
            "waitDuration": a.wait_duration,
        });
        self.client
            .graphql("NotifyScriptableRunAlert", gql::NOTIFY_ALERT, Some(vars))?;
        Ok(())
    }

    fn upsert_config(&mut self) -> Result<()> {
        let vars = json!({"name": self.run_id, "project": self.project, "entity": self.entity,
                          "config": self.state.config_json()});
        self.client
            .graphql("UpsertBucket", gql::UPSERT_BUCKET, Some(vars))?;
        self.state.config_dirty = false;
        Ok(())
    }

    /// The exit sequence: flush, write the generated files, final
    /// UpsertBucket, CreateRunFiles + PUTs, final file_stream with
    /// `complete`. Without an exit record the exit code is 1.
    pub fn finish_run(&mut self) -> Result<()> {
        if !self.started {
            return Ok(());
        }
        let mut done = Vec::new();
        self.console.finish(&mut done);
        self.console_lines(done, None)?;
        if let Some(mut f) = self.console_file.take() {
            let path = self.files_dir.join("output.log");
            f.flush()
                .map_err(|e| OnlineError::io("cannot write", path, e))?;
        }
        if self.state.exit.is_none() {
            self.state.exit = Some((1, 0));
        }
        let (code, _) = self.state.exit.unwrap_or((1, 0));
        self.flush_lines()?;
        // only the primary writer of a shared run writes the run's files
        if self.cfg.writer.primary {
            self.write_generated_files()?;
        }
        self.upsert_config()?;
        self.upload_run_files()?;
        let uploaded = self.uploaded.clone();
        loop {
            // the last body (with `uploaded`) is the one that empties the streams
            let body = self.build_body(Some((&uploaded, code)));
            self.send_body(&body)?;
            if self.streams.iter().all(|s| s.lines.is_empty()) {
                break;
            }
        }
        self.completed = true;
        Ok(())
    }

    /// What was sent and what is still unsent.
    pub fn report(&self, unread_bytes: u64) -> SyncReport {
        let pending_files: Vec<String> = if self.completed {
            Vec::new()
        } else {
            self.run_file_names()
                .into_iter()
                .filter(|n| !self.uploaded.contains(n))
                .collect()
        };
        SyncReport {
            entity: self.entity.clone(),
            project: self.project.clone(),
            run_id: self.run_id.clone(),
            history_lines: self.sent[HISTORY],
            events_lines: self.sent[EVENTS],
            output_lines: self.sent[OUTPUT],
            files_uploaded: self.uploaded.clone(),
            exit_code: self.state.exit.map(|e| e.0),
            stopped: self.stopped.load(Ordering::SeqCst),
            skipped: false,
            dropped_lines: self.dropped_lines,
            artifacts_uploaded: self.artifacts,
            unsent: Unsent {
                history_lines: self.streams[HISTORY].lines.len(),
                events_lines: self.streams[EVENTS].lines.len(),
                output_lines: self.streams[OUTPUT].lines.len(),
                unread_bytes,
                files: pending_files,
                summary: self.state.summary_dirty && !self.completed,
                completion: !self.completed,
            },
        }
    }
}

fn pick(over: &Option<String>, rec: &str) -> Option<String> {
    over.clone()
        .filter(|s| !s.is_empty())
        .or_else(|| (!rec.is_empty()).then(|| rec.to_string()))
}

/// `value`, or `fallback` when `value` is empty.
fn non_empty_or(value: &str, fallback: &str) -> String {
    if value.is_empty() { fallback } else { value }.to_string()
}
