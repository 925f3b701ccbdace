//! `run.use_artifact` online does what the official client does: against
//! the artifact reference mock, an online wandb-rs run and an online
//! official run use the same version; the `UseArtifact` requests (but the
//! run name) and the `use_artifact` records (read by `wandb leet inspect`)
//! are equal. Offline it is refused, as the official client refuses it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{init, CheckpointManager, Console, Goal, InitOptions, Mode};
use wandb_test_support::{leet_inspect, ArtifactMock, ScratchDir, MOCK_API_KEY};

fn opts(root: &Path, id: &str) -> InitOptions {
    InitOptions::new()
        .dir(root)
        .project("art-use")
        .id(id)
        .console(Console::Off)
        .system_metrics(false)
}

fn use_records(dir: &Path) -> Vec<serde_json::Value> {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "wandb"))
        .unwrap();
    leet_inspect(&file)
        .into_iter()
        .filter(|r| r["type"] == "use_artifact")
        .map(|r| r["use_artifact"].clone())
        .collect()
}

fn use_requests(mock: &ArtifactMock) -> Vec<serde_json::Value> {
    mock.requests()
        .into_iter()
        .filter(|r| r["op"] == "UseArtifact")
        .map(|r| {
            let mut v = r["body"]["variables"].clone();
            let m = v.as_object_mut().unwrap();
            m.remove("runName");
            m.retain(|_, x| !x.is_null());
            v
        })
        .collect()
}

#[test]
fn use_artifact_online_looks_up_records_and_links_like_the_official_client() {
    let scratch = ScratchDir::new("art-use");
    let mock = ArtifactMock::start();
    // two checkpoints of run artsrc01 on the server: best = v0
    let src = {
        let root = scratch.path().join("src");
        let run = init(
            opts(&root, "artsrc01")
                .mode(Mode::Offline)
                .environment([("HOME", root.join("home").display().to_string())]),
        )
        .unwrap();
        let mut ckpts = CheckpointManager::new(&run).monitor("val_loss", Goal::Minimize);
        for (e, loss) in [(0u64, 0.1), (1, 0.2)] {
            let p = root.join(format!("w{e}.bin"));
            std::fs::write(&p, format!("weights {e}")).unwrap();
            ckpts.save(&p, e, Some(loss)).unwrap();
        }
        let dir = run.dir().to_path_buf();
        // offline: refused, nothing written
        assert!(matches!(
            run.use_artifact("model-artsrc01:best"),
            Err(wandb::Error::Artifact(
                wandb::ArtifactError::NeedsServer { .. }
            ))
        ));
        run.finish().unwrap();
        dir
    };
    assert!(use_records(&src).is_empty());
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(mock.url()),
        api_key: Some(MOCK_API_KEY.into()),
        timeout: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    };
    sync_run_dir(&src, &o, |_| {}).unwrap();

    // ours, online
    let root = scratch.path().join("ours");
    let run = init(opts(&root, "artuse01").mode(Mode::Online).environment([
        ("HOME", root.join("home").display().to_string()),
        ("WANDB_API_KEY", MOCK_API_KEY.to_string()),
        ("WANDB_BASE_URL", mock.url()),
    ]))
    .unwrap();
    let used = run.use_artifact("model-artsrc01:best").unwrap();
    assert_eq!(
        (used.version.as_str(), used.r#type.as_str()),
        ("v0", "model")
    );
    let ours_dir: PathBuf = run.dir().to_path_buf();
    run.finish().unwrap();
    let ours = use_requests(&mock);
    assert_eq!(ours.len(), 1);

    // the official client, online, against the same mock
    let theirs_root = scratch.path().join("official");
    std::fs::create_dir_all(&theirs_root).unwrap();
    let mut cmd = std::process::Command::new(wandb_test_support::oracle_python());
    wandb_test_support::hermetic(&mut cmd, &theirs_root)
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", MOCK_API_KEY)
        .env("WANDB_BASE_URL", mock.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args([
            "-c",
            "import wandb\nrun = wandb.init(project='art-use', id='artuse02')\nrun.use_artifact('model-artsrc01:best')\nrun.finish()\nprint(run.dir)",
        ]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs_dir = std::fs::read_dir(theirs_root.join("wandb"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("run-"))
        })
        .unwrap();
    let all = use_requests(&mock);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[1], all[0], "UseArtifact variables");
    assert_eq!(all[0]["artifactID"], used.id.as_str());
    assert_eq!(
        use_records(&ours_dir),
        use_records(&theirs_dir),
        "use_artifact records"
    );
    assert_eq!(use_records(&ours_dir).len(), 1);
}
