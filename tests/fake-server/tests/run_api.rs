//! The Run API online against the fake server: URL and entity at init,
//! `set_name`/`set_tags`/`set_notes` (UpsertBucket), `alert`
//! (notifyScriptableRunAlert), `mark_preempting` (file_stream
//! `preempting`), and `stop_requested` kept current by polling
//! `RunStoppedStatus` after the run is stopped on the server.

use std::path::Path;
use std::time::{Duration, Instant};

use wandb_core::{init, AlertLevel, Console, InitOptions, Mode};
use wandb_fake_server::FakeServer;

fn opts(server: &FakeServer, dir: &Path, id: &str, transmit: &str) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Online)
        .project("proj")
        .entity("me")
        .id(id)
        .console(Console::Off)
        .system_metrics(false)
        .quiet(true)
        .environment([
            ("HOME", dir.join("home").display().to_string()),
            ("WANDB_API_KEY", server.api_key().to_string()),
            ("WANDB_BASE_URL", server.url().to_string()),
            (
                "WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL",
                transmit.to_string(),
            ),
            ("WANDB_X_STOP_POLL_INTERVAL", "0.05".to_string()),
        ])
}

#[test]
fn renames_tags_notes_alerts_and_preempting_reach_the_server() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path(), "api1", "0.05")).unwrap();
    // a local server's app URL is the server URL itself
    assert_eq!(
        run.url(),
        Some(format!("{}/me/proj/runs/api1", server.url()))
    );
    assert_eq!(run.entity().as_deref(), Some("me"));
    run.log(serde_json::json!({"x": 1})).unwrap();
    run.set_name("renamed").unwrap();
    run.set_tags(["b", "c"]).unwrap();
    run.set_notes("notes later").unwrap();
    run.alert(
        "diverged",
        "loss is NaN",
        AlertLevel::Error,
        Some(Duration::from_secs(5)),
    )
    .unwrap();
    run.mark_preempting().unwrap();
    std::fs::write(tmp.path().join("model.ckpt"), "weights").unwrap();
    let saved = run
        .save("model.ckpt", Some(tmp.path()), wandb_core::SavePolicy::End)
        .unwrap();
    assert_eq!(saved.len(), 1);
    run.finish().unwrap();

    let r = server.run("me", "proj", "api1").expect("the run");
    assert_eq!(r.display_name.as_deref(), Some("renamed"));
    assert_eq!(r.tags, vec!["b", "c"]);
    assert_eq!(r.notes.as_deref(), Some("notes later"));
    assert_eq!(r.alerts.len(), 1, "{:?}", r.alerts);
    let a = &r.alerts[0];
    assert_eq!(a["title"], "diverged");
    assert_eq!(a["text"], "loss is NaN");
    assert_eq!(a["severity"], "ERROR");
    assert_eq!(a["waitDuration"], 5000);
    assert!(r.preempting, "file_stream carried preempting");
    assert_eq!(
        r.files.get("model.ckpt").map(Vec::as_slice),
        Some(&b"weights"[..]),
        "saved file uploaded"
    );
}

#[test]
fn a_run_stopped_on_the_server_is_seen_by_polling() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    // file_stream only every 60 s: the stop must come from RunStoppedStatus
    let run = init(opts(&server, tmp.path(), "stop1", "60")).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!run.stop_requested());
    server.stop_run("me", "proj", "stop1");
    let t = Instant::now();
    while !run.stop_requested() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(run.stop_requested(), "stop seen within 10 s");
    assert!(server.ops().iter().any(|o| o == "RunStoppedStatus"));
    run.finish().unwrap();
}

#[test]
fn online_without_an_api_key_says_how_to_give_one() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let err = init(
        InitOptions::new()
            .dir(tmp.path())
            .mode(Mode::Online)
            .quiet(true)
            .environment([
                ("HOME", tmp.path().join("home").display().to_string()),
                ("WANDB_BASE_URL", server.url().to_string()),
            ]),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("invalid setting api_key: no W&B API key for "),
        "{msg}"
    );
    assert!(
        msg.ends_with("set WANDB_API_KEY, pass Settings::api_key, or run `wandb-rs login` (stores it in ~/.netrc)"),
        "{msg}"
    );
    assert!(server.ops().is_empty(), "nothing sent without a key");
    assert!(!tmp.path().join("wandb").exists(), "nothing written");
}
