//! What the uploader accumulates from the records of a run: config,
//! summary, telemetry, metric definitions, environment, files to upload;
//! and the files generated from them (`config.yaml`, `wandb-summary.json`,
//! `wandb-metadata.json`, spec §3).

use indexmap::{IndexMap, IndexSet};
use serde_json::{json, Map as JMap, Value as JValue};

use crate::json;
use crate::proto;
use crate::tree::{remove_path, set_path};
use crate::value::{Map, Value};

/// Accumulated run state.
#[derive(Debug, Default)]
pub struct RunState {
    /// The first run record.
    pub run: Option<proto::RunRecord>,
    /// Config (plain keys; `_wandb` included as the records set it).
    pub config: Map,
    /// True when the config changed since the last UpsertBucket.
    pub config_dirty: bool,
    /// The summary.
    pub summary: Map,
    /// True when the summary changed since it was last sent.
    pub summary_dirty: bool,
    /// A preempting record was read and not yet sent (file_stream `preempting`).
    pub preempting: bool,
    features: IndexSet<u32>,
    telemetry: IndexMap<&'static str, JValue>,
    metrics: super::config_metrics::ConfigMetrics,
    env: JMap<String, JValue>,
    env_writer: Option<String>,
    /// Files named by `files` records (relative to `files/`).
    pub files: IndexSet<String>,
    /// The run start.
    pub start_time: Option<prost_types::Timestamp>,
    /// Exit code and runtime, once the exit record was seen.
    pub exit: Option<(i32, i32)>,
    /// Largest history step seen.
    pub last_step: Option<i64>,
    /// Metric definitions with summary options: (name or glob, is_glob, summary, goal).
    summary_defs: Vec<(String, bool, proto::MetricSummary, i32)>,
    /// Aggregates of metrics with summary options, by key.
    aggs: IndexMap<String, Agg>,
}

/// Running aggregates of one metric (`define_metric(summary=...)`).
#[derive(Debug, Clone, Copy)]
struct Agg {
    min: f64,
    max: f64,
    sum: f64,
    count: u64,
    first: f64,
    last: f64,
}

fn glob_match(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((pre, rest)) => {
            if !s.starts_with(pre) {
                return false;
            }
            let tail = &s[pre.len()..];
            if rest.is_empty() {
                return true;
            }
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob_match(rest, &tail[i..]))
        }
    }
}

fn path_of<'a>(key: &'a str, nested: &'a [String]) -> Vec<&'a str> {
    if nested.is_empty() {
        vec![key]
    } else {
        nested.iter().map(String::as_str).collect()
    }
}

fn parse_value(raw: &str) -> Value {
    json::parse(raw).unwrap_or_else(|_| Value::Str(raw.to_string()))
}

impl RunState {
    /// Applies config items.
    pub fn apply_config(&mut self, c: &proto::ConfigRecord) {
        for item in &c.update {
            set_path(
                &mut self.config,
                &path_of(&item.key, &item.nested_key),
                parse_value(&item.value_json),
            );
        }
        for item in &c.remove {
            remove_path(&mut self.config, &path_of(&item.key, &item.nested_key));
        }
        self.config_dirty = true;
    }

    /// Applies summary items.
    pub fn apply_summary(&mut self, s: &proto::SummaryRecord) {
        for item in &s.update {
            let v = parse_value(&item.value_json);
            set_path(&mut self.summary, &path_of(&item.key, &item.nested_key), v);
        }
        for item in &s.remove {
            remove_path(&mut self.summary, &path_of(&item.key, &item.nested_key));
        }
        self.summary_dirty = true;
    }

    /// Notes a history row's step (the sender adds `_step` to the summary).
    pub fn note_history(&mut self, step: Option<i64>) {
        if let Some(s) = step {
            self.last_step = Some(self.last_step.map_or(s, |l| l.max(s)));
            self.summary.insert("_step".into(), Value::Int(s));
            self.summary_dirty = true;
        }
    }

    /// Updates the aggregates of metrics defined with summary options.
    pub fn aggregate(&mut self, key: &str, raw: &str) {
        if self.summary_defs.is_empty() {
            return;
        }
        let Some(v) = raw.trim().parse::<f64>().ok() else {
            return;
        };
        let defined =
            self.summary_defs
                .iter()
                .any(|(n, glob, _, _)| if *glob { glob_match(n, key) } else { n == key });
        if !defined {
            return;
        }
        let a = self.aggs.entry(key.to_string()).or_insert(Agg {
            min: v,
            max: v,
            sum: 0.0,
            count: 0,
            first: v,
            last: v,
        });
        a.min = a.min.min(v);
        a.max = a.max.max(v);
        a.sum += v;
        a.count += 1;
        a.last = v;
        self.summary_dirty = true;
    }

