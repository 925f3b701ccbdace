//! The `resume` modes against the fake server: `allow`, `must`, `never`,
//! `auto` (the `wandb-resume.json` file), an existing id without a resume
//! setting, and offline resume whose run directories sync (ours and the
//! official `wandb sync`) into one continuous history.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::{json, Value as J};
use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_core::{init, row, Console, Error, InitOptions, Mode, Resume, ResumeConflict};
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, leet_inspect, oracle_wandb, ScratchDir};

const E: &str = "me";
const P: &str = "proj";

fn base(dir: &Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .project(P)
        .entity(E)
        .console(Console::Off)
        .system_metrics(false)
}

fn online(server: &FakeServer, dir: &Path) -> InitOptions {
    base(dir).mode(Mode::Online).environment([
        ("HOME", dir.join("home").display().to_string()),
        ("WANDB_API_KEY", server.api_key().to_string()),
        ("WANDB_BASE_URL", server.url().to_string()),
        // file_stream requests every 0.05 s instead of 15 s
        ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".to_string()),
    ])
}

fn offline(dir: &Path) -> InitOptions {
    base(dir)
        .mode(Mode::Offline)
        .environment([("HOME", dir.join("home").display().to_string())])
}

/// A first run `id` with rows 0..n (`x` = step), config and a summary key.
fn first_run(server: &FakeServer, id: &str, n: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        online(server, tmp.path())
            .id(id)
            .config(&json!({"lr": 0.1, "bs": 32})),
    )
    .unwrap();
    for i in 0..n {
        run.log(row! {"x" => i as i64}).unwrap();
    }
    run.summary().set("best", 7).unwrap();
    run.finish().unwrap();
}

fn conflict(err: Error) -> ResumeConflict {
    match err {
        Error::Resume { conflict, .. } => conflict,
        other => panic!("expected a resume error, got {other}"),
    }
}

/// The run directories under `<dir>/wandb`.
fn run_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir.join("wandb")) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("latest-run"))
        .collect();
    v.sort();
    v
}

fn history(run: &wandb_fake_server::RunData) -> Vec<J> {
    run.history()
}

#[test]
fn allow_continues_step_runtime_summary_and_config() {
    let server = FakeServer::start();
    first_run(&server, "al1", 10);
    let before = server.requests().len();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        online(&server, tmp.path())
            .id("al1")
            .resume(Resume::Allow)
            .config(&json!({"lr": 0.2})),
    )
    .unwrap();
    assert_eq!(run.current_step(), 10);
    assert_eq!(
        run.summary().get("best").unwrap(),
        Some(wandb_core::Value::Int(7))
    );
    for i in 10..15 {
        run.log(row! {"x" => i}).unwrap();
    }
    run.finish().unwrap();
    let r = server.run(E, P, "al1").unwrap();
    assert_eq!(steps(&r), (0..15).collect::<Vec<_>>());
    assert_eq!(r.stream("wandb-history.jsonl").changed_rewrites, 0);
    let h = history(&r);
    for (i, row) in h.iter().enumerate() {
        assert_eq!(row["x"], json!(i), "{row}");
    }
    let rt = |i: usize| h[i]["_runtime"].as_f64().unwrap();
    assert!(
        rt(10) >= rt(9),
        "_runtime restarted: {} < {}",
        rt(10),
        rt(9)
    );
    assert_eq!(r.plain_config()["lr"], json!(0.2), "the new value wins");
    assert_eq!(r.plain_config()["bs"], json!(32), "stored keys are kept");
    assert_eq!(r.summary["best"], json!(7));
    assert_eq!(r.summary["_step"], json!(14));
    assert_eq!(r.state(), "finished");
    // one RunResumeStatus, before the UpsertBucket, naming the run
    let ops: Vec<_> = server.requests()[before..]
        .iter()
        .filter_map(|r| r.op.clone().map(|op| (op, r.body.clone())))
        .collect();
    let names: Vec<&str> = ops.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(names.iter().filter(|o| **o == "RunResumeStatus").count(), 1);
    let rs = names.iter().position(|o| *o == "RunResumeStatus").unwrap();
    let up = names.iter().position(|o| *o == "UpsertBucket").unwrap();
    assert!(rs < up, "{names:?}");
    assert_eq!(
        ops[rs].1["variables"],
        json!({"project": P, "entity": E, "name": "al1"})
    );
}

