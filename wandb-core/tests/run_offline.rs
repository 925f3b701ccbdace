//! Offline runs written by wandb-rs, read back with our reader and checked
//! with the official reader (`wandb leet inspect` of wandb 0.31.0).

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;
use wandb_core::proto::record::RecordType;
use wandb_core::store::read_file;
use wandb_core::{
    init, json as wjson, row, Error, InitOptions, LogOptions, MetricDefinition, MetricSummary,
    Mode, OverflowPolicy, Run, StepPolicy, Value,
};
use wandb_test_support::{leet_inspect, leet_summary};

/// Options for a hermetic offline run under `dir` (no user settings read).
fn opts(dir: &Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Offline)
        .system_metrics(false)
        .environment([("HOME", dir.join("home").display().to_string())])
}

/// History rows of a run, as (item path joined with '.', parsed value) maps.
fn history(run_dir: &Path) -> Vec<HashMap<String, Value>> {
    let file = std::fs::read_dir(run_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wandb"))
        .unwrap();
    let out = read_file(&file).unwrap();
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    out.records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::History(h)) => Some(
                h.item
                    .into_iter()
                    .map(|i| (i.nested_key.join("."), wjson::parse(&i.value_json).unwrap()))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// The minimal run of the reference data, written with wandb-rs.
#[test]
fn minimal_run_reads_like_the_official_one() {
    let tmp = tempfile::tempdir().unwrap();
    #[derive(serde::Serialize)]
    struct Nested {
        a: i32,
        b: Vec<i32>,
    }
    #[derive(serde::Serialize)]
    struct Config {
        lr: f64,
        batch_size: u32,
        nested: Nested,
    }
    let run = init(
        opts(tmp.path())
            .project("fmt-test")
            .id("minrun01")
            .config(&Config {
                lr: 0.01,
                batch_size: 32,
                nested: Nested {
                    a: 1,
                    b: vec![1, 2],
                },
            }),
    )
    .unwrap();
    for step in 0..3 {
        run.log(json!({"loss": 1.0 / (step as f64 + 1.0), "acc": step as f64 * 0.1}))
            .unwrap();
    }
    run.log_with(json!({"only_once": "text"}), LogOptions::new().step(5))
        .unwrap();
    run.summary().set("best_acc", 0.9).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();

    let s = leet_summary(&dir);
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/core/minimal_run/leet_summary.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for key in [
        "config",
        "state",
        "exit_code",
        "project",
        "run_id",
        "step",
        "tags",
        "entity",
    ] {
        assert_eq!(s[key], golden[key], "{key}: ours {s:#}");
    }
    let (ours, theirs) = (&s["summary"], &golden["summary"]);
    for key in ["_step", "acc", "best_acc", "loss", "only_once"] {
        assert_eq!(ours[key], theirs[key], "summary {key}");
    }
    assert!(ours["_runtime"].as_f64().unwrap() >= 0.0);
    assert!(ours["_timestamp"].as_f64().unwrap() > 1.7e9);

    // The same rows through the official record reader.
    let records = leet_inspect(&dir);
    let rows: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["type"] == "history")
        .map(|r| &r["history"]["item"])
        .collect();
    assert_eq!(rows.len(), 4);
    let steps: Vec<i64> = rows.iter().map(|r| r["_step"].as_i64().unwrap()).collect();
    assert_eq!(steps, [0, 1, 2, 5]);
    assert_eq!(rows[1]["loss"], json!(0.5));
    assert_eq!(rows[3]["only_once"], json!("text"));
    assert_eq!(
        records.iter().filter(|r| r["type"] == "exit").count(),
        1,
        "one exit record"
    );
    // Our own reader agrees.
    let ours = history(&dir);
    assert_eq!(ours[2]["loss"], Value::Float(1.0 / 3.0));
    assert_eq!(ours[3]["_step"], Value::Int(5));
}

#[test]
fn tags_notes_group_job_type_and_name_reach_the_official_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        opts(tmp.path())
            .project("p")
            .name("display")
            .notes("some notes")
            .tags(["t1", "t2"])
            .group("grp")
            .job_type("train"),
    )
    .unwrap();
    run.log(row! {"x" => 1}).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let s = leet_summary(&dir);
    assert_eq!(s["tags"], json!(["t1", "t2"]));
    assert_eq!(s["notes"], json!("some notes"));
    assert_eq!(s["name"], json!("display"));
    let run_rec = leet_inspect(&dir)
        .into_iter()
        .find(|r| r["type"] == "run")
        .unwrap();
    assert_eq!(run_rec["run"]["run_group"], json!("grp"));
    assert_eq!(run_rec["run"]["job_type"], json!("train"));
}

