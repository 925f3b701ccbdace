//! `LiveSync` tailing a `.wandb` file while it is written, against the fake
//! server: streaming, every fault type, outages, finish timeouts, resume,
//! stop requests, key errors.

mod common;

use std::time::{Duration, Instant};

use common::*;
use wandb_core::online::{
    sync_run_dir, LiveOptions, LiveSync, OnlineError, RetryPolicy, SyncOptions,
};
use wandb_core::{Mode, Resume, Settings};
use wandb_fake_server::{FakeServer, Fault, RunData, Target};

const E: &str = "me";
const P: &str = "proj";

fn settings(server: &FakeServer) -> Settings {
    let mut s = Settings::default();
    s.mode = Mode::Online;
    s.base_url = server.url().to_string();
    s.api_key = Some(server.api_key().to_string());
    s.entity = Some(E.into());
    s.project = Some(P.into());
    s
}

fn fast() -> LiveOptions {
    LiveOptions {
        interval: Duration::from_millis(20),
        heartbeat: Duration::from_secs(30),
        max_request_bytes: 64 * 1024,
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(200),
            request_timeout: Duration::from_millis(1500),
        },
        start_timeout: Duration::from_secs(10),
        poll_interval: Duration::from_millis(50),
        stop_poll_interval: Duration::from_secs(15),
    }
}

/// Writes `rows` rows in chunks (flushing and notifying like the writer
/// thread), then the exit record, and finishes.
fn run_rows(
    server: &FakeServer,
    id: &str,
    rows: i64,
    opts: LiveOptions,
) -> (RunData, wandb_core::online::SyncReport, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(format!("run-{id}"));
    let mut log = LogSim::create(&dir, id);
    let live = LiveSync::start_with(&settings(server), &dir, &log.path, opts).unwrap();
    log.run(E, P, id);
    log.flush();
    for i in 0..rows {
        log.row(i, 1.0 / (i as f64 + 1.0));
        if i % 50 == 0 {
            log.stats(i as f64);
            log.print(&format!("line {i}\n"), i % 100 == 0);
        }
        if i % 97 == 0 {
            log.flush();
            live.notify_flushed();
        }
    }
    log.exit(0);
    live.notify_flushed();
    let report = live.finish(Duration::from_secs(60)).unwrap();
    let run = server.run(E, P, id).expect("run on the server");
    (run, report, tmp)
}

fn assert_complete(run: &RunData, rows: i64) {
    assert_eq!(run.state(), "finished");
    assert_eq!(
        steps(run),
        (0..rows).collect::<Vec<_>>(),
        "every row exactly once, in order"
    );
    for (name, s) in &run.streams {
        assert!(s.holes().is_empty(), "holes in {name}");
        if name != "output.log" && name != "wandb-summary.json" {
            assert_eq!(s.changed_rewrites, 0, "{name} rewritten with other content");
        }
    }
    let events = run.events();
    assert_eq!(events.len() as i64, (rows + 49) / 50);
    assert_eq!(run.output().len() as i64, (rows + 49) / 50);
    assert_eq!(run.summary["loss"], serde_json::json!(1.0 / rows as f64));
    assert_eq!(run.summary["_step"], serde_json::json!(rows - 1));
    for f in ["config.yaml", "wandb-summary.json"] {
        assert!(run.files.contains_key(f), "{f} not uploaded");
    }
}

#[test]
fn streams_while_the_file_grows_and_completes() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-live1");
    let mut log = LogSim::create(&dir, "live1");
    let live = LiveSync::start_with(&settings(&server), &dir, &log.path, fast()).unwrap();
    log.run(E, P, "live1");
    for i in 0..10 {
        log.row(i, i as f64);
    }
    log.print("hello ", false);
    log.print("world\n", false);
    log.print("oops\n", true);
    log.flush();
    live.notify_flushed();
    // rows arrive before finish
    let seen = server.wait_for_run(E, P, "live1", Duration::from_secs(10), |r| {
        r.history().len() == 10
    });
    assert_eq!(seen.unwrap().history().len(), 10);
    for i in 10..20 {
        log.row(i, i as f64);
    }
    log.exit(0);
    let report = live.finish(Duration::from_secs(30)).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    let run = server.run(E, P, "live1").unwrap();
    assert_eq!(steps(&run), (0..20).collect::<Vec<_>>());
    let out: Vec<_> = run.output().iter().map(|l| console_text(l)).collect();
    assert_eq!(
        out,
        vec![
            (false, "hello world".to_string()),
            (true, "oops".to_string())
        ]
    );
    assert!(
        run.output()[0].starts_with("2026-11-21T"),
        "{}",
        run.output()[0]
    );
    assert_eq!(run.state(), "finished");
    let ops = server.ops();
    assert_eq!(&ops[..3], ["Viewer", "UpsertBucket", "ServerFeaturesQuery"]);
    assert!(ops.contains(&"CreateRunFiles".to_string()));
    assert_eq!(server.uploads_with_auth(), 0);
    assert_not_in_files(tmp.path(), server.api_key());
}