#[test]
fn allow_starts_a_missing_run() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(online(&server, tmp.path()).id("al2").resume(Resume::Allow)).unwrap();
    assert_eq!(run.current_step(), 0);
    run.log(row! {"x" => 0}).unwrap();
    run.finish().unwrap();
    assert_eq!(steps(&server.run(E, P, "al2").unwrap()), vec![0]);
}

#[test]
fn must_without_the_run_fails_before_anything_is_written() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let err = init(online(&server, tmp.path()).id("mu1").resume(Resume::Must)).unwrap_err();
    assert!(err.to_string().contains("resume is 'must'"), "{err}");
    assert_eq!(conflict(err), ResumeConflict::MustButMissing);
    assert!(!tmp.path().join("wandb").exists(), "nothing may be written");
    assert!(server.run(E, P, "mu1").is_none());
    assert!(!server.ops().contains(&"UpsertBucket".to_string()));
}

#[test]
fn must_with_the_run_continues_it() {
    let server = FakeServer::start();
    first_run(&server, "mu2", 3);
    let tmp = tempfile::tempdir().unwrap();
    let run = init(online(&server, tmp.path()).id("mu2").resume(Resume::Must)).unwrap();
    assert_eq!(run.current_step(), 3);
    run.log(row! {"x" => 3}).unwrap();
    run.finish().unwrap();
    assert_eq!(steps(&server.run(E, P, "mu2").unwrap()), vec![0, 1, 2, 3]);
}

#[test]
fn never_refuses_an_existing_run_and_starts_a_missing_one() {
    let server = FakeServer::start();
    first_run(&server, "ne1", 4);
    let tmp = tempfile::tempdir().unwrap();
    let err = init(online(&server, tmp.path()).id("ne1").resume(Resume::Never)).unwrap_err();
    assert_eq!(conflict(err), ResumeConflict::NeverButExists);
    assert!(run_dirs(tmp.path()).is_empty());
    assert_eq!(steps(&server.run(E, P, "ne1").unwrap()), vec![0, 1, 2, 3]);
    let run = init(online(&server, tmp.path()).id("ne2").resume(Resume::Never)).unwrap();
    assert_eq!(run.current_step(), 0);
    run.finish().unwrap();
    assert!(server.run(E, P, "ne2").is_some());
}

#[test]
fn an_existing_id_without_resume_never_overwrites_the_run() {
    let server = FakeServer::start();
    first_run(&server, "ow1", 5);
    let before = server.run(E, P, "ow1").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let err = init(online(&server, tmp.path()).id("ow1")).unwrap_err();
    assert!(err.to_string().contains("overwrite its history"), "{err}");
    assert_eq!(conflict(err), ResumeConflict::ExistsWithoutResume);
    assert!(run_dirs(tmp.path()).is_empty());
    let after = server.run(E, P, "ow1").unwrap();
    assert_eq!(history(&after), history(&before));
    assert_eq!(after.upserts.len(), before.upserts.len());
}

#[test]
fn auto_keeps_the_id_until_a_clean_finish() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("wandb/wandb-resume.json");
    let run = init(online(&server, tmp.path()).resume(Resume::Auto)).unwrap();
    let id = run.id().to_string();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{{\"run_id\": \"{id}\"}}")
    );
    for i in 0..5 {
        run.log(row! {"x" => i}).unwrap();
    }
    // the job dies (a failed exit keeps the file, as a kill does)
    run.finish_with_exit_code(1).unwrap();
    assert!(file.exists());
    // restarted without an id: the same run continues
    let run = init(online(&server, tmp.path()).resume(Resume::Auto)).unwrap();
    assert_eq!(run.id(), id);
    assert_eq!(run.current_step(), 5);
    for i in 5..8 {
        run.log(row! {"x" => i}).unwrap();
    }
    run.finish().unwrap();
    assert!(!file.exists(), "a clean finish removes the resume file");
    let r = server.run(E, P, &id).unwrap();
    assert_eq!(steps(&r), (0..8).collect::<Vec<_>>());
    assert_eq!(r.exitcode, Some(0));
    // the next auto run is a new one
    let run = init(online(&server, tmp.path()).resume(Resume::Auto)).unwrap();
    assert_ne!(run.id(), id);
    run.finish().unwrap();
}