#[test]
fn non_finite_values_nested_keys_and_partial_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path())).unwrap();
    run.log(row! {"nan" => f64::NAN, "inf" => f64::INFINITY, "ninf" => f64::NEG_INFINITY, "f32" => 0.1f32})
        .unwrap();
    run.log(json!({"nested": {"a": 1, "b": {"c": "deep"}}}))
        .unwrap();
    run.log_with(row! {"part" => 1}, LogOptions::new().commit(false))
        .unwrap();
    run.log(row! {"rest" => 2}).unwrap();
    run.log_with(row! {"x" => 1}, LogOptions::new().step(10).commit(true))
        .unwrap();
    assert_eq!(run.current_step(), 11);
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();

    let rows = history(&dir);
    assert_eq!(rows.len(), 4);
    assert!(matches!(rows[0]["nan"], Value::Float(f) if f.is_nan()));
    assert_eq!(rows[0]["inf"], Value::Float(f64::INFINITY));
    assert_eq!(rows[0]["ninf"], Value::Float(f64::NEG_INFINITY));
    assert_eq!(rows[0]["f32"], Value::Float(0.1));
    assert_eq!(rows[1]["nested.b.c"], Value::Str("deep".into()));
    assert_eq!(rows[2]["part"], Value::Int(1));
    assert_eq!(rows[2]["rest"], Value::Int(2));
    assert_eq!(rows[2]["_step"], Value::Int(2));
    assert_eq!(rows[3]["_step"], Value::Int(10));
    // The official reader accepts NaN/Infinity tokens and nested keys.
    let s = leet_summary(&dir);
    assert_eq!(s["summary"]["nested"]["b"]["c"], json!("deep"));
    assert_eq!(s["state"], json!("finished"));
}

#[test]
fn define_metric_min_summary_and_step_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path())).unwrap();
    run.define_metric(MetricDefinition::new("loss").summary(MetricSummary::Min))
        .unwrap();
    run.define_metric(MetricDefinition::new("val/*").step_metric("epoch"))
        .unwrap();
    for (i, loss) in [1.0, 0.25, 0.5].iter().enumerate() {
        run.log(row! {"loss" => *loss, "epoch" => i as i64})
            .unwrap();
    }
    run.log(row! {"val/acc" => 0.7}).unwrap();
    assert_eq!(
        run.summary().get("loss").unwrap(),
        Some(Value::Map(
            [("min".to_owned(), Value::Float(0.25))]
                .into_iter()
                .collect()
        ))
    );
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let rows = history(&dir);
    assert_eq!(
        rows[3]["epoch"],
        Value::Int(2),
        "step metric synced into the row"
    );
    let records = leet_inspect(&dir);
    let metrics: Vec<_> = records.iter().filter(|r| r["type"] == "metric").collect();
    assert_eq!(metrics.len(), 2);
    assert_eq!(metrics[1]["metric"]["glob_name"], json!("val/*"));
    assert_eq!(metrics[1]["metric"]["step_metric"], json!("epoch"));
    let s = leet_summary(&dir);
    assert_eq!(s["summary"]["loss"], json!({"min": 0.25}));
}

