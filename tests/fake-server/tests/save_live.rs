//! `run.save(glob, SavePolicy::Live)`: online, a live file is uploaded when
//! it is saved, again each time it changes while the run is live, and at
//! the end with its final content; `end` files are uploaded only at the
//! end. Offline, `sync` uploads the file's final content.

use std::path::Path;
use std::time::{Duration, Instant};

use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_core::{init, Console, InitOptions, Mode, SavePolicy};
use wandb_fake_server::FakeServer;

fn opts(dir: &Path, mode: Mode, id: &str) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(mode)
        .project("proj")
        .entity("me")
        .id(id)
        .console(Console::Off)
        .system_metrics(false)
        .quiet(true)
}

/// Waits until the server holds `name` with `content` (10 s at most).
fn wait_for_file(server: &FakeServer, id: &str, name: &str, content: &[u8]) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        let has = server
            .run("me", "proj", id)
            .and_then(|r| r.files.get(name).cloned())
            .is_some_and(|c| c == content);
        if has {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_live_file_is_uploaded_again_each_time_it_changes() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path(), Mode::Online, "live1").environment([
        ("HOME", tmp.path().join("home").display().to_string()),
        ("WANDB_API_KEY", server.api_key().to_string()),
        ("WANDB_BASE_URL", server.url().to_string()),
        ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".to_string()),
    ]))
    .unwrap();
    let notes = tmp.path().join("notes.txt");
    std::fs::write(&notes, "epoch 1").unwrap();
    std::fs::write(tmp.path().join("final.bin"), "end only").unwrap();
    run.save("notes.txt", Some(tmp.path()), SavePolicy::Live)
        .unwrap();
    run.save("final.bin", Some(tmp.path()), SavePolicy::End)
        .unwrap();
    run.log(serde_json::json!({"x": 1})).unwrap();
    assert!(
        wait_for_file(&server, "live1", "notes.txt", b"epoch 1"),
        "first content uploaded while the run is live"
    );

    std::fs::write(&notes, "epoch 1\nepoch 2").unwrap();
    run.log(serde_json::json!({"x": 2})).unwrap();
    assert!(
        wait_for_file(&server, "live1", "notes.txt", b"epoch 1\nepoch 2"),
        "changed content uploaded again while the run is live"
    );
    let r = server.run("me", "proj", "live1").unwrap();
    assert!(
        !r.files.contains_key("final.bin"),
        "an `end` file waits for the end"
    );

    std::fs::write(&notes, "epoch 1\nepoch 2\nepoch 3 (final)").unwrap();
    run.finish().unwrap();
    let r = server.run("me", "proj", "live1").unwrap();
    assert_eq!(
        r.files.get("notes.txt").map(Vec::as_slice),
        Some(&b"epoch 1\nepoch 2\nepoch 3 (final)"[..]),
        "final content uploaded at the end"
    );
    assert_eq!(
        r.file_put_counts.get("notes.txt"),
        Some(&3),
        "uploaded at save, after the change, and at the end"
    );
    assert_eq!(
        r.files.get("final.bin").map(Vec::as_slice),
        Some(&b"end only"[..])
    );
    assert_eq!(r.file_put_counts.get("final.bin"), Some(&1));
    assert!(r.complete);
}

#[test]
fn sync_of_an_offline_run_uploads_the_final_content_of_a_live_file() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        opts(tmp.path(), Mode::Offline, "live2")
            .environment([("HOME", tmp.path().join("home").display().to_string())]),
    )
    .unwrap();
    let notes = tmp.path().join("notes.txt");
    std::fs::write(&notes, "v1").unwrap();
    let saved = run
        .save("notes.txt", Some(tmp.path()), SavePolicy::Live)
        .unwrap();
    assert_eq!(saved, vec![run.files_dir().join("notes.txt")]);
    std::fs::write(&notes, "v1 v2").unwrap();
    run.log(serde_json::json!({"x": 1})).unwrap();
    std::fs::write(&notes, "v1 v2 v3").unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();

    let server = FakeServer::start();
    let o = SyncOptions {
        base_url: Some(server.url().into()),
        api_key: Some(server.api_key().into()),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    let r = server.run("me", "proj", "live2").expect("the synced run");
    assert_eq!(
        r.files.get("notes.txt").map(Vec::as_slice),
        Some(&b"v1 v2 v3"[..])
    );
    assert_eq!(r.file_put_counts.get("notes.txt"), Some(&1));
}
