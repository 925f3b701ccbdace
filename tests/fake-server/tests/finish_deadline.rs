//! `Run::finish` in online mode is bounded by `finish_timeout` in total
//! (hooks, the writer's last rows, the upload) whatever the server does; it
//! returns Ok with a report of what is unsent, the run directory keeps
//! everything, and a later `sync` sends every row exactly once.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_core::proto::record::RecordType;
use wandb_core::{init, row, Console, InitOptions, Mode, Run};
use wandb_fake_server::{FakeServer, Fault, Target};

const TIMEOUT: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_millis(500);

fn opts(server: &FakeServer, dir: &Path, id: &str) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Online)
        .project("proj")
        .entity("me")
        .id(id)
        .console(Console::Off)
        .system_metrics(true)
        .with(|s| s.stats_sampling_interval = Duration::from_millis(100))
        .finish_timeout(TIMEOUT)
        .environment([
            ("HOME", dir.join("home").display().to_string()),
            ("WANDB_API_KEY", server.api_key().to_string()),
            ("WANDB_BASE_URL", server.url().to_string()),
            // batch file_stream requests every 50 ms instead of 15 s
            ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".to_string()),
        ])
}

/// Starts a run and waits until the server has its first rows.
fn started_run(server: &FakeServer, dir: &Path, id: &str) -> Run {
    let run = init(opts(server, dir, id)).unwrap();
    for i in 0..10 {
        run.log(row! {"i" => i}).unwrap();
    }
    run.flush().unwrap();
    let seen = server.wait_for_run("me", "proj", id, Duration::from_secs(20), |r| {
        r.history().len() == 10
    });
    assert!(seen.is_some(), "the run did not start streaming");
    run
}

/// Finishes `run`, checks the time it took and that the report says what is
/// left; then checks the run directory and that `sync` completes the run
/// with every row exactly once.
fn finish_cut_short_then_sync(server: &FakeServer, run: Run, rows: i64, heal: impl FnOnce()) {
    let id = run.id().to_string();
    let wandb_file = run.wandb_file().to_path_buf();
    let dir = run.dir().to_path_buf();
    let t = Instant::now();
    let report = run
        .finish_report(0)
        .expect("an upload cut short is not an error");
    let took = t.elapsed();
    assert!(took < TIMEOUT + SLACK, "finish took {took:?}");
    assert!(report.elapsed <= took);
    assert!(!report.is_complete(), "{report:?}");
    let upload = report.upload.as_ref().expect("online report");
    assert!(upload.unsent.completion, "{upload:?}");
    assert_eq!(
        report.sync_command(),
        format!("wandb-rs sync {}", dir.display())
    );
    drop(run);
    assert_ne!(server.run("me", "proj", &id).unwrap().state(), "finished");

    // the run directory has every row and the exit record
    let records = wandb_core::store::read_file(&wandb_file).unwrap().records;
    let history = records
        .iter()
        .filter(|r| matches!(r.record_type, Some(RecordType::History(_))))
        .count();
    assert_eq!(history as i64, rows);
    assert!(records
        .iter()
        .any(|r| matches!(r.record_type, Some(RecordType::Exit(_)))));

    // the server is back: `sync` of the directory sends the rest
    heal();
    let o = SyncOptions {
        base_url: Some(server.url().into()),
        api_key: Some(server.api_key().into()),
        ..SyncOptions::default()
    };
    let r = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(r.unsent.is_empty(), "{r:?}");
    let got = server.run("me", "proj", &id).unwrap();
    assert_eq!(got.state(), "finished");
    assert_eq!(
        steps(&got),
        (0..rows).collect::<Vec<_>>(),
        "every row exactly once"
    );
    assert!(got.stream("wandb-history.jsonl").holes().is_empty());
}

#[test]
fn finish_returns_by_its_timeout_during_an_outage() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = started_run(&server, tmp.path(), "outage1");
    server.outage(Duration::from_secs(3600));
    for i in 10..1000 {
        run.log(row! {"i" => i}).unwrap();
    }
    finish_cut_short_then_sync(&server, run, 1000, || server.outage(Duration::ZERO));
}

#[test]
fn finish_returns_by_its_timeout_when_a_request_hangs() {
    // A file_stream request in flight when finish starts (begun without a
    // deadline, so with the 60 s request timeout) hangs for 30 s: finish
    // does not wait for it.
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = started_run(&server, tmp.path(), "hang1");
    server.inject(Fault::delay(Target::FileStream, Duration::from_secs(30), 1));
    for i in 10..500 {
        run.log(row! {"i" => i}).unwrap();
    }
    run.flush().unwrap();
    // wait until the hanging request is in flight
    let t = Instant::now();
    while server.faults_fired() == 0 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.faults_fired(), 1, "the delayed request was not sent");
    finish_cut_short_then_sync(&server, run, 500, || {});
}

#[test]
fn a_huge_retry_after_is_capped_and_bounded_by_the_deadline() {
    // `Retry-After: 18446744073709551615` (u64::MAX seconds) once: the wait
    // is capped (5 minutes) and ends at the sync's 1 s timeout; no panic.
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run("minimal_run", tmp.path());
    server.inject(Fault::rate_limit(Target::Any, u64::MAX, 1));
    let o = SyncOptions {
        base_url: Some(server.url().into()),
        api_key: Some(server.api_key().into()),
        timeout: Some(Duration::from_secs(1)),
        ..SyncOptions::default()
    };
    let t = Instant::now();
    let first = sync_run_dir(&dir, &o, |_| {});
    assert!(
        t.elapsed() < Duration::from_secs(1) + SLACK,
        "{:?}",
        t.elapsed()
    );
    assert_eq!(server.faults_fired(), 1);
    assert!(first.is_err() || !first.unwrap().unsent.is_empty());
    // without the fault the same sync completes
    let r = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(r.unsent.is_empty(), "{r:?}");
}
