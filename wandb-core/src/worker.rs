//! The writer thread: turns queued log calls into records, frames them into
//! the `.wandb` file with buffered I/O, batches summary updates and flushes
//! at least every `flush_interval`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use parking_lot::Mutex;
use prost::Message as _;

use crate::history_encode::{HistoryEncoder, Stamp};
use crate::json;
use crate::media::{MediaContext, MediaStep, RunInfo};
use crate::metric::{MetricDefinition, Metrics};
use crate::proto::{self, record::RecordType};
use crate::queue::{Queue, Wait};
use crate::row::{Row, RowKey};
use crate::row_items::{dedup_last_wins, take_key};
use crate::row_pool::{self, Items};
use crate::store::RecordSink;
use crate::summary_dirty::{join_path, DirtySummary, PATH_SEP};
use crate::summary_stash::SummaryStash;
use crate::tree::{remove_path, set_path};
use crate::value::{Map, Value};

/// A message from the run's handles to the writer thread.
pub(crate) enum Msg {
    /// A (partial) history row.
    Log {
        row: Row,
        step: u64,
        commit: bool,
        /// Nanoseconds since the run started, measured in `log()`.
        elapsed_ns: u64,
    },
    /// Summary updates: `Some` sets, `None` removes.
    Summary(Vec<(String, Option<Value>)>),
    /// Top-level config updates.
    Config(Box<Map>),
    /// A metric definition.
    Metric(Box<MetricDefinition>),
    /// Any other record, written as is.
    Record(Box<RecordType>),
    /// Flush everything and answer.
    Flush(Sender<()>),
    /// Write the exit record, flush, stop and answer.
    Finish {
        exit_code: i32,
        elapsed: f64,
        reply: Sender<WorkerReport>,
    },
}

/// What the writer thread reports at finish.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkerReport {
    pub(crate) history_rows: u64,
    pub(crate) records: u64,
    pub(crate) bytes: u64,
    pub(crate) dropped_values: u64,
    pub(crate) error: Option<String>,
    /// Sampled history per top-level numeric key (footer sparklines).
    pub(crate) sampled_history: Vec<(String, Vec<f32>)>,
}

/// Everything the writer thread needs.
pub(crate) struct WorkerSetup {
    pub(crate) writer: Box<dyn RecordSink>,
    /// Where the records go, for error messages (the `.wandb` file's path).
    pub(crate) target: String,
    pub(crate) files_dir: PathBuf,
    pub(crate) info: RunInfo,
    /// Unix time of the run's start, in nanoseconds.
    pub(crate) start_unix_ns: u64,
    pub(crate) flush_interval: Duration,
    pub(crate) initial: Vec<RecordType>,
    pub(crate) summary_mirror: Arc<Mutex<Map>>,
    pub(crate) on_flush: Option<Box<dyn Fn() + Send>>,
    /// The thread's `tracing` default (`logs/debug-internal.log`, crate::diag).
    pub(crate) dispatch: Option<tracing::Dispatch>,
}

struct Pending {
    step: u64,
    items: Vec<(RowKey, Value)>,
    elapsed_ns: u64,
}

struct Worker {
    writer: Option<Box<dyn RecordSink>>,
    target: String,
    files_dir: PathBuf,
    info: RunInfo,
    start_unix_ns: u64,
    flush_interval: Duration,
    num: i64,
    pending: Option<Pending>,
    /// Summary leaves changed since the last summary record.
    summary_dirty: DirtySummary,
    key_buf: String,
    summary_mirror: Arc<Mutex<Map>>,
    metrics: Metrics,
    /// The last committed row, not yet applied to `summary_dirty`.
    stash: SummaryStash,
    enc: HistoryEncoder,
    /// Emptied row item lists, handed back to the loggers at the next take.
    spares: Vec<Items>,
    buf: Vec<u8>,
    last_flush: Instant,
    last_elapsed: f64,
    on_flush: Option<Box<dyn Fn() + Send>>,
    report: WorkerReport,
    sampler: crate::terminal::HistorySampler,
}

