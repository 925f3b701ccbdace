//! The cross-framework workflow matrix (burn, candle, tch): one set of
//! checks for every end-to-end training workflow, whatever framework trained
//! it and whether the run was offline or online.
//!
//! A workflow test describes what its run must hold in an [`Expected`],
//! then:
//! - [`check_run_file`] reads the run's `.wandb` file with the official
//!   reader (`wandb leet inspect`) and asserts every expected metric row,
//!   every `watch` step's histograms for every named parameter (exact
//!   element counts, 64 bins), the tables and charts of the last row, the
//!   summary, the config and the finished state;
//! - [`check_upload`] asserts that what a server received (the fake server
//!   of an online run, or the reference mock after the official
//!   `wandb sync` of an offline run) is the same history, summary and exit
//!   code;
//! - a [`Cell`] records the outcome (pass/fail, seconds, rows, bytes) under
//!   `<target dir>/workflow-matrix/`, one file per workflow × framework ×
//!   mode so that parallel tests never write the same file, and prints the
//!   matrix of every cell found there.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Map, Value};

/// One history row as the official reader prints it: nested keys joined
/// with `.` (`gradients/fc1.weight.values`).
pub type Row = Map<String, Value>;

/// How the workflow's run was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Written to disk, then uploaded with the official `wandb sync`.
    Offline,
    /// Streamed to the fake W&B server while training.
    Online,
}

impl RunMode {
    /// `offline` or `online`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Offline => "offline",
            RunMode::Online => "online",
        }
    }
}

/// What a workflow's run must contain.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// History rows in all.
    pub rows: usize,
    /// The key that marks a training-batch row (`batch/loss`, `train/Loss`).
    pub batch_marker: String,
    /// The global step key of batch rows; batch row `i` has step `i + 1`.
    pub step_key: String,
    /// Training steps (batch rows).
    pub steps: u64,
    /// Finite numbers in every batch row.
    pub batch_metrics: Vec<String>,
    /// The key that marks an epoch row (`epoch/val_loss`, `valid/Loss`).
    pub epoch_marker: String,
    /// The `epoch` value of each epoch row, in order.
    pub epochs: Vec<u64>,
    /// Finite numbers in every epoch row.
    pub epoch_metrics: Vec<String>,
    /// Every watched parameter with its element count.
    pub params: Vec<(String, usize)>,
    /// The histogram kinds `watch` logs (`gradients`, `parameters`).
    pub kinds: Vec<String>,
    /// The steps whose batch row carries the histograms.
    pub watch_steps: Vec<u64>,
    /// Media of the last row: key and `_type` (`table-file`, ...).
    pub media: Vec<(String, String)>,
    /// Keys the summary must have (besides histograms and media).
    pub summary_keys: Vec<String>,
    /// Config entries (plain values).
    pub config: Vec<(String, Value)>,
}

/// What [`check_run_file`] read back.
#[derive(Debug, Clone)]
pub struct ReadBack {
    /// Every history row.
    pub rows: Vec<Row>,
    /// Every record of the official reader.
    pub records: Vec<Value>,
    /// The official reader's `--summary` object (state, summary, config...).
    pub summary: Value,
    /// Size of the `.wandb` file.
    pub bytes: u64,
}

impl ReadBack {
    /// The batch rows (those with `exp.batch_marker`).
    pub fn batch_rows<'a>(&'a self, exp: &Expected) -> Vec<&'a Row> {
        marked(&self.rows, &exp.batch_marker)
    }
    /// The epoch rows (those with `exp.epoch_marker`).
    pub fn epoch_rows<'a>(&'a self, exp: &Expected) -> Vec<&'a Row> {
        marked(&self.rows, &exp.epoch_marker)
    }
}

fn marked<'a>(rows: &'a [Row], key: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r.contains_key(key)).collect()
}

fn finite(row: &Row, key: &str, what: &str) -> f64 {
    let v = row.get(key).and_then(Value::as_f64);
    match v {
        Some(v) if v.is_finite() => v,
        _ => panic!("{what}: {key} is not a finite number: {row:?}"),
    }
}

/// Asserts the shape of the histogram under `key` in `row` (`_type`,
/// 64 bins with 65 sorted edges, or one bin when min == max) and returns
/// its total count.
pub fn histogram_total(row: &Row, key: &str) -> u64 {
    assert_eq!(
        row.get(&format!("{key}._type")),
        Some(&Value::from("histogram")),
        "{key}"
    );
    let counts: Vec<u64> = row[&format!("{key}.values")]
        .as_array()
        .unwrap_or_else(|| panic!("{key}.values"))
        .iter()
        .map(|c| c.as_u64().unwrap_or_else(|| panic!("{key}: count {c}")))
        .collect();
    let bins: Vec<f64> = row[&format!("{key}.bins")]
        .as_array()
        .unwrap_or_else(|| panic!("{key}.bins"))
        .iter()
        .map(|b| b.as_f64().unwrap_or_else(|| panic!("{key}: edge {b}")))
        .collect();
    if counts.len() == 1 {
        assert_eq!(bins.len(), 2, "{key}: min == max");
    } else {
        assert_eq!((counts.len(), bins.len()), (64, 65), "{key}");
        assert!(bins.windows(2).all(|w| w[0] <= w[1]), "{key}: sorted edges");
    }
    counts.iter().sum()
}

