//! The watcher mirroring log directories into real (offline) runs.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::fixtures;
use wandb_core::proto::{files_item::PolicyType, record::RecordType, Record};
use wandb_core::{init, InitOptions, Mode, Run};
use wandb_tensorboard::{sync, SummaryWriter, WriterOptions};

fn start(dir: &Path) -> Run {
    init(
        InitOptions::new()
            .dir(dir)
            .mode(Mode::Offline)
            .system_metrics(false)
            .environment([("HOME", dir.join("home").display().to_string())]),
    )
    .unwrap()
}

fn records(run_dir: &Path) -> Vec<Record> {
    let file = std::fs::read_dir(run_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wandb"))
        .unwrap();
    let out = wandb_core::store::read_file(&file).unwrap();
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    out.records
}

type Items = BTreeMap<Vec<String>, String>;

fn history(recs: &[Record]) -> Vec<Items> {
    recs.iter()
        .filter_map(|r| match &r.record_type {
            Some(RecordType::History(h)) => Some(
                h.item
                    .iter()
                    .map(|i| (i.nested_key.clone(), i.value_json.clone()))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn key(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Mirroring the golden directory gives the official client's history items.
#[test]
fn golden_directory_mirrors_like_the_official_client() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("tblogs");
    copy_dir(&fixtures().join("tblogs"), &logs);
    let run = start(tmp.path());
    let run_dir = run.dir().to_path_buf();
    let files_dir = run.files_dir().to_path_buf();
    let tb = sync(&run, &logs).unwrap();
    tb.drain().unwrap();
    assert_eq!(tb.files_found(), 2);
    run.finish().unwrap();
    let recs = records(&run_dir);
    // The official reader accepts the run (strict: no stderr output).
    let wandb_file = std::fs::read_dir(&run_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wandb"))
        .unwrap();
    let official_view = wandb_test_support::leet_inspect(&wandb_file);
    let count = |t: &str| official_view.iter().filter(|r| r["type"] == t).count();
    assert_eq!((count("history"), count("tbrecord")), (6, 2));

    let text = std::fs::read_to_string(fixtures().join("tensorboard_records.jsonl")).unwrap();
    let official: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let official_rows: Vec<Items> = official
        .iter()
        .filter(|r| r["type"] == "history")
        .map(|r| {
            r["history"]["item"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let k = i["nested_key"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_owned())
                        .collect();
                    (k, i["value_json"].as_str().unwrap().to_owned())
                })
                .collect()
        })
        .collect();

    let ours = history(&recs);
    assert_eq!(ours.len(), 6);
    // Rows of different files interleave differently (the official client
    // reads them concurrently); per namespace the sequence is the same.
    for ns in ["train/", "val/"] {
        let pick = |rows: &[Items]| -> Vec<Items> {
            rows.iter()
                .filter(|r| r.keys().any(|k| k[0].starts_with(ns)))
                .map(|r| {
                    r.iter()
                        .filter(|(k, _)| k[0] != "_step" && k[0] != "_runtime")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .collect()
        };
        let (a, b) = (pick(&ours), pick(&official_rows));
        assert_eq!(a.len(), 3, "{ns}");
        assert_eq!(a.len(), b.len());
        for (mut o, mut t) in a.into_iter().zip(b) {
            assert_eq!(o.keys().collect::<Vec<_>>(), t.keys().collect::<Vec<_>>());
            // Random file names and the official raw-digest sha256 quirk.
            for k in [
                key(&["train/sample", "filenames"]),
                key(&["train/sample_tensor", "filenames"]),
                key(&["train/pr", "path"]),
            ] {
                if let (Some(x), Some(y)) = (o.remove(&k), t.remove(&k)) {
                    assert_eq!(x.len(), y.len(), "{k:?}: {x} vs {y}");
                    let rel = x.trim_matches(|c| c == '[' || c == ']' || c == '"');
                    let theirs = y.trim_matches(|c| c == '[' || c == ']' || c == '"');
                    let mine = std::fs::read(files_dir.join(rel)).unwrap();
                    let official = std::fs::read(
                        fixtures()
                            .join("official_media")
                            .join(theirs.trim_start_matches("media/")),
                    )
                    .unwrap();
                    assert_eq!(mine, official, "{k:?}");
                }
            }
            if let Some(sha) = o.remove(&key(&["train/pr", "sha256"])) {
                t.remove(&key(&["train/pr", "sha256"]));
                assert_eq!(sha.len(), 66);
            }
            assert_eq!(o, t);
        }
    }

    // tbrecords and saved event files.
    let tbrecords: Vec<_> = recs
        .iter()
        .filter_map(|r| match &r.record_type {
            Some(RecordType::Tbrecord(t)) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let root = logs.canonicalize().unwrap();
    assert_eq!(tbrecords.len(), 2);
    assert_eq!(PathBuf::from(&tbrecords[0].log_dir), root.join("train"));
    assert_eq!(PathBuf::from(&tbrecords[1].log_dir), root.join("val"));
    assert!(tbrecords
        .iter()
        .all(|t| t.save && Path::new(&t.root_dir) == root));
    let end_files: Vec<String> = recs
        .iter()
        .filter_map(|r| match &r.record_type {
            Some(RecordType::Files(f)) => Some(
                f.files
                    .iter()
                    .filter(|i| i.policy == PolicyType::End as i32)
                    .map(|i| i.path.clone())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        end_files,
        [
            "train/events.out.tfevents.1795305028.vm.7715.0",
            "val/events.out.tfevents.1795305028.vm.7715.1"
        ]
    );
    for f in &end_files {
        assert_eq!(
            std::fs::read(files_dir.join(f)).unwrap(),
            std::fs::read(logs.join(f)).unwrap()
        );
    }
}

fn scalar_series(rows: &[Items], tag: &str) -> Vec<(String, String)> {
    rows.iter()
        .filter_map(|r| {
            r.get(&key(&[tag]))
                .map(|v| (r[&key(&["global_step"])].clone(), v.clone()))
        })
        .collect()
}

/// Files, directories and events that appear while the run is going are
/// followed; finish() drains them; a record written in two halves is read once.
#[test]
fn follows_a_growing_tree_and_drains_on_finish() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    let run = start(tmp.path());
    let run_dir = run.dir().to_path_buf();
    let tb = sync(&run, &logs).unwrap();
    let manual = WriterOptions {
        flush_interval: None,
        ..WriterOptions::default()
    };

    let train = SummaryWriter::with_options(logs.join("train"), manual.clone()).unwrap();
    let mut expected_train = Vec::new();
    for step in 0..40i64 {
        let v = step as f32 / 3.0;
        train.add_scalar("loss", v, step).unwrap();
        train.add_scalar("acc", 1.0 - v, step).unwrap();
        expected_train.push((
            step.to_string(),
            wandb_core::json::to_json_string(&wandb_core::Value::Float32(v)).unwrap(),
        ));
        if step % 10 == 9 {
            train.flush().unwrap();
            tb.drain().unwrap();
        }
    }
    // Rows of finished steps are logged while the run goes on.
    // every step but the last (which may still get values) is logged
    assert_eq!(tb.rows_logged(), 39);

    // A directory created later, a record written in two halves.
    let nested = logs.join("eval/deep");
    std::fs::create_dir_all(&nested).unwrap();
    let half = nested.join("events.out.tfevents.1.host.1.0");
    let mut bytes = Vec::new();
    {
        let scratch = tempfile::tempdir().unwrap();
        let w = SummaryWriter::with_options(scratch.path(), manual.clone()).unwrap();
        w.add_scalar("score", 0.75, 5).unwrap();
        w.add_scalar("score", 0.5, 6).unwrap();
        w.flush().unwrap();
        bytes.extend(std::fs::read(w.path()).unwrap());
    }
    let cut = bytes.len() - 7;
    std::fs::write(&half, &bytes[..cut]).unwrap();
    tb.drain().unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&half)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes[cut..]))
        .unwrap();

    train.flush().unwrap();
    drop(train);
    run.finish().unwrap();
    assert_eq!(tb.files_found(), 2);

    let rows = history(&records(&run_dir));
    assert_eq!(scalar_series(&rows, "train/loss"), expected_train);
    assert_eq!(scalar_series(&rows, "train/acc").len(), 40);
    assert_eq!(
        scalar_series(&rows, "eval/deep/score"),
        [
            ("5".to_owned(), "0.75".to_owned()),
            ("6".to_owned(), "0.5".to_owned())
        ]
    );
    // Each TB step is one W&B row.
    assert_eq!(rows.len(), 42);
}

/// A corrupt record is skipped with a warning and the rest is mirrored.
#[test]
fn corrupt_record_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let src = fixtures().join("tblogs/val/events.out.tfevents.1795305028.vm.7715.1");
    let mut bytes = std::fs::read(src).unwrap();
    bytes[128 + 12 + 2] ^= 0xff; // the step-10 event's payload
    std::fs::write(logs.join("events.out.tfevents.1795305028.vm.7715.1"), bytes).unwrap();
    let run = start(tmp.path());
    let run_dir = run.dir().to_path_buf();
    let tb = sync(&run, &logs).unwrap();
    run.finish().unwrap();
    assert_eq!(tb.corrupt_records(), 1);
    let rows = history(&records(&run_dir));
    assert_eq!(
        scalar_series(&rows, "loss"),
        [
            ("0".to_owned(), "2".to_owned()),
            ("20".to_owned(), "0.6666667".to_owned())
        ]
    );
}

/// What a run logs through the mirror is read by TensorBoard's own loader.
#[test]
fn mirror_writes_what_the_run_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let run = start(tmp.path());
    let tbdir = tmp.path().join("tb");
    let tb = wandb_tensorboard::TensorBoardMirror::new(&tbdir).unwrap();
    for epoch in 0..5i64 {
        let mut nested = wandb_core::Map::new();
        nested.insert(
            "acc".into(),
            wandb_core::Value::Float(0.5 + epoch as f64 / 10.0),
        );
        let row = wandb_core::Row::new()
            .with("train/loss", 1.0 / (epoch as f32 + 1.0))
            .with("epoch", epoch)
            .with("val", wandb_core::Value::Map(nested));
        tb.log(&run, row).unwrap();
    }
    tb.flush().unwrap();
    run.finish().unwrap();
    let out = wandb_test_support::oracle_python_run(
        include_str!("py/read_events.py"),
        &[tbdir.to_str().unwrap()],
        tmp.path(),
    );
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    let loss: Vec<(i64, f64)> = got["scalars"]["train/loss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e[1].as_i64().unwrap(), e[2].as_f64().unwrap()))
        .collect();
    let want: Vec<(i64, f64)> = (0..5)
        .map(|e| (e, f64::from(1.0 / (e as f32 + 1.0))))
        .collect();
    assert_eq!(loss, want);
    assert_eq!(got["scalars"]["epoch"].as_array().unwrap().len(), 5);
    assert_eq!(
        got["scalars"]["val.acc"][4][2].as_f64(),
        Some(f64::from(0.9f32))
    );
}

/// `InitOptions::sync_tensorboard(dir)` is honoured by `sync_from_settings`.
#[test]
fn sync_from_settings_uses_the_init_option() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("tblogs");
    copy_dir(&fixtures().join("tblogs"), &logs);
    let run = init(
        InitOptions::new()
            .dir(tmp.path())
            .mode(Mode::Offline)
            .system_metrics(false)
            .environment([("HOME", tmp.path().join("home").display().to_string())])
            .sync_tensorboard(&logs),
    )
    .unwrap();
    let run_dir = run.dir().to_path_buf();
    let tb = wandb_tensorboard::sync_from_settings(&run)
        .unwrap()
        .expect("a sync");
    assert_eq!(tb.root(), logs.canonicalize().unwrap());
    drop(tb); // the sync goes on until the run finishes
    run.finish().unwrap();
    assert_eq!(history(&records(&run_dir)).len(), 6);
}

/// Idle, the watcher sleeps: its own scans do not wake it up again.
#[test]
fn idle_sync_does_not_spin() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("tblogs");
    copy_dir(&fixtures().join("tblogs"), &logs);
    let run = start(tmp.path());
    let tb = wandb_tensorboard::sync_with(
        &run,
        &logs,
        wandb_tensorboard::SyncOptions {
            poll_interval: std::time::Duration::from_secs(60),
            ..Default::default()
        },
    )
    .unwrap();
    tb.drain().unwrap();
    let before = tb.passes();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let idle = tb.passes() - before;
    assert!(idle <= 1, "{idle} passes while idle");
    // A write still wakes it up without waiting for the poll interval.
    let w = SummaryWriter::new(logs.join("train")).unwrap();
    w.add_scalar("late", 1.0, 100).unwrap();
    w.flush().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while tb.files_found() < 3 {
        assert!(std::time::Instant::now() < deadline, "new file not noticed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run.finish().unwrap();
}
