//! `sync_run_dir` of runs written by the official client, compared with
//! what `wandb sync` sent for the same runs (captures in
//! tests/fixtures/online/captures).

mod common;

use std::collections::BTreeSet;

use common::*;
use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_fake_server::FakeServer;

fn opts(server: &FakeServer) -> SyncOptions {
    SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(server.url().into()),
        api_key: Some(server.api_key().into()),
        ..SyncOptions::default()
    }
}

fn check_against_capture(fixture: &str, capture: &str, run_id: &str, project: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run(fixture, tmp.path());
    let server = FakeServer::start();
    let mut progress = Vec::new();
    let report = sync_run_dir(&dir, &opts(&server), |p| progress.push(p)).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    assert!(!progress.is_empty());
    let want = expected(capture);
    let run = server
        .run("mock-entity", project, run_id)
        .expect("run created");
    assert_eq!(run.state(), "finished");
    assert_eq!(run.exitcode, Some(0));

    // history rows: same values as wandb sync sent
    let got: Vec<_> = run
        .stream("wandb-history.jsonl")
        .text_lines()
        .iter()
        .map(|l| parse(l))
        .collect();
    let exp: Vec<_> = want["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| parse(l.as_str().unwrap()))
        .collect();
    assert_eq!(got, exp);
    for s in run.streams.values() {
        assert!(s.holes().is_empty());
    }

    // system metrics: same rows
    let got: Vec<_> = run
        .stream("wandb-events.jsonl")
        .text_lines()
        .iter()
        .map(|l| parse(l))
        .collect();
    let exp: Vec<_> = want["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| parse(l.as_str().unwrap()))
        .collect();
    assert_eq!(got, exp);

    // summary
    let got_summary = parse(&run.stream("wandb-summary.json").text_lines()[0]);
    assert_eq!(got_summary, parse(want["summary"].as_str().unwrap()));

    // console text (timestamps are the time of the sync)
    let got: Vec<_> = run.output().iter().map(|l| console_text(l)).collect();
    let exp: Vec<_> = want["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| console_text(l.as_str().unwrap()))
        .collect();
    assert_eq!(got, exp);

    // the same run files were uploaded, with the local bytes
    let got: BTreeSet<_> = run.files.keys().cloned().collect();
    let exp: BTreeSet<_> = want["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, exp);
    for (name, bytes) in &run.files {
        assert_eq!(
            bytes,
            &std::fs::read(dir.join("files").join(name)).unwrap(),
            "{name}"
        );
    }
    let uploaded: BTreeSet<_> = run.uploaded_names.iter().cloned().collect();
    assert_eq!(uploaded, exp);

    // first UpsertBucket: same run fields and config as wandb sync
    let first = &run.upserts[0];
    let exp_first = &want["upsert_first"];
    for k in [
        "name",
        "project",
        "entity",
        "host",
        "groupName",
        "jobType",
        "displayName",
        "notes",
        "tags",
    ] {
        assert_eq!(first[k], exp_first[k], "{k}");
    }
    assert_eq!(
        parse(first["config"].as_str().unwrap()),
        parse(exp_first["config"].as_str().unwrap())
    );

    // generated files, as wandb sync writes them
    let cap = fixtures().join("captures").join(capture);
    assert_eq!(
        parse(&std::fs::read_to_string(dir.join("files/wandb-summary.json")).unwrap()),
        parse(&std::fs::read_to_string(cap.join("wandb-summary.json")).unwrap())
    );
    assert!(dir.join(format!("run-{run_id}.wandb.synced")).exists());
    assert_eq!(
        server.uploads_with_auth(),
        0,
        "credentials were sent to an upload URL"
    );
    assert_not_in_files(&dir, server.api_key());
    assert_eq!(
        report.history_lines,
        want["history"].as_array().unwrap().len()
    );
    assert_eq!(report.files_uploaded.len(), exp.len());
}

#[test]
fn sync_of_the_official_minimal_run_matches_wandb_sync() {
    check_against_capture("minimal_run", "minimal", "minrun01", "fmt-test");
}

#[test]
fn sync_of_the_official_media_run_matches_wandb_sync() {
    check_against_capture("media_run", "media", "mediarun1", "fmt-media");
}

/// The media run's artifacts name staging files of the machine that made
/// it: they are skipped (not created half-way) and the rest of the run syncs.
#[test]
fn artifacts_without_their_staging_files_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run("media_run", tmp.path());
    let server = FakeServer::start();
    let report = sync_run_dir(&dir, &opts(&server), |_| {}).unwrap();
    assert!(report.unsent.is_empty());
    assert_eq!(report.artifacts_uploaded, 0);
    assert!(server.artifacts().is_empty());
}

#[test]
fn generated_files_match_the_official_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run("minimal_run", tmp.path());
    let server = FakeServer::start();
    sync_run_dir(&dir, &opts(&server), |_| {}).unwrap();
    let cap = fixtures().join("captures/minimal");
    // metadata: the same environment
    let got: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("files/wandb-metadata.json")).unwrap(),
    )
    .unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cap.join("wandb-metadata.json")).unwrap())
            .unwrap();
    assert_eq!(got, want);
    // config.yaml: same text except the `e` key and the feature list
    let strip = |s: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut skip_indent: Option<usize> = None;
        for l in s.lines() {
            let ind = l.len() - l.trim_start().len();
            if let Some(i) = skip_indent {
                if ind > i {
                    continue;
                }
                skip_indent = None;
            }
            if l.trim_start().starts_with("01a20084-") || l.trim_start() == "\"3\":" {
                skip_indent = Some(ind);
                continue;
            }
            out.push(l.to_string());
        }
        out
    };
    let got = std::fs::read_to_string(dir.join("files/config.yaml")).unwrap();
    let want = std::fs::read_to_string(cap.join("config.yaml")).unwrap();
    assert_eq!(strip(&got), strip(&want));
    assert!(got.ends_with('\n'));
}

