//! `wandb-rs inspect` against the official reader, `wandb leet inspect
//! --json` / `--summary --json` (wandb 0.31.0): the same records, record by
//! record, and the same overview, for the golden runs of the official
//! client, for runs we write, and for truncated and bit-flipped files.
//!
//! Compared as parsed JSON with every number as f64 (`1` and `1.0` are the
//! same value). One documented difference: telemetry fields that wandb-rs's
//! record schema does not have (`imports_init`, `imports_finish`, ...) are
//! not printed, so they are left out of the official telemetry records.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use wandb_test_support::{
    clear_wandb_env, leet_inspect, leet_inspect_lenient, leet_summary, ScratchDir,
};

/// `tests/fixtures`, from this crate's own manifest path (a shared target
/// directory can hold a test-support build made in another checkout).
fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn inspect(args: &[&str], path: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wandb-rs"));
    clear_wandb_env(&mut c).arg("inspect").args(args).arg(path);
    c.output().expect("run wandb-rs inspect")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Numbers as f64, so that `1` and `1.0` compare equal.
fn norm(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), norm(v))).collect()),
        other => other.clone(),
    }
}

/// The official record without the telemetry fields our schema lacks.
fn official_comparable(mut r: Value) -> Value {
    const KNOWN: [&str; 6] = [
        "python_version",
        "cli_version",
        "core_version",
        "platform",
        "feature",
        "env",
    ];
    for at in ["/telemetry", "/run/telemetry"] {
        if let Some(m) = r.pointer_mut(at).and_then(Value::as_object_mut) {
            m.retain(|k, _| KNOWN.contains(&k.as_str()));
        }
    }
    r
}

fn assert_same_records(official: Vec<Value>, ours: Vec<Value>, what: &str) {
    assert!(
        !official.is_empty(),
        "{what}: the official reader read nothing"
    );
    assert_eq!(official.len(), ours.len(), "{what}: record count");
    for (i, (o, u)) in official.into_iter().zip(ours).enumerate() {
        assert_eq!(
            norm(&official_comparable(o)),
            norm(&u),
            "{what}: record {} differs",
            i + 1
        );
    }
}