#[test]
fn many_rows_in_size_limited_batches() {
    let server = FakeServer::start();
    let (run, report, _tmp) = run_rows(&server, "many", 5000, fast());
    assert_complete(&run, 5000);
    assert!(
        run.file_stream_requests > 3,
        "batched by size: {}",
        run.file_stream_requests
    );
    assert_eq!(report.history_lines, 5000);
}

fn with_fault(fault: Fault) {
    let server = FakeServer::start();
    let times = fault.times;
    server.inject(fault);
    let (run, report, _tmp) = run_rows(&server, "faulty", 1500, fast());
    // every injected failure was met (and retried past)
    assert_eq!(server.faults_fired(), times, "faults fired");
    assert!(report.unsent.is_empty(), "{report:?}");
    assert_complete(&run, 1500);
}

#[test]
fn server_errors_on_file_stream_lose_nothing() {
    with_fault(Fault::status(Target::FileStream, 500, 3));
}

#[test]
fn bad_gateway_and_unavailable_on_graphql_lose_nothing() {
    with_fault(Fault::status(Target::GraphQl(None), 502, 2));
    with_fault(Fault::status(Target::op("UpsertBucket"), 503, 2));
}

#[test]
fn rate_limits_are_honoured() {
    let server = FakeServer::start();
    server.inject(Fault::rate_limit(Target::FileStream, 1, 2));
    let t = Instant::now();
    let (run, _, _tmp) = run_rows(&server, "limited", 300, fast());
    assert!(
        t.elapsed() >= Duration::from_secs(2),
        "Retry-After: 1 was not waited for twice"
    );
    assert_complete(&run, 300);
}

#[test]
fn dropped_connections_lose_nothing_and_duplicate_nothing() {
    with_fault(Fault::drop_before(Target::FileStream, 3));
    with_fault(Fault::drop_after(Target::FileStream, 3));
}

#[test]
fn timeouts_lose_nothing() {
    with_fault(Fault::delay(Target::FileStream, Duration::from_secs(3), 2));
}

#[test]
fn uploads_are_retried() {
    with_fault(Fault::status(Target::Upload, 500, 2));
    with_fault(Fault::drop_before(Target::Upload, 1));
}

#[test]
fn an_outage_loses_nothing() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-outage");
    let mut log = LogSim::create(&dir, "outage");
    let live = LiveSync::start_with(&settings(&server), &dir, &log.path, fast()).unwrap();
    log.run(E, P, "outage");
    log.flush();
    live.notify_flushed();
    server
        .wait_for_run(E, P, "outage", Duration::from_secs(5), |_| true)
        .unwrap();
    server.outage(Duration::from_secs(3));
    for i in 0..20_000 {
        log.row(i, 1.0 / (i as f64 + 1.0));
        if i % 500 == 0 {
            log.flush();
            live.notify_flushed();
        }
    }
    log.exit(0);
    let report = live.finish(Duration::from_secs(60)).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    let run = server.run(E, P, "outage").unwrap();
    assert_eq!(steps(&run), (0..20_000).collect::<Vec<_>>());
    assert_eq!(run.state(), "finished");
}

#[test]
fn finish_gives_up_at_its_timeout_and_sync_sends_the_rest_later() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-late");
    let mut log = LogSim::create(&dir, "late");
    let live = LiveSync::start_with(&settings(&server), &dir, &log.path, fast()).unwrap();
    log.run(E, P, "late");
    log.flush();
    live.notify_flushed();
    server
        .wait_for_run(E, P, "late", Duration::from_secs(5), |_| true)
        .unwrap();
    server.outage(Duration::from_secs(3600));
    for i in 0..1000 {
        log.row(i, 1.0);
    }
    log.exit(0);
    let t = Instant::now();
    let report = live.finish(Duration::from_secs(1)).unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "finish took {:?}",
        t.elapsed()
    );
    assert!(!report.unsent.is_empty());
    assert!(report.unsent.completion);
    // the server comes back: `sync` of the same directory completes the run
    server.outage(Duration::ZERO);
    let o = SyncOptions {
        base_url: Some(server.url().into()),
        api_key: Some(server.api_key().into()),
        ..SyncOptions::default()
    };
    let r = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(r.unsent.is_empty());
    let run = server.run(E, P, "late").unwrap();
    assert_eq!(steps(&run), (0..1000).collect::<Vec<_>>());
    assert_eq!(run.state(), "finished");
}