#[test]
fn synced_directories_are_skipped_unless_included_and_resync_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run("minimal_run", tmp.path());
    let server = FakeServer::start();
    sync_run_dir(&dir, &opts(&server), |_| {}).unwrap();
    let again = sync_run_dir(&dir, &opts(&server), |_| {}).unwrap();
    assert!(again.skipped);
    let o = SyncOptions {
        include_synced: true,
        ..opts(&server)
    };
    let third = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(!third.skipped);
    let run = server.only_run();
    let h = run.stream("wandb-history.jsonl");
    assert_eq!(h.lines.len(), 4);
    assert_eq!(h.changed_rewrites, 0);
}

#[test]
fn overrides_of_entity_project_and_id() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run("minimal_run", tmp.path());
    let server = FakeServer::start();
    let o = SyncOptions {
        entity: Some("team".into()),
        project: Some("other".into()),
        run_id: Some("newid".into()),
        ..opts(&server)
    };
    let r = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert_eq!(
        (r.entity.as_str(), r.project.as_str(), r.run_id.as_str()),
        ("team", "other", "newid")
    );
    let run = server.run("team", "other", "newid").unwrap();
    assert_eq!(run.history().len(), 4);
    assert_eq!(run.state(), "finished");
}

#[test]
fn a_rejected_key_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run("minimal_run", tmp.path());
    let server = FakeServer::start();
    let o = SyncOptions {
        api_key: Some("x".repeat(40)),
        ..opts(&server)
    };
    let err = sync_run_dir(&dir, &o, |_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("rejected the API key"), "{msg}");
    assert!(!msg.contains(&"x".repeat(40)));
    assert!(!dir.join("run-minrun01.wandb.synced").exists());
}

/// The official online run's log, replayed by our sync, gives what the
/// official client streamed live: metric summaries (`loss: {min}`), the
/// alert, every row.
#[test]
fn replay_of_the_official_online_run_matches_its_live_upload() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_run("online_run", tmp.path());
    let server = FakeServer::start();
    let report = sync_run_dir(&dir, &opts(&server), |_| {}).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    let want = expected("online");
    let run = server
        .run("mock-entity", "fmt-online", "onlinerun1")
        .unwrap();
    assert_eq!(run.state(), "finished");
    let got: Vec<_> = run
        .stream("wandb-history.jsonl")
        .text_lines()
        .iter()
        .map(|l| parse(l))
        .collect();
    let exp: Vec<_> = want["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| parse(l.as_str().unwrap()))
        .collect();
    assert_eq!(got, exp);
    let mut got = parse(&run.stream("wandb-summary.json").text_lines()[0]);
    let mut exp = parse(want["summary"].as_str().unwrap());
    // `_runtime` is the run's whole runtime in the live upload (a detail of the live sender)
    for s in [&mut got, &mut exp] {
        if let wandb_core::Value::Map(m) = s {
            m.shift_remove("_runtime");
        }
    }
    assert_eq!(got, exp);
    assert_eq!(run.alerts.len(), 1);
    for k in [
        "entityName",
        "projectName",
        "runName",
        "title",
        "text",
        "severity",
        "waitDuration",
    ] {
        assert_eq!(run.alerts[0][k], want["alerts"][0][k], "{k}");
    }
    let first = &run.upserts[0];
    for k in [
        "name",
        "project",
        "entity",
        "groupName",
        "jobType",
        "displayName",
        "notes",
        "tags",
        "host",
    ] {
        assert_eq!(first[k], want["upsert_first"][k], "{k}");
    }
    let got: BTreeSet<_> = run.files.keys().cloned().collect();
    let exp: BTreeSet<_> = want["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, exp);
}