#[test]
fn bad_input_gets_clear_errors_and_keeps_logged_data() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).step_decrease(StepPolicy::Error)).unwrap();
    run.log(row! {"good" => 1}).unwrap();
    let e = run.log(row! {"" => 1}).unwrap_err();
    assert!(matches!(e, Error::InvalidKey { .. }), "{e}");
    let e = run.log(row! {"_secret" => 1}).unwrap_err().to_string();
    assert!(e.contains("reserved") && e.contains("_secret"), "{e}");
    let e = run.log(json!([1, 2])).unwrap_err().to_string();
    assert!(e.contains("object") && e.contains("array"), "{e}");
    let e = run.log(json!({"nested": {"": 1}})).unwrap_err();
    assert!(matches!(e, Error::InvalidKey { .. }));
    run.log(row! {"good" => 2}).unwrap();
    let e = run
        .log_with(row! {"late" => 1}, LogOptions::new().step(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("step 0 is lower than the current step 2"), "{e}");
    let e = run.config().update(&json!(3)).unwrap_err().to_string();
    assert!(e.contains("object"), "{e}");
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    assert!(matches!(run.log(row! {"x" => 1}), Err(Error::Finished)));
    let rows = history(&dir);
    assert_eq!(rows.len(), 2, "the good rows are all there");
    assert_eq!(rows[1]["good"], Value::Int(2));

    // A config that cannot be serialised fails at init, clearly.
    let mut bad = HashMap::new();
    bad.insert(vec![1u8], 1); // non-string map keys
    let e = init(opts(tmp.path()).config(&bad)).unwrap_err().to_string();
    assert!(e.contains("invalid config"), "{e}");

    // A directory that cannot be written.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let e = init(opts(&file)).unwrap_err().to_string();
    assert!(
        e.contains("cannot create run directory") && e.contains("WANDB_DIR"),
        "{e}"
    );
}

#[test]
fn warn_policy_drops_decreasing_steps_without_error() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).step_decrease(StepPolicy::Warn)).unwrap();
    run.log_with(row! {"a" => 1}, LogOptions::new().step(5).commit(true))
        .unwrap();
    run.log_with(row! {"a" => 2}, LogOptions::new().step(1))
        .unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    assert_eq!(history(&dir).len(), 1);
}

#[test]
fn dropping_the_last_handle_finishes_and_panics_mark_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path())).unwrap();
    let clone = run.clone();
    clone.log(row! {"a" => 1}).unwrap();
    let dir = run.dir().to_path_buf();
    drop(run);
    drop(clone);
    let s = leet_summary(&dir);
    assert_eq!(s["state"], json!("finished"));
    assert_eq!(s["exit_code"], json!(0));

    let tmp2 = tempfile::tempdir().unwrap();
    let run = init(opts(tmp2.path())).unwrap();
    let dir = run.dir().to_path_buf();
    let res = std::thread::spawn(move || {
        run.log(row! {"before_panic" => 1}).unwrap();
        panic!("training crashed");
    })
    .join();
    assert!(res.is_err());
    let s = leet_summary(&dir);
    assert_eq!(s["exit_code"], json!(1));
    assert_eq!(s["summary"]["before_panic"], json!(1));
}

#[test]
fn disabled_mode_does_no_io_and_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).mode(Mode::Disabled)).unwrap();
    run.log(row! {"a" => 1}).unwrap();
    run.log(json!("not even an object")).unwrap();
    run.summary().set("x", 1).unwrap();
    run.config().set("y", 2).unwrap();
    run.define_metric(MetricDefinition::new("a")).unwrap();
    run.finish().unwrap();
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn many_threads_log_without_losing_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).queue_capacity(16)).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let run = run.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    run.log(row! {"thread" => t, "i" => i}).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let rows = history(&dir);
    assert_eq!(rows.len(), 2000);
    let mut steps: Vec<i64> = rows
        .iter()
        .map(|r| match r["_step"] {
            Value::Int(s) => s,
            _ => panic!(),
        })
        .collect();
    steps.sort();
    assert_eq!(steps, (0..2000).collect::<Vec<_>>());
}

/// A media value that holds the writer thread inside `materialize` until
/// released, so a test can fill the queue deterministically.
#[derive(Debug, Default)]
struct Gate {
    state: std::sync::Mutex<(bool, bool)>, // (entered, released)
    cv: std::sync::Condvar,
}

impl Gate {
    fn wait_entered(&self) {
        let g = self.state.lock().unwrap();
        let (g, t) = self
            .cv
            .wait_timeout_while(g, std::time::Duration::from_secs(30), |s| !s.0)
            .unwrap();
        assert!(!t.timed_out() && g.0, "the writer never reached the gate");
    }
    fn release(&self) {
        self.state.lock().unwrap().1 = true;
        self.cv.notify_all();
    }
}

