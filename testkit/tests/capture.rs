//! Capture mode: the capture holds exactly the records a `.wandb` file
//! would, its accessors decode them, and nothing touches the disk.

use std::time::Duration;

use wandb_core::proto::record::RecordType;
use wandb_core::proto::{self, Record};
use wandb_core::{
    row, Console, InitOptions, LogOptions, MetricDefinition, MetricSummary, Mode, Resume, Run,
};
use wandb_test_support::ScratchDir;
use wandb_testkit::capture_run;

/// The same options for both runs: a fixed id, no timer flush during the
/// test (each flush writes a summary record), nothing machine-dependent.
fn options() -> InitOptions {
    InitOptions::new()
        .project("proj")
        .id("same1234")
        .config(&serde_json::json!({"lr": 0.1, "opt": {"name": "sgd"}}))
        .flush_interval(Duration::from_secs(3600))
        .system_metrics(false)
        .console(Console::Off)
}

/// Logs a bit of everything the writer turns into records.
fn exercise(run: &Run) {
    run.define_metric(MetricDefinition::new("loss").summary(MetricSummary::Min))
        .unwrap();
    run.log(row! {"loss" => 0.5, "acc" => 0.25f32}).unwrap();
    run.log(serde_json::json!({"loss": 0.25, "nested": {"a": 1, "b": [1, 2]}}))
        .unwrap();
    run.log_with(row! {"part" => 1}, LogOptions::new().commit(false))
        .unwrap();
    run.log(row! {"loss" => f64::NAN, "big" => u64::MAX})
        .unwrap();
    run.log_with(row! {"late" => -3}, LogOptions::new().step(10))
        .unwrap();
    run.config().set("epochs", 3).unwrap();
    run.summary().set("best", 0.9).unwrap();
    run.emit_record(RecordType::Files(proto::FilesRecord {
        files: vec![proto::FilesItem {
            path: "model.bin".into(),
            ..Default::default()
        }],
        info: None,
    }))
    .unwrap();
    run.finish().unwrap();
}

/// The records with what differs between two runs by nature removed: the
/// clock (`_runtime`, `_timestamp`, start time, runtimes), the machine
/// (environment, telemetry, the file run's `requirements.txt`).
fn comparable(records: Vec<Record>) -> Vec<RecordType> {
    records
        .into_iter()
        .filter_map(|r| r.record_type)
        .filter(|rt| {
            !matches!(rt, RecordType::Files(f) if f.files.iter().any(|i| i.path == "requirements.txt"))
        })
        .map(|rt| match rt {
            RecordType::History(mut h) => {
                h.item.retain(|i| {
                    let k = i.nested_key.first().unwrap_or(&i.key);
                    k != "_runtime" && k != "_timestamp"
                });
                RecordType::History(h)
            }
            RecordType::Summary(mut s) => {
                s.update.retain(|i| {
                    let k = i.nested_key.first().unwrap_or(&i.key);
                    k != "_runtime" && k != "_timestamp" && k != "_wandb"
                });
                RecordType::Summary(s)
            }
            RecordType::Run(r) => RecordType::Run(proto::RunRecord {
                run_id: r.run_id,
                project: r.project,
                config: r.config,
                ..Default::default()
            }),
            RecordType::Environment(_) => RecordType::Environment(Default::default()),
            RecordType::Telemetry(_) => RecordType::Telemetry(Default::default()),
            RecordType::Exit(e) => RecordType::Exit(proto::RunExitRecord {
                exit_code: e.exit_code,
                ..Default::default()
            }),
            other => other,
        })
        .collect()
}

#[test]
fn capture_holds_what_the_wandb_file_holds() {
    let scratch = ScratchDir::new("testkit-capture-vs-file");
    let file_run = wandb_core::init(
        options()
            .mode(Mode::Offline)
            .dir(scratch.path())
            .environment([("HOME", scratch.path().join("home").display().to_string())]),
    )
    .unwrap();
    exercise(&file_run);
    let outcome = wandb_core::store::read_file(file_run.wandb_file()).unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);

    let (run, capture) = capture_run(options()).unwrap();
    exercise(&run);
    let captured = capture.records();

    // Record numbers in order, every type in the same place.
    let nums: Vec<i64> = captured.iter().map(|r| r.num).collect();
    assert_eq!(nums, (1..=captured.len() as i64).collect::<Vec<_>>());
    let from_file = comparable(outcome.records);
    let from_capture = comparable(captured);
    assert_eq!(from_capture.len(), from_file.len());
    for (i, (c, f)) in from_capture.iter().zip(&from_file).enumerate() {
        assert_eq!(c, f, "record {i} differs");
    }
    // 4 rows (step 2 merges `part`), then the row at step 10.
    assert_eq!(capture.history().len(), 4);
    assert!(!run.dir().exists(), "a capture run has no run directory");
}

