//! `wandb_core::init` in online mode against the fake server: the whole run
//! lifecycle through the real writer thread and `LiveSync`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use wandb_core::{init, row, Console, InitOptions, Mode};
use wandb_fake_server::{FakeServer, Fault, Target};

fn opts(server: &FakeServer, dir: &Path, id: &str) -> InitOptions {
    opts_with_key(server, dir, id, server.api_key())
}

fn opts_with_key(server: &FakeServer, dir: &Path, id: &str, key: &str) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Online)
        .project("proj")
        .entity("me")
        .id(id)
        .console(Console::Off)
        .system_metrics(false)
        .environment([
            ("HOME", dir.join("home").display().to_string()),
            ("WANDB_API_KEY", key.to_string()),
            ("WANDB_BASE_URL", server.url().to_string()),
            // file_stream requests every 0.05 s instead of 15 s
            ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".to_string()),
        ])
}

#[test]
fn an_online_run_arrives_complete() {
    let server = FakeServer::start();
    server.inject(Fault::status(Target::FileStream, 503, 1));
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        opts(&server, tmp.path(), "e2e1")
            .config(&json!({"lr": 0.1, "layers": [8, 4]}))
            .tags(["t1", "t2"])
            .notes("some notes"),
    )
    .unwrap();
    for i in 0..2000 {
        run.log(row! {"loss" => 1.0 / (i as f64 + 1.0), "epoch" => i / 100})
            .unwrap();
    }
    run.config().update(&json!({"extra": "yes"})).unwrap();
    run.summary().set("best", 0.9).unwrap();
    run.flush().unwrap();
    // rows stream while the run is live
    let live = server.wait_for_run("me", "proj", "e2e1", Duration::from_secs(20), |r| {
        r.history().len() == 2000
    });
    assert_eq!(live.unwrap().history().len(), 2000);
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();

    let r = server.run("me", "proj", "e2e1").unwrap();
    assert_eq!(r.state(), "finished");
    assert_eq!(steps(&r), (0..2000).collect::<Vec<_>>());
    let h = r.history();
    assert_eq!(h[1999]["loss"], json!(1.0 / 2000.0));
    assert_eq!(h[1999]["epoch"], json!(19));
    let cfg = r.plain_config();
    assert_eq!(cfg["lr"], json!(0.1));
    assert_eq!(cfg["layers"], json!([8, 4]));
    assert_eq!(cfg["extra"], json!("yes"));
    assert_eq!(r.tags, vec!["t1", "t2"]);
    assert_eq!(r.notes.as_deref(), Some("some notes"));
    assert_eq!(r.summary["best"], json!(0.9));
    assert_eq!(r.summary["loss"], json!(1.0 / 2000.0));
    for f in ["config.yaml", "wandb-summary.json", "wandb-metadata.json"] {
        assert!(
            r.files.contains_key(f),
            "{f} not uploaded: {:?}",
            r.files.keys()
        );
        assert!(
            dir.join("files").join(f).exists(),
            "{f} not written locally"
        );
    }
    assert_eq!(server.uploads_with_auth(), 0);
    assert_not_in_files(tmp.path(), server.api_key());
}

#[test]
fn a_rejected_key_fails_init_quickly() {
    let server = FakeServer::with_api_key(&"k".repeat(40));
    let tmp = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let err = match init(opts_with_key(
        &server,
        tmp.path(),
        "nokey",
        wandb_fake_server::DEFAULT_API_KEY,
    )) {
        Ok(_) => panic!("init accepted a rejected key"),
        Err(e) => e,
    };
    assert!(t.elapsed() < Duration::from_secs(5));
    let msg = err.to_string();
    assert!(msg.contains("rejected the API key"), "{msg}");
    assert!(!msg.contains(wandb_fake_server::DEFAULT_API_KEY));
}

#[test]
fn a_large_run_arrives_complete() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path(), "big")).unwrap();
    for i in 0..100_000 {
        run.log(row! {"loss" => 1.0 / (i as f64 + 1.0), "acc" => 0.5})
            .unwrap();
    }
    run.finish().unwrap();
    let r = server.run("me", "proj", "big").unwrap();
    assert_eq!(steps(&r).len(), 100_000);
    assert_eq!(r.state(), "finished");
}

#[test]
fn a_permanent_server_error_is_reported_by_finish() {
    let server = FakeServer::start();
    server.inject(Fault::status(Target::FileStream, 400, 1000));
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path(), "bad")).unwrap();
    for i in 0..10 {
        run.log(row! {"loss" => i}).unwrap();
    }
    let err = run.finish().unwrap_err();
    assert!(err.to_string().contains("HTTP 400"), "{err}");
}

#[test]
fn a_resumed_run_continues_its_steps() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path(), "res1")).unwrap();
    for i in 0..10 {
        run.log(row! {"loss" => i}).unwrap();
    }
    run.finish().unwrap();
    let tmp2 = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp2.path(), "res1").resume(wandb_core::Resume::Allow)).unwrap();
    assert_eq!(run.current_step(), 10);
    for i in 10..15 {
        run.log(row! {"loss" => i}).unwrap();
    }
    run.finish().unwrap();
    let r = server.run("me", "proj", "res1").unwrap();
    assert_eq!(steps(&r), (0..15).collect::<Vec<_>>());
    assert_eq!(r.state(), "finished");
}

#[test]
fn a_stop_from_the_server_is_visible_on_the_run() {
    let server = FakeServer::start();
    server.stop_run("me", "proj", "stop1");
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path(), "stop1")).unwrap();
    let t = Instant::now();
    let mut i = 0;
    while !run.stop_requested() && t.elapsed() < Duration::from_secs(10) {
        run.log(row! {"loss" => i}).unwrap();
        i += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(run.stop_requested());
    run.finish().unwrap();
    assert_eq!(
        server.run("me", "proj", "stop1").unwrap().state(),
        "finished"
    );
}

#[test]
fn system_metrics_stream_as_events() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        opts(&server, tmp.path(), "sys1")
            .system_metrics(true)
            .with(|s| s.stats_sampling_interval = Duration::from_millis(100)),
    )
    .unwrap();
    let seen = server.wait_for_run("me", "proj", "sys1", Duration::from_secs(20), |r| {
        r.events().len() >= 2
    });
    run.log(row! {"loss" => 1}).unwrap();
    let wandb_file = run.wandb_file().to_path_buf();
    run.finish().unwrap();
    assert!(seen.is_some());
    let r = server.run("me", "proj", "sys1").unwrap();
    let events = r.events();
    // every sample the run recorded arrived, once
    let sampled = wandb_core::store::read_file(&wandb_file)
        .unwrap()
        .records
        .into_iter()
        .filter(|r| {
            matches!(
                r.record_type,
                Some(wandb_core::proto::record::RecordType::Stats(_))
            )
        })
        .count();
    assert!(sampled >= 2, "{sampled} samples");
    assert_eq!(events.len(), sampled, "{events:?}");
    for e in &events {
        assert_eq!(e["_wandb"], json!(true));
        assert!(
            e["_timestamp"].is_number() && e["_runtime"].is_number(),
            "{e}"
        );
        let obj = e.as_object().unwrap();
        assert!(
            obj.keys()
                .filter(|k| !k.starts_with('_'))
                .all(|k| k.starts_with("system.")),
            "{e}"
        );
        assert!(obj.keys().any(|k| k.starts_with("system.")), "{e}");
    }
}