#[test]
fn a_run_without_resume_drops_a_stale_resume_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("wandb/wandb-resume.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, r#"{"run_id": "stale1"}"#).unwrap();
    let run = init(offline(tmp.path())).unwrap();
    assert_ne!(run.id(), "stale1");
    assert!(!file.exists());
    run.finish().unwrap();
}

/// Two offline parts of run `id` in `dir`: rows 0..3, then (resumed) 3..5.
fn two_offline_parts(dir: &Path, id: &str) -> (PathBuf, PathBuf) {
    let run = init(
        offline(dir)
            .id(id)
            .resume(Resume::Allow)
            .config(&json!({"a": 1, "b": 2})),
    )
    .unwrap();
    for i in 0..3 {
        run.log(row! {"x" => i}).unwrap();
    }
    run.summary().set("best", 3).unwrap();
    run.finish().unwrap();
    let first = run.dir().to_path_buf();
    drop(run);
    let run = init(
        offline(dir)
            .id(id)
            .resume(Resume::Must)
            .config(&json!({"a": 10})),
    )
    .unwrap();
    assert_eq!(run.current_step(), 3);
    assert_eq!(
        run.summary().get("best").unwrap(),
        Some(wandb_core::Value::Int(3))
    );
    assert_eq!(run.config().get("b"), Some(wandb_core::Value::Int(2)));
    for i in 3..5 {
        run.log(row! {"x" => i}).unwrap();
    }
    run.finish().unwrap();
    let second = run.dir().to_path_buf();
    assert_ne!(first, second);
    (first, second)
}

fn assert_one_history(server: &FakeServer, id: &str) {
    let r = server.run(E, P, id).unwrap();
    assert_eq!(
        steps(&r),
        (0..5).collect::<Vec<_>>(),
        "ops: {:?}",
        server.ops()
    );
    for (i, row) in history(&r).iter().enumerate() {
        assert_eq!(row["x"], json!(i));
    }
    assert_eq!(r.stream("wandb-history.jsonl").changed_rewrites, 0);
    assert_eq!(r.plain_config()["a"], json!(10));
    assert_eq!(r.plain_config()["b"], json!(2));
    assert_eq!(r.summary["best"], json!(3));
    assert_eq!(r.state(), "finished");
}

#[test]
fn offline_resume_continues_the_earlier_run_and_syncs_as_one_history() {
    let scratch = ScratchDir::new("resume-offline");
    let (first, second) = two_offline_parts(scratch.path(), "off1");
    let server = FakeServer::start();
    let opts = SyncOptions {
        base_url: Some(server.url().to_string()),
        api_key: Some(server.api_key().to_string()),
        ..SyncOptions::default()
    };
    for dir in [&first, &second] {
        let r = sync_run_dir(dir, &opts, |_| {}).unwrap();
        assert!(r.unsent.is_empty(), "{:?}", r.unsent);
    }
    assert_one_history(&server, "off1");
    // the second directory asked the server and continued its offsets
    assert_eq!(
        server
            .ops()
            .iter()
            .filter(|o| *o == "RunResumeStatus")
            .count(),
        2
    );
}

#[test]
fn the_official_wandb_sync_gives_the_same_history() {
    let scratch = ScratchDir::new("resume-offline-official");
    let (first, second) = two_offline_parts(scratch.path(), "off2");
    // the resumed part's log passes the official strict reader
    let records = leet_inspect(&second.join("run-off2.wandb"));
    assert!(records.iter().any(|r| r.get("run").is_some()));
    let server = FakeServer::start();
    let mut cmd = Command::new(oracle_wandb());
    hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .arg("sync")
        .arg(&first)
        .arg(&second);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "wandb sync failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_one_history(&server, "off2");
}

#[test]
fn offline_modes_refuse_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let err = init(offline(tmp.path()).id("om1").resume(Resume::Must)).unwrap_err();
    assert_eq!(conflict(err), ResumeConflict::MustButMissing);
    assert!(run_dirs(tmp.path()).is_empty());
    let run = init(offline(tmp.path()).id("om1")).unwrap();
    run.finish().unwrap();
    drop(run);
    let err = init(offline(tmp.path()).id("om1").resume(Resume::Never)).unwrap_err();
    assert_eq!(conflict(err), ResumeConflict::NeverButExists);
    let err = init(offline(tmp.path()).id("om1")).unwrap_err();
    assert_eq!(conflict(err), ResumeConflict::ExistsWithoutResume);
    assert_eq!(run_dirs(tmp.path()).len(), 1);
}