#[test]
fn resume_continues_offsets() {
    let server = FakeServer::start();
    // first part of the run
    let (first, _, _tmp) = run_rows(&server, "again", 100, fast());
    assert_eq!(first.history().len(), 100);
    // second process resumes it
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-again");
    let mut log = LogSim::create(&dir, "again");
    let mut s = settings(&server);
    s.resume = Some(Resume::Allow);
    s.run_id = Some("again".into());
    let live = LiveSync::start_with(&s, &dir, &log.path, fast()).unwrap();
    let info = live.resumed().expect("the server has the run");
    assert_eq!(info.offsets[0], 100);
    assert_eq!(info.state.starting_step, 100);
    assert!(info.state.summary.contains_key("loss"));
    log.run(E, P, "again");
    for i in 100..150 {
        log.row(i, 0.5);
    }
    log.exit(0);
    live.notify_flushed();
    live.finish(Duration::from_secs(30)).unwrap();
    let run = server.run(E, P, "again").unwrap();
    assert_eq!(steps(&run), (0..150).collect::<Vec<_>>());
    assert_eq!(run.stream("wandb-history.jsonl").changed_rewrites, 0);
    assert!(server.ops().contains(&"RunResumeStatus".to_string()));
}

#[test]
fn a_stop_request_is_reported() {
    let server = FakeServer::start();
    server.stop_run(E, P, "stopme");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-stopme");
    let mut log = LogSim::create(&dir, "stopme");
    let live = LiveSync::start_with(&settings(&server), &dir, &log.path, fast()).unwrap();
    log.run(E, P, "stopme");
    log.row(0, 1.0);
    log.flush();
    live.notify_flushed();
    let t = Instant::now();
    while !live.is_stopped() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(live.is_stopped());
    log.exit(1);
    let report = live.finish(Duration::from_secs(10)).unwrap();
    assert!(report.stopped);
}

#[test]
fn missing_and_rejected_keys_fail_fast() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings(&server);
    s.api_key = Some("y".repeat(40));
    let t = Instant::now();
    let err =
        LiveSync::start_with(&s, tmp.path(), &tmp.path().join("x.wandb"), fast()).unwrap_err();
    assert!(
        matches!(err, OnlineError::Rejected { status: 401, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains(&"y".repeat(40)));
    assert!(t.elapsed() < Duration::from_secs(2));
    let mut s = settings(&server);
    s.api_key = Some("short".into());
    let err =
        LiveSync::start_with(&s, tmp.path(), &tmp.path().join("x.wandb"), fast()).unwrap_err();
    assert!(matches!(err, OnlineError::InvalidApiKey(_)), "{err}");
}

#[test]
fn media_files_are_uploaded_while_the_run_is_live() {
    use wandb_core::proto::{self, record::RecordType};
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-media");
    let mut log = LogSim::create(&dir, "media");
    let live = LiveSync::start_with(&settings(&server), &dir, &log.path, fast()).unwrap();
    log.run(E, P, "media");
    std::fs::create_dir_all(dir.join("files/media/images")).unwrap();
    std::fs::write(dir.join("files/media/images/img_0_abc.png"), b"png bytes").unwrap();
    log.record(RecordType::Files(proto::FilesRecord {
        files: vec![proto::FilesItem {
            path: "media/images/img_0_abc.png".into(),
            policy: 0,
            r#type: 2,
        }],
        ..Default::default()
    }));
    log.row(0, 1.0);
    log.flush();
    live.notify_flushed();
    let r = server.wait_for_run(E, P, "media", Duration::from_secs(10), |r| {
        !r.files.is_empty()
    });
    assert_eq!(r.unwrap().files["media/images/img_0_abc.png"], b"png bytes");
    log.exit(0);
    let report = live.finish(Duration::from_secs(10)).unwrap();
    assert!(report.unsent.is_empty());
    let run = server.run(E, P, "media").unwrap();
    assert_eq!(run.file_put_counts["media/images/img_0_abc.png"], 1);
    assert!(run
        .uploaded_names
        .contains(&"media/images/img_0_abc.png".to_string()));
}

#[test]
fn memory_stays_bounded_while_the_server_is_down() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-bounded");
    let mut log = LogSim::create(&dir, "bounded");
    let opts = fast(); // 64 KiB requests
    let limit = opts.max_request_bytes as u64;
    let live = LiveSync::start_with(&settings(&server), &dir, &log.path, opts).unwrap();
    log.run(E, P, "bounded");
    log.flush();
    live.notify_flushed();
    server
        .wait_for_run(E, P, "bounded", Duration::from_secs(5), |_| true)
        .unwrap();
    server.outage(Duration::from_secs(3600));
    for i in 0..30_000 {
        log.row(i, 0.25);
        if i % 1000 == 0 {
            log.flush();
            live.notify_flushed();
        }
    }
    log.flush();
    live.notify_flushed();
    std::thread::sleep(Duration::from_millis(1500));
    let p = live.progress();
    let file_len = std::fs::metadata(&log.path).unwrap().len();
    assert!(p.pending_bytes <= 3 * limit, "{p:?}");
    assert!(
        p.bytes_read < file_len / 4,
        "read ahead of the server: {p:?} of {file_len}"
    );
    // the server comes back: everything arrives
    server.outage(Duration::ZERO);
    log.exit(0);
    live.notify_flushed();
    let report = live.finish(Duration::from_secs(60)).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    assert_eq!(
        steps(&server.run(E, P, "bounded").unwrap()),
        (0..30_000).collect::<Vec<_>>()
    );
}