/// Starts the writer thread.
pub(crate) fn spawn(
    setup: WorkerSetup,
    queue: Arc<Queue>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wandb-writer".into())
        .spawn(move || {
            crate::background::lower_priority();
            let _log = setup
                .dispatch
                .as_ref()
                .map(tracing::dispatcher::set_default);
            tracing::debug!("writer thread started");
            // Pushers must not wait forever if this thread ends (even by a panic).
            let _close = CloseOnDrop(queue.clone());
            let initial = std::mem::take(&mut { setup.initial });
            let mut w = Worker {
                writer: Some(setup.writer),
                target: setup.target,
                files_dir: setup.files_dir,
                info: setup.info,
                start_unix_ns: setup.start_unix_ns,
                flush_interval: setup.flush_interval,
                num: 0,
                pending: None,
                summary_dirty: DirtySummary::default(),
                key_buf: String::new(),
                summary_mirror: setup.summary_mirror,
                metrics: Metrics::default(),
                stash: SummaryStash::default(),
                enc: HistoryEncoder::default(),
                spares: Vec::new(),
                buf: Vec::with_capacity(1024),
                last_flush: Instant::now(),
                last_elapsed: 0.0,
                on_flush: setup.on_flush,
                report: WorkerReport::default(),
                sampler: Default::default(),
            };
            for rt in initial {
                w.write(rt);
            }
            w.flush();
            w.run(&queue);
        })
}

impl Worker {
    fn run(&mut self, queue: &Queue) {
        // While rows are flowing the thread polls the queue with timed
        // waits that follow the rows' rate: doubled (up to `MAX_POLL`) after
        // an empty poll, halved (down to `MIN_POLL`) after one that found
        // rows, so a loop logging every few milliseconds wakes it about once
        // per row and a tight loop never waits. After `IDLE_AFTER` without
        // a row it waits until a push wakes it or a flush is due.
        const MIN_POLL: Duration = Duration::from_millis(1);
        const MAX_POLL: Duration = Duration::from_millis(16);
        const IDLE_AFTER: Duration = Duration::from_millis(64);
        let mut poll = MIN_POLL;
        let mut empty_for = IDLE_AFTER;
        let mut batch: Vec<Msg> = Vec::new();
        loop {
            let until_flush = self
                .flush_interval
                .saturating_sub(self.last_flush.elapsed());
            let wait = if empty_for >= IDLE_AFTER {
                Wait::Idle(until_flush)
            } else {
                Wait::Poll(poll.min(until_flush))
            };
            queue.take(&mut batch, wait, &mut self.spares);
            if batch.is_empty() {
                if let Wait::Poll(d) = wait {
                    empty_for = empty_for.saturating_add(d);
                    poll = poll.saturating_mul(2).min(MAX_POLL);
                }
                if self.last_flush.elapsed() >= self.flush_interval {
                    self.flush();
                }
                continue;
            }
            empty_for = Duration::ZERO;
            poll = (poll / 2).max(MIN_POLL);
            let mut handled = 0u32;
            for msg in batch.drain(..) {
                if self.handle(msg) {
                    return;
                }
                handled += 1;
                if handled.is_multiple_of(256) && self.last_flush.elapsed() >= self.flush_interval {
                    self.flush();
                }
            }
            if self.last_flush.elapsed() >= self.flush_interval {
                self.flush();
            }
        }
    }

