//! What the fake server stores: runs with their metadata, file_stream lines
//! by offset, uploaded files, alerts and artifacts.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A file_stream stream (`wandb-history.jsonl`, `output.log`, ...): lines by
/// offset, so a re-sent batch overwrites instead of duplicating.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// Line `i` is what was last sent at offset `i`; `None` is a hole (data loss).
    pub lines: Vec<Option<String>>,
    /// Times a line was re-sent with different content (legitimate only for
    /// `output.log`, where `\r` rewrites a line).
    pub changed_rewrites: usize,
    /// Times a line was re-sent with the same content (a retried request).
    pub identical_rewrites: usize,
}

impl Stream {
    /// Stores `content` at `offset..`.
    pub fn put(&mut self, offset: usize, content: Vec<String>) {
        let end = offset + content.len();
        if self.lines.len() < end {
            self.lines.resize(end, None);
        }
        for (i, text) in content.into_iter().enumerate() {
            let slot = &mut self.lines[offset + i];
            match slot {
                Some(old) if *old == text => self.identical_rewrites += 1,
                Some(_) => self.changed_rewrites += 1,
                None => {}
            }
            *slot = Some(text);
        }
    }

    /// Offsets with no line (must be empty for a run without data loss).
    pub fn holes(&self) -> Vec<usize> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// The lines as text (holes skipped).
    pub fn text_lines(&self) -> Vec<String> {
        self.lines.iter().flatten().cloned().collect()
    }

    /// The lines parsed as JSON (holes and unparsable lines skipped).
    pub fn json_lines(&self) -> Vec<Value> {
        self.lines
            .iter()
            .flatten()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// Everything the server received for one run.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    /// Entity name.
    pub entity: String,
    /// Project name.
    pub project: String,
    /// Run id (`name` in GraphQL).
    pub name: String,
    /// The run's GraphQL `id` (base64 of `Run:<n>`), what `DeleteRun` takes.
    pub storage_id: String,
    /// Variables of every UpsertBucket call, in order.
    pub upserts: Vec<Value>,
    /// The current config (`{key: {"value": ...}}`), from the last UpsertBucket that sent one.
    pub config: Value,
    /// Display name.
    pub display_name: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Group.
    pub group: Option<String>,
    /// Job type.
    pub job_type: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Host.
    pub host: Option<String>,
    /// Program.
    pub program: Option<String>,
    /// file_stream streams by file name.
    pub streams: BTreeMap<String, Stream>,
    /// The last summary line received (parsed).
    pub summary: Value,
    /// True once a file_stream request carried `complete: true`.
    pub complete: bool,
    /// The `exitcode` of the completing request.
    pub exitcode: Option<i64>,
    /// Names listed in `uploaded`.
    pub uploaded_names: Vec<String>,
    /// Uploaded file contents by run-relative name.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Times each file was PUT.
    pub file_put_counts: BTreeMap<String, usize>,
    /// Whether a `preempting` flag was received.
    pub preempting: bool,
    /// Number of file_stream requests processed.
    pub file_stream_requests: usize,
    /// Number of heartbeat requests (an empty body `{}`).
    pub heartbeats: usize,
    /// Variables of NotifyScriptableRunAlert calls.
    pub alerts: Vec<Value>,
    /// True when a test marked the run as stopped.
    pub stopped: bool,
    /// The sweep the run belongs to (the `sweep` variable of an UpsertBucket).
    pub sweep: Option<String>,
    /// Shared runs: the file_stream streams of each writer, by its client
    /// id (`X-Wandb-Async-Client-Id`). Every writer sends its own history
    /// and console from offset 0; the server merges them ([`Self::streams`]
    /// keeps only the last line sent at each offset).
    pub writer_streams: BTreeMap<String, BTreeMap<String, Stream>>,
    /// The client id of every request that carried `complete` (`None`
    /// when the request sent no client id), in order.
    pub completions: Vec<Option<String>>,
}

impl RunData {
    /// History rows, parsed.
    pub fn history(&self) -> Vec<Value> {
        self.stream("wandb-history.jsonl").json_lines()
    }

    /// System-metrics rows, parsed.
    pub fn events(&self) -> Vec<Value> {
        self.stream("wandb-events.jsonl").json_lines()
    }

    /// Console lines as sent (with timestamps).
    pub fn output(&self) -> Vec<String> {
        self.stream("output.log").text_lines()
    }

    /// A stream by file name (empty if none was sent).
    pub fn stream(&self, name: &str) -> Stream {
        self.streams.get(name).cloned().unwrap_or_default()
    }

    /// The config with the `{"value": ...}` wrappers removed and `_wandb` dropped.
    pub fn plain_config(&self) -> Map<String, Value> {
        let mut out = Map::new();
        if let Value::Object(m) = &self.config {
            for (k, v) in m {
                if k == "_wandb" {
                    continue;
                }
                out.insert(k.clone(), v.get("value").cloned().unwrap_or(Value::Null));
            }
        }
        out
    }

