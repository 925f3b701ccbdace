//! Artifacts of an online run are uploaded while it runs: checkpoints
//! logged with `CheckpointManager` reach the fake server (created, files
//! PUT — retried through transient upload failures — manifest, committed);
//! `wait()` returns the committed version, a refusal or a timeout.

use std::path::Path;
use std::time::Duration;

use wandb_core::{init, CheckpointManager, Console, Goal, InitOptions, Mode};
use wandb_fake_server::{FakeServer, Fault, Target};

fn opts(server: &FakeServer, dir: &Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Online)
        .project("proj")
        .entity("me")
        .id("artonl01")
        .console(Console::Off)
        .system_metrics(false)
        .environment([
            ("HOME", dir.join("home").display().to_string()),
            ("WANDB_API_KEY", server.api_key().to_string()),
            ("WANDB_BASE_URL", server.url().to_string()),
            ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".to_string()),
        ])
}

#[test]
fn checkpoints_of_an_online_run_are_uploaded_and_committed() {
    let server = FakeServer::start();
    // the first two file PUTs fail transiently: retried
    server.inject(Fault::status(Target::Upload, 503, 2));
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path())).unwrap();
    let mut ckpts = CheckpointManager::new(&run).monitor("val_loss", Goal::Minimize);
    for (epoch, loss) in [(0u64, 0.5), (1, 0.7)] {
        let p = tmp.path().join(format!("w{epoch}.bin"));
        std::fs::write(&p, format!("weights {epoch}")).unwrap();
        ckpts.save(&p, epoch, Some(loss)).unwrap();
    }
    run.finish().unwrap();
    assert_eq!(server.faults_fired(), 2);

    let arts = server.artifacts();
    assert_eq!(arts.len(), 2, "{arts:?}");
    for (epoch, a) in arts.iter().enumerate() {
        assert!(a.committed, "{a:?}");
        assert_eq!(a.input["artifactCollectionName"], "model-artonl01");
        assert_eq!(a.input["artifactTypeName"], "model");
        assert_eq!(a.input["entityName"], "me");
        let mut aliases: Vec<&str> = a.input["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["alias"].as_str().unwrap())
            .collect();
        aliases.sort();
        let epoch_alias = format!("epoch_{epoch}");
        let mut want = vec!["latest", epoch_alias.as_str()];
        if epoch == 0 {
            want.push("best");
        }
        want.sort();
        assert_eq!(aliases, want);
        let meta: serde_json::Value =
            serde_json::from_str(a.input["metadata"].as_str().unwrap()).unwrap();
        assert_eq!(meta["epoch"], epoch);
        let bytes = &server.artifact_files()[&format!("files/{}/w{epoch}.bin", a.id)];
        assert_eq!(bytes, format!("weights {epoch}").as_bytes());
    }
}

#[test]
fn a_refused_upload_commits_nothing_and_a_later_sync_uploads_from_the_staged_copy() {
    use wandb_core::online::{sync_run_dir, SyncOptions};
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        InitOptions::new()
            .dir(tmp.path())
            .mode(Mode::Offline)
            .project("proj")
            .console(Console::Off)
            .system_metrics(false)
            .environment([("HOME", tmp.path().join("home").display().to_string())]),
    )
    .unwrap();
    let p = tmp.path().join("w.bin");
    std::fs::write(&p, "weights").unwrap();
    let mut a = wandb_core::Artifact::new("model-x", "model").unwrap();
    a.add_file(&p, None).unwrap();
    run.log_artifact(&a, &["best"]).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    std::fs::remove_file(&p).unwrap(); // only the staged copy is left

    let server = FakeServer::start();
    let o = SyncOptions {
        entity: Some("me".into()),
        base_url: Some(server.url().into()),
        api_key: Some(server.api_key().into()),
        ..SyncOptions::default()
    };
    server.inject(Fault::status(Target::Upload, 403, 1));
    let err = sync_run_dir(&dir, &o, |_| {}).unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    assert!(server.artifacts().iter().all(|a| !a.committed));
    // later: the same directory, the staged copy
    let report = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    let committed: Vec<_> = server
        .artifacts()
        .into_iter()
        .filter(|a| a.committed)
        .collect();
    assert_eq!(committed.len(), 1);
    let bytes = &server.artifact_files()[&format!("files/{}/w.bin", committed[0].id)];
    assert_eq!(bytes, b"weights");
}