#[test]
fn run_table_artifacts_are_created_filled_and_committed() {
    use base64::Engine as _;
    use wandb_core::proto::{self, record::RecordType};
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run-art");
    let staging = tmp.path().join("staging-tbl");
    let table = br#"{"columns":["a"],"data":[[1],[2]]}"#;
    std::fs::write(&staging, table).unwrap();
    let md5 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(md5_digest(b));
    let mut log = LogSim::create(&dir, "art");
    let live = LiveSync::start_with(&settings(&server), &dir, &log.path, fast()).unwrap();
    log.run(E, P, "art");
    log.record(RecordType::Artifact(proto::ArtifactRecord {
        run_id: "art".into(),
        r#type: "run_table".into(),
        name: "run-art-tbl".into(),
        digest: "0123".into(),
        aliases: vec!["latest".into()],
        manifest: Some(proto::ArtifactManifest {
            version: 1,
            storage_policy: "wandb-storage-policy-v1".into(),
            contents: vec![proto::ArtifactManifestEntry {
                path: "tbl.table.json".into(),
                digest: md5(table),
                size: table.len() as i64,
                local_path: staging.display().to_string(),
                ..Default::default()
            }],
            ..Default::default()
        }),
        client_id: "c1".into(),
        sequence_client_id: "s1".into(),
        ..Default::default()
    }));
    log.exit(0);
    live.notify_flushed();
    let report = live.finish(Duration::from_secs(20)).unwrap();
    assert_eq!(report.artifacts_uploaded, 1);
    let arts = server.artifacts();
    assert_eq!(arts.len(), 1);
    let a = &arts[0];
    assert!(a.committed);
    assert_eq!(a.input["artifactCollectionName"], "run-art-tbl");
    assert_eq!(a.input["artifactTypeName"], "run_table");
    assert_eq!(a.input["runName"], "art");
    let files = server.artifact_files();
    assert_eq!(files[&format!("files/{}/tbl.table.json", a.id)], table);
    let manifest = files
        .iter()
        .find(|(k, _)| k.starts_with("manifests/"))
        .unwrap()
        .1;
    let m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    assert_eq!(m["contents"]["tbl.table.json"]["digest"], md5(table));
    assert_eq!(
        m["contents"]["tbl.table.json"]["birthArtifactID"],
        a.id.as_str()
    );
    let ops = server.ops();
    let order: Vec<_> = ops
        .iter()
        .filter(|o| o.contains("Artifact"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        order,
        [
            "CreateArtifact",
            "CreateArtifactManifest",
            "CreateArtifactFiles",
            "CreateArtifactManifest",
            "CommitArtifact"
        ]
    );
}

fn md5_digest(b: &[u8]) -> Vec<u8> {
    use md5::Digest as _;
    md5::Md5::digest(b).to_vec()
}