    /// The run's state as a finished run would show: `"finished"` for exit
    /// code 0, `"failed"` otherwise, `"running"` while not complete.
    pub fn state(&self) -> &'static str {
        match (self.complete, self.exitcode) {
            (false, _) => "running",
            (true, Some(0)) => "finished",
            (true, _) => "failed",
        }
    }

    pub(crate) fn apply_upsert(&mut self, vars: &Value) {
        self.upserts.push(vars.clone());
        let s = |k: &str| vars.get(k).and_then(Value::as_str).map(str::to_string);
        if let Some(c) = s("config") {
            if let Ok(parsed) = serde_json::from_str::<Value>(&c) {
                self.config = parsed;
            }
        }
        macro_rules! set {
            ($field:ident, $key:literal) => {
                if let Some(v) = s($key) {
                    self.$field = Some(v);
                }
            };
        }
        set!(display_name, "displayName");
        set!(notes, "notes");
        set!(group, "groupName");
        set!(job_type, "jobType");
        set!(host, "host");
        set!(program, "program");
        set!(sweep, "sweep");
        if let Some(Value::Array(tags)) = vars.get("tags") {
            self.tags = tags
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
    }

    /// The history rows of every writer of a shared run, by client id.
    pub fn writer_history(&self) -> BTreeMap<String, Vec<Value>> {
        self.writer_streams
            .iter()
            .map(|(id, s)| {
                let rows = s
                    .get("wandb-history.jsonl")
                    .map(Stream::json_lines)
                    .unwrap_or_default();
                (id.clone(), rows)
            })
            .collect()
    }

    /// The console lines of every writer, merged (as sent, with timestamps).
    pub fn all_output(&self) -> Vec<String> {
        self.writer_streams
            .values()
            .filter_map(|s| s.get("output.log"))
            .flat_map(Stream::text_lines)
            .collect()
    }

    /// Applies one file_stream body (`client` is the writer's client id).
    pub(crate) fn apply_file_stream(&mut self, body: FileStreamBody, client: Option<&str>) {
        self.file_stream_requests += 1;
        if body.is_empty() {
            self.heartbeats += 1;
        }
        for (name, data) in body.files.unwrap_or_default() {
            if name == "wandb-summary.json" {
                if let Some(last) = data.content.last() {
                    if let Ok(v) = serde_json::from_str(last) {
                        self.summary = v;
                    }
                }
            }
            if let Some(id) = client {
                self.writer_streams
                    .entry(id.to_string())
                    .or_default()
                    .entry(name.clone())
                    .or_default()
                    .put(data.offset, data.content.clone());
            }
            self.streams
                .entry(name)
                .or_default()
                .put(data.offset, data.content);
        }
        for n in body.uploaded.unwrap_or_default() {
            if !self.uploaded_names.contains(&n) {
                self.uploaded_names.push(n);
            }
        }
        if body.preempting == Some(true) {
            self.preempting = true;
        }
        if body.complete == Some(true) {
            self.complete = true;
            self.exitcode = body.exitcode;
            self.completions.push(client.map(str::to_string));
        }
    }
}

/// A file_stream request body.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct FileStreamBody {
    files: Option<BTreeMap<String, FileStreamFile>>,
    uploaded: Option<Vec<String>>,
    preempting: Option<bool>,
    complete: Option<bool>,
    exitcode: Option<i64>,
}

impl FileStreamBody {
    fn is_empty(&self) -> bool {
        self.files.is_none()
            && self.uploaded.is_none()
            && self.preempting.is_none()
            && self.complete.is_none()
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct FileStreamFile {
    #[serde(default)]
    offset: usize,
    #[serde(default)]
    content: Vec<String>,
}

/// One request as the server saw it (for protocol-order tests).
#[derive(Debug, Clone)]
pub struct RequestLog {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// GraphQL operation name, for GraphQL requests.
    pub op: Option<String>,
    /// Whether an `Authorization` header was present.
    pub had_auth: bool,
    /// The writer's client id (`X-Wandb-Client-Id` or
    /// `X-Wandb-Async-Client-Id`), if the request had one.
    pub client_id: Option<String>,
    /// The status code answered (0 for a dropped connection).
    pub status: u16,
    /// The parsed JSON body of GraphQL requests, `Null` otherwise (file_stream
    /// bodies are applied to the run, see [`RunData::streams`]).
    pub body: Value,
}

/// A created artifact (CreateArtifact input plus what followed).
#[derive(Debug, Clone, Default)]
pub struct ArtifactData {
    /// Server id.
    pub id: String,
    /// The CreateArtifact input.
    pub input: Value,
    /// Whether CommitArtifact was called.
    pub committed: bool,
    /// The id of its manifest (`CreateArtifactManifest`), once created.
    pub manifest_id: Option<String>,
    /// The runs (`entity/project/run`) that declared they use it (`UseArtifact`).
    pub used_by: Vec<String>,
}
