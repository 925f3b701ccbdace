//! Capture mode: [`capture_run`] starts a real [`Run`] whose records stay in
//! memory, and [`Capture`] reads them back for assertions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use prost::Message as _;
use wandb_core::proto::{self, record::RecordType};
use wandb_core::{InitOptions, Map, Mode, Run, Value, WeakRun};

use crate::error::{Error, Result};
use crate::sink::MemorySink;

/// Starts a run that keeps its records in memory, and the [`Capture`] that
/// reads them. The run is a real [`wandb_core::Run`] (same writer thread,
/// same records as a `.wandb` file), so code under test needs no change.
///
/// `options` are applied as given, then made hermetic and offline: the mode
/// is [`Mode::Offline`], settings come only from `options` (no `WANDB_*`
/// variable, settings file or netrc of the machine is read), system metrics
/// are off (they make records depend on the machine), and nothing is written
/// to disk: no run directory, no console capture. Media values (images,
/// tables) are files by nature: they go under a temporary directory that
/// exists only once one is logged, and the [`Capture`] deletes it when
/// dropped.
///
/// ```
/// let (run, capture) = wandb_testkit::capture_run(
///     wandb_core::InitOptions::new().project("demo"),
/// )?;
/// for step in 0..3 {
///     run.log(serde_json::json!({"loss": 1.0 / (step as f64 + 1.0)}))?;
/// }
/// run.finish()?;
/// assert_eq!(capture.scalars("loss"), vec![(0, 1.0), (1, 0.5), (2, 1.0 / 3.0)]);
/// assert_eq!(capture.summary()["loss"].as_f64(), Some(1.0 / 3.0));
/// # Ok::<(), wandb_testkit::Error>(())
/// ```
pub fn capture_run(options: InitOptions) -> Result<(Run, Capture)> {
    let root = std::env::temp_dir().join(format!(
        "wandb-testkit-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let home = root.join("home").display().to_string();
    let options = options
        .mode(Mode::Offline)
        .dir(&root)
        .system_metrics(false)
        .environment([("HOME", home)]);
    let (sink, records) = MemorySink::new();
    let run = wandb_core::init_with_sink(options, Box::new(sink)).map_err(Error::Init)?;
    let capture = Capture {
        records,
        run: run.downgrade(),
        files_dir: run.files_dir().to_path_buf(),
        root,
    };
    Ok((run, capture))
}

/// What a capture run logged, decoded for assertions. Each accessor first
/// flushes the run if it is still open, so it sees everything logged before
/// the call; after `finish` it sees the final summary and the exit record.
///
/// Values are [`wandb_core::Value`]s parsed from the records' JSON (`NaN`
/// and `±Infinity` included); nested keys become nested maps.
pub struct Capture {
    records: Arc<Mutex<Vec<Vec<u8>>>>,
    run: WeakRun,
    files_dir: PathBuf,
    root: PathBuf,
}

impl Capture {
    fn sync(&self) {
        if let Some(run) = self.run.upgrade() {
            // `Finished` (or a stopped writer) means there is nothing to wait for.
            let _ = run.flush();
        }
    }

    /// Every record in order, as the `.wandb` file would hold them (header,
    /// run, environment, telemetry, history, summary, ..., exit).
    pub fn records(&self) -> Vec<proto::Record> {
        self.sync();
        self.records
            .lock()
            .iter()
            // Written by wandb-core's own encoder: decoding cannot fail; an
            // undecodable payload would be left out rather than panic.
            .filter_map(|bytes| proto::Record::decode(bytes.as_slice()).ok())
            .collect()
    }

    /// The serialised records, byte for byte the payloads a `.wandb` file
    /// frames.
    pub fn raw_records(&self) -> Vec<Vec<u8>> {
        self.sync();
        self.records.lock().clone()
    }

    fn of_type<T>(&self, pick: impl Fn(RecordType) -> Option<T>) -> Vec<T> {
        self.records()
            .into_iter()
            .filter_map(|r| r.record_type.and_then(&pick))
            .collect()
    }

    /// The history rows in order, each with its `_step`, `_runtime` and
    /// `_timestamp`.
    pub fn history(&self) -> Vec<Map> {
        self.of_type(|rt| match rt {
            RecordType::History(h) => Some(h),
            _ => None,
        })
        .into_iter()
        .map(|h| {
            let mut row = Map::new();
            for item in h.item {
                set_item(&mut row, &item.key, &item.nested_key, &item.value_json);
            }
            row
        })
        .collect()
    }

    /// `(step, value)` of every row that has the top-level key `key`.
    pub fn history_of(&self, key: &str) -> Vec<(u64, Value)> {
        self.history()
            .into_iter()
            .filter_map(|mut row| {
                let step = row.get("_step").and_then(step_of)?;
                row.swap_remove(key).map(|v| (step, v))
            })
            .collect()
    }

    /// `(step, number)` of every row where `key` is a number (integers
    /// included; `NaN` and infinities as such).
    pub fn scalars(&self, key: &str) -> Vec<(u64, f64)> {
        self.history_of(key)
            .into_iter()
            .filter_map(|(step, v)| v.as_f64().map(|x| (step, x)))
            .collect()
    }

    /// The run summary: every summary record applied in order.
    pub fn summary(&self) -> Map {
        let mut summary = Map::new();
        for s in self.of_type(|rt| match rt {
            RecordType::Summary(s) => Some(s),
            _ => None,
        }) {
            for item in s.update {
                set_item(&mut summary, &item.key, &item.nested_key, &item.value_json);
            }
            for item in s.remove {
                remove_item(&mut summary, &item.key, &item.nested_key);
            }
        }
        summary
    }

    /// The run config: the run record's config, then every config record.
    pub fn config(&self) -> Map {
        let mut config = Map::new();
        let mut apply = |c: proto::ConfigRecord| {
            for item in c.update {
                set_item(&mut config, &item.key, &item.nested_key, &item.value_json);
            }
            for item in c.remove {
                remove_item(&mut config, &item.key, &item.nested_key);
            }
        };
        for rt in self.records().into_iter().filter_map(|r| r.record_type) {
            match rt {
                RecordType::Run(run) => {
                    if let Some(c) = run.config {
                        apply(c);
                    }
                }
                RecordType::Config(c) => apply(c),
                _ => {}
            }
        }
        config
    }

    /// The metric definitions (`define_metric`), in order.
    pub fn metric_definitions(&self) -> Vec<proto::MetricRecord> {
        self.of_type(|rt| match rt {
            RecordType::Metric(m) => Some(m),
            _ => None,
        })
    }

    /// Paths (relative to the run's `files/`) of every file the run
    /// recorded, in order and without repeats: media, checkpoints, ...
    pub fn files(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in self.of_type(|rt| match rt {
            RecordType::Files(f) => Some(f),
            _ => None,
        }) {
            for item in f.files {
                if !out.contains(&item.path) {
                    out.push(item.path);
                }
            }
        }
        out
    }

    /// The bytes of a recorded file (see [`Capture::files`]).
    pub fn file(&self, path: &str) -> Result<Vec<u8>> {
        self.sync();
        let full = self.files_dir.join(path);
        std::fs::read(&full).map_err(|source| Error::File { path: full, source })
    }

    /// The artifact records (e.g. the `run_table` artifacts of tables).
    pub fn artifacts(&self) -> Vec<proto::ArtifactRecord> {
        self.of_type(|rt| match rt {
            RecordType::Artifact(a) => Some(a),
            _ => None,
        })
    }

    /// The exit code, once the run finished.
    pub fn exit_code(&self) -> Option<i32> {
        self.of_type(|rt| match rt {
            RecordType::Exit(e) => Some(e.exit_code),
            _ => None,
        })
        .pop()
    }

    /// Where media files of the run go (created only by the first one).
    pub fn files_dir(&self) -> &Path {
        &self.files_dir
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("records", &self.records.lock().len())
            .field("files_dir", &self.files_dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if self.root.exists() {
            if let Err(e) = std::fs::remove_dir_all(&self.root) {
                eprintln!("wandb-testkit: cannot remove {}: {e}", self.root.display());
            }
        }
    }
}

fn step_of(v: &Value) -> Option<u64> {
    match v {
        Value::UInt(u) => Some(*u),
        Value::Int(i) => u64::try_from(*i).ok(),
        _ => None,
    }
}

fn path<'a>(key: &'a str, nested: &'a [String]) -> Vec<&'a str> {
    if nested.is_empty() {
        vec![key]
    } else {
        nested.iter().map(String::as_str).collect()
    }
}

/// Sets `value_json` at the item's key path (a value that is not valid W&B
/// JSON is kept as a string).
fn set_item(map: &mut Map, key: &str, nested: &[String], value_json: &str) {
    let value =
        wandb_core::json::parse(value_json).unwrap_or_else(|_| Value::Str(value_json.to_owned()));
    let path = path(key, nested);
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = map;
    for p in parents {
        let slot = cur
            .entry((*p).to_owned())
            .or_insert_with(|| Value::Map(Map::new()));
        if !matches!(slot, Value::Map(_)) {
            *slot = Value::Map(Map::new());
        }
        let Value::Map(next) = slot else {
            return;
        };
        cur = next;
    }
    cur.insert((*last).to_owned(), value);
}

fn remove_item(map: &mut Map, key: &str, nested: &[String]) {
    let path = path(key, nested);
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = map;
    for p in parents {
        match cur.get_mut(*p) {
            Some(Value::Map(next)) => cur = next,
            _ => return,
        }
    }
    cur.shift_remove(*last);
}