    /// Handles one message; true when the thread must stop.
    fn handle(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Log {
                row,
                step,
                commit,
                elapsed_ns,
            } => self.log(row, step, commit, elapsed_ns),
            Msg::Summary(items) => {
                self.stash.fold(&mut self.summary_dirty, &mut self.spares);
                for (key, value) in items {
                    let value = match value {
                        Some(v) => {
                            let mut side = Vec::new();
                            let v = self.materialize(&key, v, MediaStep::Summary, &mut side);
                            for rt in side {
                                self.write(rt);
                            }
                            match v {
                                Some(v) => Some(v),
                                None => continue,
                            }
                        }
                        None => None,
                    };
                    self.summary_dirty.set(&key, value);
                }
            }
            Msg::Config(map) => {
                let update = map
                    .iter()
                    .filter_map(|(k, v)| {
                        json::to_json_string(v)
                            .ok()
                            .map(|value_json| proto::ConfigItem {
                                key: k.clone(),
                                nested_key: vec![],
                                value_json,
                            })
                    })
                    .collect();
                self.write(RecordType::Config(proto::ConfigRecord {
                    update,
                    remove: vec![],
                    info: None,
                }));
            }
            Msg::Metric(def) => {
                let rec = def.to_record();
                self.metrics.define(*def);
                self.write(RecordType::Metric(rec));
            }
            Msg::Record(rt) => self.write(*rt),
            Msg::Flush(reply) => {
                self.flush();
                let _ = reply.send(());
            }
            Msg::Finish {
                exit_code,
                elapsed,
                reply,
            } => {
                self.commit_pending();
                self.last_elapsed = self.last_elapsed.max(elapsed);
                self.write_summary();
                self.write(RecordType::Exit(proto::RunExitRecord {
                    exit_code,
                    runtime: elapsed as i32,
                    not_complete: false,
                    info: None,
                }));
                self.flush();
                if let Some(w) = self.writer.as_mut() {
                    if let Err(e) = w.sync() {
                        self.fail(format!("cannot sync {}: {e}", self.target));
                    }
                }
                self.report.sampled_history = self.sampler.samples();
                let _ = reply.send(std::mem::take(&mut self.report));
                return true;
            }
        }
        false
    }

    fn log(&mut self, row: Row, step: u64, commit: bool, elapsed_ns: u64) {
        if self.pending.as_ref().is_some_and(|p| p.step != step) {
            self.commit_pending();
        }
        let p = self.pending.get_or_insert_with(|| Pending {
            step,
            items: Vec::new(),
            elapsed_ns,
        });
        p.elapsed_ns = elapsed_ns;
        let mut items = row.items;
        if p.items.is_empty() {
            std::mem::swap(&mut p.items, &mut items);
        } else {
            p.items.append(&mut items);
        }
        row_pool::recycle(items, &mut self.spares);
        if commit {
            self.commit_pending();
        }
    }

    fn commit_pending(&mut self) {
        let Some(mut p) = self.pending.take() else {
            return;
        };
        dedup_last_wins(&mut p.items);
        self.metrics.sync_steps(&mut p.items);
        // `_runtime` in nanoseconds and `_timestamp` in microseconds (the
        // official client's runtime is nanoseconds too; a timestamp double
        // has about 0.24 µs of resolution anyway), written from the
        // integers; values the row sets itself are written as given.
        let mut runtime = Stamp::scaled(p.elapsed_ns, 9);
        let mut timestamp = Stamp::scaled(
            self.start_unix_ns
                .saturating_add(p.elapsed_ns)
                .saturating_add(500)
                / 1000,
            6,
        );
        // Only `_timestamp` and `_runtime` may start with '_' (validated).
        if p.items.iter().any(|(k, _)| k.starts_with('_')) {
            if let Some(t) = take_key(&mut p.items, "_timestamp").and_then(|v| v.as_f64()) {
                timestamp = Stamp::Given(t);
            }
            if let Some(r) = take_key(&mut p.items, "_runtime").and_then(|v| v.as_f64()) {
                runtime = Stamp::Given(r);
            }
        }
        let (runtime_value, timestamp_value) = (runtime.value(), timestamp.value());
        self.last_elapsed = self.last_elapsed.max(runtime_value);
        let mut side = Vec::new();
        self.enc.begin();
        let mut items = std::mem::take(&mut p.items);
        // Materialise media first (writes files, collects side records).
        for (key, value) in items.iter_mut() {
            if value.contains_media() {
                let v = std::mem::take(value);
                match self.materialize(key, v, MediaStep::Step(p.step), &mut side) {
                    Some(v) => *value = v,
                    None => *value = Value::Null,
                }
            }
        }
        let metrics_empty = self.metrics.is_empty();
        if metrics_empty {
            // Summary leaves come from the stashed row (see `SummaryStash`).
            for (key, value) in items.iter_mut() {
                if let Err(e) = self.enc.push_value(key, value, &mut |_, _| {}) {
                    self.report.dropped_values += 1;
                    tracing::warn!(key = %key, error = %e, "value dropped from history");
                    *value = Value::Null;
                }
            }
        } else {
            self.stash.fold(&mut self.summary_dirty, &mut self.spares);
        }
        let mut slots = 2usize; // slots 0..=2: _step, _runtime, _timestamp
        let mut summary_leaves: Vec<(String, Value)> = Vec::new();
        if !metrics_empty {
            let dirty = &mut self.summary_dirty;
            let key_buf = &mut self.key_buf;
            let metrics = &mut self.metrics;
            let slot = &mut slots;
            for (key, value) in &items {
                let res = self.enc.push_value(key, value, &mut |path, v| {
                    if v.is_null() {
                        return;
                    }
                    if path.len() == 1 {
                        if let Some(s) = metrics.summarize(path[0], v) {
                            summary_leaves.push((path[0].to_owned(), s));
                        }
                        return;
                    }
                    *slot += 1;
                    join_path(path, key_buf);
                    dirty.set_at(*slot, key_buf, Some(v.clone()));
                });
                if let Err(e) = res {
                    self.report.dropped_values += 1;
                    tracing::warn!(key = %key, error = %e, "value dropped from history");
                }
            }
        }
        for (k, v) in summary_leaves {
            self.summary_dirty.set(&k, Some(v));
        }
        self.enc.push_scalar(&["_step"], &Value::UInt(p.step));
        runtime.push(&mut self.enc, "_runtime");
        timestamp.push(&mut self.enc, "_timestamp");
        for rt in side {
            self.write(rt);
        }
        self.num += 1;
        let mut enc = std::mem::take(&mut self.enc);
        self.append(enc.finish(self.num, p.step));
        self.enc = enc;
        self.report.history_rows += 1;
        for (key, value) in &items {
            self.sampler.add(key, value);
        }
        self.stash.set_meta(p.step, runtime_value, timestamp_value);
        if metrics_empty {
            self.stash
                .stash(items, &mut self.summary_dirty, &mut self.spares);
        } else {
            row_pool::recycle(items, &mut self.spares);
        }
    }

    /// Turns media inside `value` into files + JSON; `None` if it failed.
    fn materialize(
        &mut self,
        key: &str,
        value: Value,
        step: MediaStep,
        side: &mut Vec<RecordType>,
    ) -> Option<Value> {
        match materialize_value(key, value, step, &self.files_dir, &self.info, side) {
            Ok(v) => Some(v),
            Err(e) => {
                self.report.dropped_values += 1;
                tracing::error!(key = %key, error = %e, "cannot write media value; it was left out");
                if self.report.error.is_none() {
                    self.report.error = Some(format!("media value {key:?}: {e}"));
                }
                None
            }
        }
    }

    fn write_summary(&mut self) {
        self.stash.fold(&mut self.summary_dirty, &mut self.spares);
        if self.summary_dirty.is_empty() {
            return;
        }
        let mut update = Vec::with_capacity(self.summary_dirty.len() + 1);
        let mut remove = Vec::new();
        let mut mirror = self.summary_mirror.lock();
        for (joined, value) in self.summary_dirty.drain() {
            let path: Vec<String> = joined.split(PATH_SEP).map(str::to_owned).collect();
            match value {
                Some(v) => {
                    let Ok(value_json) = json::to_json_string(&v) else {
                        continue;
                    };
                    set_path(&mut mirror, &path, v);
                    update.push(proto::SummaryItem {
                        key: String::new(),
                        nested_key: path,
                        value_json,
                    });
                }
                None => {
                    remove_path(&mut mirror, &path);
                    remove.push(proto::SummaryItem {
                        key: String::new(),
                        nested_key: path,
                        value_json: String::new(),
                    });
                }
            }
        }
        drop(mirror);
        update.push(proto::SummaryItem {
            key: String::new(),
            nested_key: vec!["_wandb".into(), "runtime".into()],
            value_json: format!("{}", self.last_elapsed as i64),
        });
        self.write(RecordType::Summary(proto::SummaryRecord {
            update,
            remove,
            info: None,
        }));
    }

    fn flush(&mut self) {
        self.write_summary();
        if let Some(w) = self.writer.as_mut() {
            if let Err(e) = w.flush() {
                self.fail(format!("cannot write {}: {e}", self.target));
            }
        }
        self.last_flush = Instant::now();
        if let Some(cb) = &self.on_flush {
            cb();
        }
    }

    fn write(&mut self, rt: RecordType) {
        self.num += 1;
        let rec = proto::Record {
            num: self.num,
            record_type: Some(rt),
            ..Default::default()
        };
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        if rec.encode(&mut buf).is_ok() {
            self.append(&buf);
        }
        self.buf = buf;
    }

    fn append(&mut self, payload: &[u8]) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        match w.append(payload) {
            Ok(()) => {
                self.report.records += 1;
                self.report.bytes = w.bytes_written();
            }
            Err(e) => {
                let msg = format!("cannot write {}: {e}", self.target);
                self.fail(msg);
            }
        }
    }

    /// Stops writing after an I/O error; what is already on disk stays valid.
    fn fail(&mut self, msg: String) {
        tracing::error!("{msg}; later records are not written");
        if self.report.error.is_none() {
            self.report.error = Some(msg);
        }
        self.writer = None;
    }
}

struct CloseOnDrop(Arc<Queue>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Materialises every media object inside `value` (recursively).
fn materialize_value(
    key: &str,
    value: Value,
    step: MediaStep,
    files_dir: &std::path::Path,
    info: &RunInfo,
    side: &mut Vec<RecordType>,
) -> crate::Result<Value> {
    match value {
        Value::Media(m) => {
            let mut ctx = MediaContext::new(files_dir, key, step, info, side);
            m.materialize(&mut ctx)
        }
        Value::Map(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                let v = if v.contains_media() {
                    materialize_value(key, v, step, files_dir, info, side)?
                } else {
                    v
                };
                out.insert(k, v);
            }
            Ok(Value::Map(out))
        }
        Value::List(list) => list
            .into_iter()
            .map(|v| materialize_value(key, v, step, files_dir, info, side))
            .collect::<crate::Result<Vec<_>>>()
            .map(Value::List),
        other => Ok(other),
    }
}
