//! `sync` of offline runs written by wandb-rs: what our sync sends equals
//! what the official `wandb sync` sends for the same run directory.

mod common;

use std::process::Command;

use common::*;
use serde_json::json;
use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_core::{init, row, Console, InitOptions, Mode};
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, oracle_wandb, ScratchDir};

#[test]
fn our_offline_run_syncs_like_official_wandb_sync_does_it() {
    let scratch = ScratchDir::new("sync-ours");
    let root = scratch.path().join("proj");
    let run = init(
        InitOptions::new()
            .dir(&root)
            .mode(Mode::Offline)
            .project("ours")
            .id("ours01")
            .console(Console::Off)
            .system_metrics(false)
            .config(&json!({"lr": 0.01, "nested": {"a": 1}}))
            .environment([("HOME", scratch.path().join("home").display().to_string())]),
    )
    .unwrap();
    for i in 0..50 {
        run.log(row! {"loss" => 1.0 / (i as f64 + 1.0), "acc" => i as f64 / 50.0})
            .unwrap();
    }
    run.summary().set("best", 0.98).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let copy = scratch.path().join("copy").join(dir.file_name().unwrap());
    copy_dir(&dir, &copy);

    // ours
    let server = FakeServer::start();
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(server.url().into()),
        api_key: Some(server.api_key().into()),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(report.unsent.is_empty());
    assert_eq!(report.history_lines, 50);
    let mine = server.run("mock-entity", "ours", "ours01").unwrap();

    // official
    let official_server = FakeServer::start();
    let mut cmd = Command::new(oracle_wandb());
    hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", official_server.api_key())
        .env("WANDB_BASE_URL", official_server.url())
        .args(["sync", "-e", "mock-entity"])
        .arg(&copy);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = official_server
        .run("mock-entity", "ours", "ours01")
        .unwrap_or_else(|| {
            panic!(
                "{:?} {:?} {}",
                official_server.ops(),
                official_server
                    .runs()
                    .iter()
                    .map(|r| (r.entity.clone(), r.project.clone(), r.name.clone()))
                    .collect::<Vec<_>>(),
                String::from_utf8_lossy(&out.stdout)
            )
        });

    assert_eq!(mine.state(), "finished");
    assert_eq!(theirs.state(), "finished");
    let lines = |r: &wandb_fake_server::RunData| -> Vec<_> {
        r.stream("wandb-history.jsonl")
            .text_lines()
            .iter()
            .map(|l| parse(l))
            .collect()
    };
    assert_eq!(lines(&mine), lines(&theirs));
    assert_eq!(lines(&mine).len(), 50);
    let summary =
        |r: &wandb_fake_server::RunData| parse(&r.stream("wandb-summary.json").text_lines()[0]);
    assert_eq!(summary(&mine), summary(&theirs));
    assert_eq!(mine.plain_config(), theirs.plain_config());
    assert_eq!(mine.plain_config()["lr"], json!(0.01));
    let names = |r: &wandb_fake_server::RunData| {
        r.files
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(names(&mine), names(&theirs));
    assert!(dir.join("run-ours01.wandb.synced").exists());
    assert!(dir.join("files/config.yaml").exists());
}