    /// The summary with aggregated metrics in place of their last value.
    fn summary_with_aggregates(&self) -> Map {
        let mut s = self.summary.clone();
        for (key, a) in &self.aggs {
            let Some((_, _, sum, goal)) =
                self.summary_defs
                    .iter()
                    .find(|(n, glob, _, _)| if *glob { glob_match(n, key) } else { n == key })
            else {
                continue;
            };
            if sum.none {
                s.shift_remove(key);
                continue;
            }
            let mut m = Map::new();
            let mut put = |k: &str, v: f64| {
                m.insert(k.into(), Value::Float(v));
            };
            if sum.min {
                put("min", a.min);
            }
            if sum.max {
                put("max", a.max);
            }
            if sum.mean && a.count > 0 {
                put("mean", a.sum / a.count as f64);
            }
            if sum.first {
                put("first", a.first);
            }
            if sum.last {
                put("last", a.last);
            }
            if sum.best {
                put("best", if *goal == 2 { a.max } else { a.min });
            }
            if !m.is_empty() {
                s.insert(key.clone(), Value::Map(m));
            }
        }
        s
    }

    /// Merges a telemetry record (`_wandb.t`).
    pub fn apply_telemetry(&mut self, t: &proto::TelemetryRecord) {
        if let Some(f) = &t.feature {
            for n in feature_numbers(f) {
                self.features.insert(n);
            }
        }
        let mut put = |k: &'static str, v: &str| {
            if !v.is_empty() {
                self.telemetry.insert(k, json!(v));
            }
        };
        put("4", &t.python_version);
        put("5", &t.cli_version);
        put("12", &t.core_version);
        put("13", &t.platform);
        self.config_dirty = true;
    }

    /// Adds a metric definition (`_wandb.m`).
    pub fn apply_metric(&mut self, m: &proto::MetricRecord) {
        if m.expanded_from_glob {
            return;
        }
        self.metrics.apply(m);
        let name = if m.name.is_empty() {
            m.glob_name.clone()
        } else {
            m.name.clone()
        };
        if let Some(sum) = m.summary.filter(|s| *s != proto::MetricSummary::default()) {
            self.summary_defs.retain(|d| d.0 != name);
            self.summary_defs
                .push((name, m.name.is_empty(), sum, m.goal));
        }
        self.config_dirty = true;
    }

    /// Merges an environment record (`_wandb.e`, `wandb-metadata.json`).
    pub fn apply_environment(&mut self, e: &proto::EnvironmentRecord) {
        if self.env_writer.is_none() && !e.writer_id.is_empty() {
            self.env_writer = Some(e.writer_id.clone());
        }
        for (k, v) in env_json(e) {
            self.env.insert(k, v);
        }
        self.config_dirty = true;
    }

    /// The config as sent to the server: `{key: {"value": v}}`, with the
    /// generated `_wandb` entries (t, m, e, versions).
    pub fn config_value(&self) -> Map {
        let mut out = Map::new();
        for (k, v) in &self.config {
            if k == "_wandb" {
                continue;
            }
            let mut wrap = Map::new();
            wrap.insert("value".into(), v.clone());
            out.insert(k.clone(), Value::Map(wrap));
        }
        let mut w = match self.config.get("_wandb") {
            Some(Value::Map(m)) => m.clone(),
            _ => Map::new(),
        };
        let mut t = JMap::new();
        if !self.features.is_empty() {
            t.insert("3".into(), json!(self.features.iter().collect::<Vec<_>>()));
        }
        for (k, v) in &self.telemetry {
            t.insert(k.to_string(), v.clone());
        }
        if let Some(v) = self.telemetry.get("5") {
            w.insert("cli_version".into(), Value::from(v));
            // "12" is the version of the uploading core; the official core
            // fills in its own version, equal to the CLI's.
            if !t.contains_key("12") {
                t.insert("12".into(), v.clone());
            }
        }
        if let Some(v) = self.telemetry.get("4") {
            w.insert("python_version".into(), Value::from(v));
        }
        w.insert("t".into(), Value::from(JValue::Object(t)));
        w.insert(
            "m".into(),
            Value::from(JValue::Array(self.metrics.to_json())),
        );
        if !self.env.is_empty() {
            let key = self.env_writer.clone().unwrap_or_else(|| "wandb-rs".into());
            let mut e = Map::new();
            e.insert(key, Value::from(JValue::Object(self.env.clone())));
            w.insert("e".into(), Value::Map(e));
        }
        let mut wrap = Map::new();
        wrap.insert("value".into(), Value::Map(w));
        out.insert("_wandb".into(), Value::Map(wrap));
        out
    }

    /// The config as a JSON string for UpsertBucket.
    pub fn config_json(&self) -> String {
        json::to_json_string(&Value::Map(self.config_value())).unwrap_or_else(|_| "{}".into())
    }

    /// `config.yaml`.
    pub fn config_yaml(&self) -> String {
        super::yaml::to_yaml(&self.config_value())
    }

    /// The summary as one compact JSON line (with `_wandb.runtime` when known).
    pub fn summary_json(&self) -> String {
        let mut s = self.summary_with_aggregates();
        if let Some((_, runtime)) = self.exit {
            set_path(&mut s, &["_wandb", "runtime"], Value::Int(runtime as i64));
        }
        json::to_json_string(&Value::Map(s)).unwrap_or_else(|_| "{}".into())
    }

    /// `wandb-metadata.json` (2-space indented), if any environment was seen.
    pub fn metadata_json(&self) -> Option<String> {
        if self.env.is_empty() {
            return None;
        }
        serde_json::to_string_pretty(&JValue::Object(self.env.clone())).ok()
    }
}