/// Reads `file` with the official reader and asserts everything `exp`
/// lists; returns what it read for the workflow's own checks.
pub fn check_run_file(file: &Path, exp: &Expected) -> ReadBack {
    let records = crate::leet_inspect(file);
    let rows: Vec<Row> = records
        .iter()
        .filter(|r| r["type"] == "history")
        .map(|r| {
            r["history"]["item"]
                .as_object()
                .cloned()
                .expect("history items")
        })
        .collect();
    assert_eq!(rows.len(), exp.rows, "history rows: {rows:?}");

    let batches = marked(&rows, &exp.batch_marker);
    assert_eq!(batches.len() as u64, exp.steps, "batch rows");
    let mut watched = Vec::new();
    for (i, r) in batches.iter().enumerate() {
        let step = i as u64 + 1;
        assert_eq!(r.get(&exp.step_key), Some(&Value::from(step)), "{r:?}");
        for m in &exp.batch_metrics {
            finite(r, m, &format!("step {step}"));
        }
        let hists = r.keys().filter(|k| k.ends_with("._type")).count();
        if hists == 0 {
            continue;
        }
        watched.push(step);
        assert_eq!(
            hists,
            exp.kinds.len() * exp.params.len(),
            "step {step}: {r:?}"
        );
        for (name, numel) in &exp.params {
            for kind in &exp.kinds {
                let key = format!("{kind}/{name}");
                assert_eq!(
                    histogram_total(r, &key),
                    *numel as u64,
                    "step {step}: {key}"
                );
            }
        }
    }
    assert_eq!(watched, exp.watch_steps, "watch steps");
    // No histogram outside the batch rows.
    let stray = rows
        .iter()
        .filter(|r| !r.contains_key(&exp.batch_marker))
        .flat_map(|r| r.keys())
        .filter(|k| k.ends_with("._type") && exp.params.iter().any(|(p, _)| k.contains(p.as_str())))
        .count();
    assert_eq!(stray, 0, "histograms outside batch rows");

    let epochs = marked(&rows, &exp.epoch_marker);
    let numbers: Vec<u64> = epochs
        .iter()
        .map(|r| r["epoch"].as_u64().expect("epoch"))
        .collect();
    assert_eq!(numbers, exp.epochs, "epoch rows");
    for (e, r) in epochs.iter().enumerate() {
        for m in &exp.epoch_metrics {
            finite(r, m, &format!("epoch row {e}"));
        }
    }
    if !exp.media.is_empty() {
        let last = rows.last().expect("a last row");
        for (key, ty) in &exp.media {
            assert_eq!(
                last.get(&format!("{key}._type")),
                Some(&Value::from(ty.as_str())),
                "{key}: {last:?}"
            );
        }
    }

    let summary = crate::leet_summary(file);
    assert_eq!(summary["state"], "finished", "{summary}");
    assert_eq!(summary["exit_code"], 0, "{summary}");
    let s = &summary["summary"];
    for key in &exp.summary_keys {
        assert!(
            s.get(key).is_some_and(|v| !v.is_null()),
            "summary lacks {key}: {s}"
        );
    }
    for (name, _) in &exp.params {
        for kind in &exp.kinds {
            assert_eq!(
                s[&format!("{kind}/{name}")]["_type"],
                "histogram",
                "summary {kind}/{name}"
            );
        }
    }
    for (key, ty) in &exp.media {
        assert_eq!(s[key]["_type"], ty.as_str(), "summary {key}");
    }
    assert_eq!(s[&exp.step_key], exp.steps, "summary {}", exp.step_key);
    for (key, value) in &exp.config {
        assert_eq!(&summary["config"][key], value, "config {key}");
    }
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    ReadBack {
        rows,
        records,
        summary,
        bytes,
    }
}

/// Flattens nested objects into `a.b` keys, as the official reader prints
/// history rows.
pub fn flatten(value: &Value) -> Row {
    fn walk(prefix: &str, v: &Value, out: &mut Row) {
        match v {
            Value::Object(m) if !prefix.is_empty() || !m.is_empty() => {
                for (k, x) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, x, out);
                }
            }
            _ => {
                out.insert(prefix.to_string(), v.clone());
            }
        }
    }
    let mut out = Row::new();
    walk("", value, &mut out);
    out
}