#[test]
fn wait_returns_each_committed_version_even_after_the_run_is_gone() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path())).unwrap();
    let mut logged = Vec::new();
    for epoch in 0..2u64 {
        let p = tmp.path().join(format!("w{epoch}.bin"));
        std::fs::write(&p, format!("weights {epoch}")).unwrap();
        logged.push(
            run.log_model(&p, Some("model-artonl01"), &["best"])
                .unwrap(),
        );
    }
    let first = logged[0].wait(Duration::from_secs(60)).unwrap();
    assert_eq!(first.name, "model-artonl01");
    assert_eq!(first.version(), "v0");
    assert_eq!(first.digest, logged[0].digest);
    assert_eq!(first.state, "COMMITTED");
    let mut aliases = first.aliases.clone();
    aliases.sort();
    assert_eq!(aliases, ["best", "latest"]);
    run.finish().unwrap();
    drop(run);
    // the run is gone: the uploader's outcome is still there
    let second = logged[1].wait(Duration::from_secs(5)).unwrap();
    assert_eq!(
        (second.version_index, second.digest.as_str()),
        (1, logged[1].digest.as_str())
    );
    assert_eq!(
        server.ops().iter().filter(|o| *o == "ArtifactByID").count(),
        2
    );
}

#[test]
fn wait_reports_an_artifact_the_server_refuses_and_a_timeout() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    // the server refuses the artifact (e.g. a name or alias it does not accept)
    server.inject(Fault::status(Target::op("CreateArtifact"), 400, 1));
    let run = init(opts(&server, tmp.path())).unwrap();
    let p = tmp.path().join("w.bin");
    std::fs::write(&p, "weights").unwrap();
    let logged = run.log_model(&p, Some("refused"), &["prod"]).unwrap();
    let err = logged.wait(Duration::from_secs(60)).unwrap_err();
    match &err {
        wandb_core::Error::Artifact(wandb_core::ArtifactError::UploadFailed { name, message }) => {
            assert_eq!(name, "refused");
            assert!(message.contains("400"), "{message}");
        }
        other => panic!("expected UploadFailed, got {other:?}"),
    }
    assert!(err.to_string().contains("wandb-rs sync"), "{err}");
    assert!(server.artifacts().iter().all(|a| !a.committed));
    // the run carries on, as the official client: later rows and artifacts
    // reach the server, and it finishes cleanly
    for step in 0..3 {
        run.log(wandb_core::row! {"after_refusal" => step}).unwrap();
    }
    let later = run.log_model(&p, Some("accepted"), &["prod"]).unwrap();
    assert_eq!(later.wait(Duration::from_secs(60)).unwrap().version(), "v0");
    run.finish().unwrap();
    let data = server.only_run();
    let after: Vec<_> = data
        .history()
        .iter()
        .filter_map(|r| r.get("after_refusal").cloned())
        .collect();
    assert_eq!(
        after,
        [0, 1, 2].map(serde_json::Value::from),
        "{:?}",
        data.history()
    );
    assert_eq!(
        server
            .artifacts()
            .iter()
            .filter(|a| a.committed)
            .map(|a| a.input["artifactCollectionName"].clone())
            .collect::<Vec<_>>(),
        ["accepted"]
    );
    assert_eq!(data.state(), "finished");

    // nothing committed within the time given: a timeout, not a hang
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(&server, tmp.path())).unwrap();
    server.inject(Fault::delay(
        Target::op("CreateArtifact"),
        Duration::from_secs(2),
        1,
    ));
    let logged = run.log_model(&p, Some("slow"), &[] as &[&str]).unwrap();
    let err = logged.wait(Duration::from_millis(300)).unwrap_err();
    assert!(
        matches!(
            err,
            wandb_core::Error::Artifact(wandb_core::ArtifactError::WaitTimeout { .. })
        ),
        "{err:?}"
    );
    // it goes on in the background
    assert_eq!(
        logged.wait(Duration::from_secs(60)).unwrap().version(),
        "v0"
    );
    run.finish().unwrap();
}