impl wandb_core::Media for Gate {
    fn materialize(&self, _: &mut wandb_core::MediaContext<'_>) -> wandb_core::Result<Value> {
        let mut g = self.state.lock().unwrap();
        g.0 = true;
        self.cv.notify_all();
        let _unused = self
            .cv
            .wait_timeout_while(g, std::time::Duration::from_secs(30), |s| !s.1)
            .unwrap();
        Ok(Value::Int(1))
    }
}

#[test]
fn drop_and_count_never_drops_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let run: Run = init(
        opts(tmp.path())
            .queue_capacity(1)
            .overflow(OverflowPolicy::DropAndCount),
    )
    .unwrap();
    // What init queued (e.g. the requirements.txt files record) is written
    // first, so the queue is empty.
    run.flush().unwrap();
    // Hold the writer so that the queue (capacity 1) fills up.
    let gate = std::sync::Arc::new(Gate::default());
    let media: std::sync::Arc<dyn wandb_core::Media> = gate.clone();
    run.log(row! {"gate" => media}).unwrap();
    gate.wait_entered();
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    for i in 0..1_000i64 {
        match run.log(row! {"i" => i}) {
            Ok(()) => kept.push(i),
            Err(Error::QueueFull { dropped: n, .. }) => {
                dropped.push(i);
                assert_eq!(n, dropped.len() as u64, "the error counts every drop");
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        kept,
        vec![0],
        "one row fits the queue while the writer is held"
    );
    assert_eq!(
        dropped.len(),
        999,
        "every other row is dropped, and reported"
    );
    assert_eq!(run.dropped_rows(), 999);
    gate.release();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let rows = history(&dir);
    let logged: Vec<i64> = rows
        .iter()
        .filter_map(|r| match r.get("i") {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        })
        .collect();
    assert_eq!(logged, kept, "exactly the accepted rows reach the file");
    assert_eq!(rows.len(), 2, "the gate row and the accepted row");
}

#[test]
fn config_updates_and_summary_media_free_values() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).config(&json!({"lr": 0.1}))).unwrap();
    run.config()
        .update(&json!({"extra": "yes", "layers": [8, 4]}))
        .unwrap();
    run.config().set("lr", 0.2).unwrap();
    assert_eq!(run.config().get("lr"), Some(Value::Float(0.2)));
    run.summary()
        .update(json!({"final": 42, "obj": {"k": "v"}}))
        .unwrap();
    run.summary().remove("final").unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let s = leet_summary(&dir);
    assert_eq!(s["config"]["lr"], json!(0.2));
    assert_eq!(s["config"]["extra"], json!("yes"));
    assert_eq!(s["config"]["layers"], json!([8, 4]));
    assert_eq!(s["summary"]["obj"], json!({"k": "v"}));
    assert!(s["summary"].get("final").is_none(), "{s:#}");
}

/// The writer keeps the last row as the pending summary update and folds it
/// only when the layout changes; the summary must still hold the last value
/// of every leaf, in message order (explicit summary sets included).
#[test]
fn summary_keeps_the_last_value_of_every_leaf_across_row_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path())).unwrap();
    run.log(json!({"a": 1, "b": {"x": 1, "y": 2}})).unwrap();
    run.log(json!({"a": 2, "b": {"x": 3}})).unwrap();
    run.log(json!({"a": null, "c": 5})).unwrap();
    run.log(json!({"c": 6})).unwrap();
    run.log(json!({"c": 7})).unwrap(); // same flat layout: replaces the stash
    run.summary().set("c", 100).unwrap(); // after the rows: wins
    run.summary().set("a", 10).unwrap();
    run.log(json!({"a": 11})).unwrap(); // after the explicit set: wins
    run.log(json!({"d": 1.5})).unwrap();
    run.flush().unwrap();
    assert_eq!(run.summary().get("a").unwrap(), Some(Value::Int(11)));
    assert_eq!(run.summary().get("c").unwrap(), Some(Value::Int(100)));
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let s = leet_summary(&dir);
    let summary = &s["summary"];
    assert_eq!(summary["a"], json!(11));
    assert_eq!(summary["b"], json!({"x": 3, "y": 2}));
    assert_eq!(summary["c"], json!(100));
    assert_eq!(summary["d"], json!(1.5));
    assert_eq!(summary["_step"], json!(6));
}