/// Equal, reading numbers as f64 (the reader and the server may print
/// the same double differently).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Asserts that a server received the run `read` holds: every history row
/// with the same keys and values, the summary's metrics, exit code 0.
/// `where_` names the server in messages.
pub fn check_upload(
    where_: &str,
    history: &[Value],
    summary: &Value,
    exitcode: Option<i64>,
    read: &ReadBack,
) {
    assert_eq!(history.len(), read.rows.len(), "{where_}: history rows");
    for (i, (sent, local)) in history.iter().zip(&read.rows).enumerate() {
        let sent = flatten(sent);
        let keys = |r: &Row| r.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&sent), keys(local), "{where_}: row {i} keys");
        for (k, v) in local {
            assert!(
                same(v, &sent[k]),
                "{where_}: row {i} {k}: sent {} != {v}",
                sent[k]
            );
        }
    }
    let local = &read.summary["summary"];
    for (k, v) in local.as_object().into_iter().flatten() {
        if k.starts_with('_') {
            continue;
        }
        let sent = summary
            .get(k)
            .unwrap_or_else(|| panic!("{where_}: summary lacks {k}: {summary}"));
        // Histograms and media: the same kind; metrics: the same value.
        match v.get("_type") {
            Some(ty) => assert_eq!(sent.get("_type"), Some(ty), "{where_}: summary {k}"),
            None => assert!(same(v, sent), "{where_}: summary {k}: sent {sent} != {v}"),
        }
    }
    assert_eq!(exitcode, Some(0), "{where_}: exit code");
}

/// The build's target directory (`target/`, or `$CARGO_TARGET_DIR`), found
/// from the running test binary (`<target>/<profile>/deps/<binary>`).
pub fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .filter(|d| d.join("CACHEDIR.TAG").exists() || d.join("debug").is_dir())
        .unwrap_or_else(|| crate::repo_root().join("target"))
}

/// `<target dir>/workflow-matrix`, where the cells are written.
pub fn matrix_dir() -> PathBuf {
    target_dir().join("workflow-matrix")
}

/// One cell of the matrix (workflow × framework × mode). Dropped without
/// [`Cell::pass`] (a failed assertion unwinding), it records a failure.
#[derive(Debug)]
pub struct Cell {
    workflow: String,
    framework: String,
    mode: RunMode,
    started: Instant,
    done: bool,
}

impl Cell {
    /// Starts timing a cell.
    pub fn start(workflow: &str, framework: &str, mode: RunMode) -> Self {
        Cell {
            workflow: workflow.into(),
            framework: framework.into(),
            mode,
            started: Instant::now(),
            done: false,
        }
    }

    /// Records a pass: `train_seconds` of the workflow itself (init to
    /// finish), `rows` history rows and the `.wandb` file's `bytes`.
    pub fn pass(mut self, train_seconds: f64, rows: usize, bytes: u64) {
        self.done = true;
        self.write(true, train_seconds, rows, bytes);
    }

    fn write(&self, pass: bool, train_seconds: f64, rows: usize, bytes: u64) {
        let cell = serde_json::json!({
            "workflow": self.workflow,
            "framework": self.framework,
            "mode": self.mode.as_str(),
            "result": if pass { "pass" } else { "fail" },
            "train_seconds": (train_seconds * 1000.0).round() / 1000.0,
            "total_seconds": (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            "rows": rows,
            "bytes": bytes,
            "finished_at_unix": std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        });
        let dir = matrix_dir();
        if let Err(e) = write_cell(
            &dir,
            &format!(
                "{}--{}--{}",
                self.workflow,
                self.framework,
                self.mode.as_str()
            ),
            &cell,
        ) {
            eprintln!("workflow matrix: cannot write under {}: {e}", dir.display());
            return;
        }
        let table = matrix_table(&dir);
        if let Err(e) = write_atomic(&dir.join("matrix.md"), table.as_bytes()) {
            eprintln!("workflow matrix: cannot write matrix.md: {e}");
        }
        eprintln!("workflow matrix ({}):\n{table}", dir.display());
    }
}

impl Drop for Cell {
    fn drop(&mut self) {
        if !self.done {
            self.write(false, 0.0, 0, 0);
        }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn write_cell(dir: &Path, name: &str, cell: &Value) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_vec_pretty(cell).map_err(std::io::Error::other)?;
    write_atomic(&dir.join(format!("{name}.json")), &json)?;
    let md = format!("{}\n{}\n", TABLE_HEADER, table_line(cell));
    write_atomic(&dir.join(format!("{name}.md")), md.as_bytes())
}

const TABLE_HEADER: &str = "| workflow | framework | mode | result | seconds (train) | seconds (with checks) | rows | bytes |\n|---|---|---|---|---|---|---|---|";

fn table_line(c: &Value) -> String {
    let s = |k: &str| c[k].as_str().unwrap_or("?").to_string();
    let n = |k: &str| c[k].to_string();
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        s("workflow"),
        s("framework"),
        s("mode"),
        s("result"),
        n("train_seconds"),
        n("total_seconds"),
        n("rows"),
        n("bytes")
    )
}

/// The Markdown table of every cell (`*.json`) in `dir`, sorted by
/// workflow, framework and mode.
pub fn matrix_table(dir: &Path) -> String {
    let mut cells: Vec<Value> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    let key = |c: &Value| format!("{}|{}|{}", c["workflow"], c["framework"], c["mode"]);
    cells.sort_by_key(key);
    let mut out = String::from(TABLE_HEADER);
    for c in &cells {
        out.push('\n');
        out.push_str(&table_line(c));
    }
    out.push('\n');
    out
}