fn assert_same_as_official(path: &Path) {
    let what = path.display().to_string();
    let out = inspect(&["--strict"], path);
    assert!(out.status.success(), "{what}: {out:?}");
    assert!(
        out.stderr.is_empty(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_records(leet_inspect(path), lines(&out), &what);

    let out = inspect(&["--summary"], path);
    assert!(out.status.success(), "{what}: {out:?}");
    let ours: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    let official = leet_summary(path);
    assert_eq!(norm(&official), norm(&ours), "{what}: summary differs");
}

fn golden_files() -> Vec<PathBuf> {
    let f = fixtures_dir();
    let mut files = vec![
        f.join("core/minimal_run/run-minrun01.wandb"),
        f.join("core/run-onlinerun1.wandb"),
    ];
    for name in ["mediarun1", "watchrun1", "statsrun1", "tbrun1"] {
        files.push(f.join(format!("export/run-{name}.wandb")));
    }
    files
}

#[test]
fn golden_runs_read_like_the_official_reader() {
    for file in golden_files() {
        assert_same_as_official(&file);
    }
}

#[test]
fn a_run_directory_is_read_through_its_wandb_file() {
    let tmp = ScratchDir::new("inspect-dir");
    let dir = tmp.path().join("offline-run-20261121_235005-minrun01");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&golden_files()[0], dir.join("run-minrun01.wandb")).unwrap();
    let from_dir = inspect(&[], &dir);
    let from_file = inspect(&[], &dir.join("run-minrun01.wandb"));
    assert!(from_dir.status.success());
    assert_eq!(from_dir.stdout, from_file.stdout);
    assert_eq!(lines(&from_dir).len(), 29);
}

const CHILD: &str = "WANDB_RS_INSPECT_CHILD_DIR";

/// Writes a run with every kind of record we produce: config, scalars,
/// nested values, NaN, media, a table, a histogram, console output, system
/// metrics, summary updates and a metric definition.
fn write_own_run(dir: &Path) {
    let run = wandb::init(
        wandb::InitOptions::new()
            .dir(dir)
            .mode(wandb::Mode::Offline)
            .project("inspect-own")
            .config(&serde_json::json!({"lr": 0.01, "layers": [8, 4], "opt": {"name": "adam"}}))
            .console(wandb::Console::Redirect)
            .system_metrics(true)
            .with(|s| s.stats_sampling_interval = Duration::from_millis(100))
            .environment([("HOME", dir.join("home").display().to_string())]),
    )
    .unwrap();
    run.define_metric(wandb::MetricDefinition::new("loss").summary(wandb::MetricSummary::Min))
        .unwrap();
    println!("starting training");
    for i in 0..5i64 {
        let mut row = wandb::row! {
            "loss" => 1.0 / (i as f64 + 1.0),
            "acc" => i,
            "flag" => i % 2 == 0,
            "name" => format!("r{i}"),
            "nested" => serde_json::json!({"a": i * 2, "b": {"c": 0.5}}),
        };
        if i == 2 {
            row.insert("nan", f64::NAN);
            row.insert(
                "img",
                wandb::Value::media(wandb::Image::from_rgb8(2, 2, &[255; 12]).unwrap()),
            );
            row.insert(
                "hist",
                wandb::Value::media(wandb::Histogram::from_f64(&[1.0, 2.0, 2.0, 3.0]).unwrap()),
            );
            let mut t = wandb::Table::new(["a", "b"]);
            t.add_row(vec![wandb::data_types::Cell::from(1i64), "x".into()])
                .unwrap();
            row.insert("tbl", wandb::Value::media(t));
        }
        run.log(row).unwrap();
        eprintln!("step {i} done");
    }
    run.summary().set("best", 0.9).unwrap();
    run.config().set("extra", "late").unwrap();
    std::thread::sleep(Duration::from_millis(400));
    print!("no newline at the end");
    run.finish().unwrap();
}

#[test]
fn own_runs_read_like_the_official_reader() {
    if let Some(dir) = std::env::var_os(CHILD) {
        write_own_run(Path::new(&dir));
        return;
    }
    let tmp = ScratchDir::new("inspect-own");
    let mut c = Command::new(std::env::current_exe().unwrap());
    clear_wandb_env(&mut c)
        .args([
            "--exact",
            "own_runs_read_like_the_official_reader",
            "--nocapture",
        ])
        .env(CHILD, tmp.path());
    let out = c.output().unwrap();
    assert!(out.status.success(), "child run failed: {out:?}");
    let run_dir = std::fs::read_dir(tmp.path().join("wandb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("offline-run-")
        })
        .expect("run directory");
    let file = wandb_export::resolve_wandb_file(&run_dir).unwrap();
    assert_same_as_official(&file);
    // the records we meant to write are there
    let records = lines(&inspect(&[], &file));
    let types: Vec<&str> = records.iter().filter_map(|r| r["type"].as_str()).collect();
    for t in [
        "run",
        "config",
        "history",
        "summary",
        "stats",
        "output_raw",
        "metric",
        "exit",
    ] {
        assert!(types.contains(&t), "no {t} record in {types:?}");
    }
    let summary: Value = serde_json::from_slice(&inspect(&["--summary"], &file).stdout).unwrap();
    assert_eq!(summary["state"], "finished");
    assert_eq!(summary["step"], 4);
    assert_eq!(summary["config"]["opt"]["name"], "adam");
    assert_eq!(summary["config"]["extra"], "late");
    assert_eq!(summary["summary"]["best"], 0.9);
    let console: Vec<&str> = summary["console"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_str().unwrap())
        .collect();
    assert!(console.contains(&"starting training"), "{console:?}");
    assert!(console.contains(&"step 4 done"), "{console:?}");
}

/// A copy of the golden media run (two 32 KiB blocks) changed by `damage`.
fn damaged(tmp: &Path, name: &str, damage: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(fixtures_dir().join("export/run-mediarun1.wandb")).unwrap();
    damage(&mut bytes);
    let path = tmp.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn assert_damaged_like_official(path: &Path, expect_offset: u64) {
    let (official, official_err) = leet_inspect_lenient(path);
    assert!(
        !official_err.is_empty(),
        "the official reader saw no problem"
    );
    let out = inspect(&[], path);
    assert!(
        out.status.success(),
        "without --strict the readable records are printed: {out:?}"
    );
    assert_same_records(official, lines(&out), &path.display().to_string());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("byte offset {expect_offset}")),
        "stderr does not say where: {err}"
    );
    let strict = inspect(&["--strict"], path);
    assert!(!strict.status.success(), "--strict must fail");
    assert_eq!(
        strict.stdout, out.stdout,
        "--strict still prints every readable record"
    );
}

#[test]
fn truncated_file_gives_every_readable_record_and_says_where_it_ends() {
    let tmp = ScratchDir::new("inspect-trunc");
    let path = damaged(tmp.path(), "run-trunc.wandb", |b| b.truncate(20_000));
    // the record cut at 20 000 starts at a chunk before it
    let (_, err) = leet_inspect_lenient(&path);
    assert!(err.contains("incomplete"), "{err}");
    let out = inspect(&[], &path);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let offset: u64 = stderr
        .split("byte offset ")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no offset in {stderr}"));
    assert!(offset < 20_000, "{stderr}");
    assert_damaged_like_official(&path, offset);
}

#[test]
fn bit_flipped_chunk_is_skipped_with_its_offset() {
    let tmp = ScratchDir::new("inspect-flip");
    // find the chunk holding byte 10 000 by walking the chunk headers
    let bytes = std::fs::read(fixtures_dir().join("export/run-mediarun1.wandb")).unwrap();
    let mut pos = 7usize;
    let chunk = loop {
        let len = u16::from_le_bytes([bytes[pos + 4], bytes[pos + 5]]) as usize;
        if pos + 7 + len > 10_000 {
            break pos;
        }
        pos += 7 + len;
        if 32768 - pos % 32768 < 7 {
            pos += 32768 - pos % 32768;
        }
    };
    let path = damaged(tmp.path(), "run-flip.wandb", |b| b[chunk + 8] ^= 0x40);
    assert_damaged_like_official(&path, chunk as u64);
}