fn feature_numbers(f: &proto::Feature) -> Vec<u32> {
    let flags = [
        (1, f.watch),
        (2, f.finish),
        (3, f.save),
        (4, f.offline),
        (5, f.resumed),
        (7, f.metric),
        (13, f.set_init_name),
        (14, f.set_init_id),
        (15, f.set_init_tags),
        (16, f.set_init_config),
        (19, f.set_config_item),
        (29, f.tensorboard_log),
        (35, f.tensorboard_sync),
        (61, f.set_step_log),
        (62, f.set_summary),
        (63, f.metric_summary),
        (64, f.metric_goal),
        (65, f.metric_hidden),
        (66, f.metric_step_sync),
        (78, f.table),
    ];
    flags.iter().filter(|(_, b)| *b).map(|(n, _)| *n).collect()
}

/// RFC 3339 with the fraction trimmed to 0, 3, 6 or 9 digits (protojson).
pub fn timestamp_rfc3339(t: &prost_types::Timestamp) -> String {
    let Some(dt) = chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32) else {
        return String::new();
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let n = t.nanos.max(0);
    let frac = if n == 0 {
        String::new()
    } else if n % 1_000_000 == 0 {
        format!(".{:03}", n / 1_000_000)
    } else if n % 1000 == 0 {
        format!(".{:06}", n / 1000)
    } else {
        format!(".{n:09}")
    };
    format!("{base}{frac}Z")
}

/// Unix seconds of a protobuf timestamp.
pub fn timestamp_secs(t: &prost_types::Timestamp) -> f64 {
    t.seconds as f64 + t.nanos as f64 / 1e9
}

/// The protojson form of an environment record (lowerCamel names, explicit
/// JSON names, uint64 as strings, defaults left out).
pub fn env_json(e: &proto::EnvironmentRecord) -> JMap<String, JValue> {
    let mut m = JMap::new();
    let mut s = |k: &str, v: &str| {
        if !v.is_empty() {
            m.insert(k.into(), json!(v));
        }
    };
    s("os", &e.os);
    s("python", &e.python);
    s("docker", &e.docker);
    s("program", &e.program);
    s("codePath", &e.code_path);
    s("codePathLocal", &e.code_path_local);
    s("email", &e.email);
    s("root", &e.root);
    s("host", &e.host);
    s("username", &e.username);
    s("executable", &e.executable);
    s("colab", &e.colab);
    s("gpu", &e.gpu_type);
    s("cudaVersion", &e.cuda_version);
    s("writerId", &e.writer_id);
    if let Some(t) = &e.started_at {
        m.insert("startedAt".into(), json!(timestamp_rfc3339(t)));
    }
    if !e.args.is_empty() {
        m.insert("args".into(), json!(e.args));
    }
    if let Some(g) = &e.git {
        let mut gm = JMap::new();
        if !g.remote_url.is_empty() {
            gm.insert("remote".into(), json!(g.remote_url));
        }
        if !g.commit.is_empty() {
            gm.insert("commit".into(), json!(g.commit));
        }
        if !gm.is_empty() {
            m.insert("git".into(), JValue::Object(gm));
        }
    }
    if e.cpu_count != 0 {
        m.insert("cpu_count".into(), json!(e.cpu_count));
    }
    if e.cpu_count_logical != 0 {
        m.insert("cpu_count_logical".into(), json!(e.cpu_count_logical));
    }
    if e.gpu_count != 0 {
        m.insert("gpu_count".into(), json!(e.gpu_count));
    }
    if !e.disk.is_empty() {
        let mut d = JMap::new();
        let mut keys: Vec<&String> = e.disk.keys().collect();
        keys.sort();
        for k in keys {
            let info = &e.disk[k];
            let mut dm = JMap::new();
            if info.total != 0 {
                dm.insert("total".into(), json!(info.total.to_string()));
            }
            if info.used != 0 {
                dm.insert("used".into(), json!(info.used.to_string()));
            }
            d.insert(k.clone(), JValue::Object(dm));
        }
        m.insert("disk".into(), JValue::Object(d));
    }
    if let Some(mem) = &e.memory {
        if mem.total != 0 {
            m.insert("memory".into(), json!({"total": mem.total.to_string()}));
        }
    }
    if let Some(cpu) = &e.cpu {
        let mut cm = JMap::new();
        if cpu.count != 0 {
            cm.insert("count".into(), json!(cpu.count));
        }
        if cpu.count_logical != 0 {
            cm.insert("countLogical".into(), json!(cpu.count_logical));
        }
        if !cpu.model.is_empty() {
            cm.insert("model".into(), json!(cpu.model));
        }
        if !cm.is_empty() {
            m.insert("cpu".into(), JValue::Object(cm));
        }
    }
    m
}