#[test]
fn accessors_decode_history_summary_config_metrics_files() {
    let (run, capture) = capture_run(options()).unwrap();
    exercise(&run);

    let steps: Vec<u64> = capture
        .history()
        .iter()
        .map(|r| r["_step"].as_f64().unwrap() as u64)
        .collect();
    assert_eq!(steps, [0, 1, 2, 10]);
    let loss = capture.scalars("loss");
    assert_eq!(loss.len(), 3);
    assert_eq!(loss[..2], [(0, 0.5), (1, 0.25)]);
    assert_eq!(loss[2].0, 2);
    assert!(loss[2].1.is_nan());
    assert_eq!(capture.scalars("acc"), [(0, 0.25)]);
    assert_eq!(capture.scalars("part"), [(2, 1.0)]);
    assert_eq!(capture.scalars("late"), [(10, -3.0)]);
    assert_eq!(capture.scalars("big"), [(2, u64::MAX as f64)]);
    let nested = capture.history_of("nested");
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0].0, 1);
    assert_eq!(nested[0].1["a"].as_f64(), Some(1.0));
    assert_eq!(nested[0].1["b"].as_list().map(<[_]>::len), Some(2));

    let summary = capture.summary();
    assert_eq!(summary["loss"]["min"].as_f64(), Some(0.25));
    assert_eq!(summary["best"].as_f64(), Some(0.9));
    assert_eq!(summary["late"].as_f64(), Some(-3.0));
    assert_eq!(summary["nested"]["a"].as_f64(), Some(1.0));

    let config = capture.config();
    assert_eq!(config["lr"].as_f64(), Some(0.1));
    assert_eq!(config["opt"]["name"].as_str(), Some("sgd"));
    assert_eq!(config["epochs"].as_f64(), Some(3.0));
    assert_eq!(config.len(), 4, "lr, opt, epochs and _wandb: {config:?}");

    let metrics = capture.metric_definitions();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].name, "loss");
    assert_eq!(capture.files(), ["model.bin"]);
    assert_eq!(capture.exit_code(), Some(0));
    assert!(capture.artifacts().is_empty());
}

#[test]
fn accessors_see_rows_before_finish() {
    let (run, capture) = capture_run(InitOptions::new()).unwrap();
    run.log(row! {"x" => 1}).unwrap();
    run.log(row! {"x" => 2}).unwrap();
    assert_eq!(capture.scalars("x"), [(0, 1.0), (1, 2.0)]);
    assert_eq!(capture.exit_code(), None);
    run.log(row! {"x" => 3}).unwrap();
    drop(run); // the last handle finishes the run
    assert_eq!(capture.scalars("x"), [(0, 1.0), (1, 2.0), (2, 3.0)]);
    assert_eq!(capture.exit_code(), Some(0));
}

#[test]
fn media_files_live_in_a_temp_dir_removed_with_the_capture() {
    let (run, capture) = capture_run(InitOptions::new()).unwrap();
    let files_dir = capture.files_dir().to_path_buf();
    assert!(!files_dir.exists());
    // What a media type or a checkpoint callback does: write under files/.
    let run_files = run.files_dir().to_path_buf();
    assert_eq!(run_files, files_dir);
    std::fs::create_dir_all(&files_dir).unwrap();
    std::fs::write(files_dir.join("ckpt.bin"), b"weights").unwrap();
    run.emit_record(RecordType::Files(proto::FilesRecord {
        files: vec![proto::FilesItem {
            path: "ckpt.bin".into(),
            ..Default::default()
        }],
        info: None,
    }))
    .unwrap();
    run.finish().unwrap();
    assert_eq!(capture.files(), ["ckpt.bin"]);
    assert_eq!(capture.file("ckpt.bin").unwrap(), b"weights");
    assert!(matches!(
        capture.file("missing.bin"),
        Err(wandb_testkit::Error::File { .. })
    ));
    drop(capture);
    assert!(!files_dir.exists(), "the capture removes its temp dir");
}

#[test]
fn capture_runs_refuse_resume_and_ignore_the_machine_environment() {
    let err = capture_run(InitOptions::new().resume(Resume::Allow)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cannot resume"),
        "the error says what is wrong: {text}"
    );
    // Online mode asked for is turned offline: nothing goes to a server.
    let (run, capture) = capture_run(InitOptions::new().mode(Mode::Online)).unwrap();
    assert_eq!(run.settings().mode, Mode::Offline);
    run.finish().unwrap();
    assert_eq!(capture.exit_code(), Some(0));
}
