//! `keep_latest` against the artifact reference mock: checkpoints logged
//! offline with `CheckpointManager` are synced with `wandb-rs sync`, old
//! versions are deleted, and the official client's `Api().artifacts()`
//! lists what is left.

use std::path::Path;
use std::time::Duration;

use wandb::online::{keep_latest, sync_run_dir, ApiKey, Client, RetryPolicy, SyncOptions};
use wandb::{init, Artifact, CheckpointManager, Console, Goal, InitOptions, Mode};
use wandb_test_support::{ArtifactMock, ScratchDir, MOCK_API_KEY};

/// v0 holds the user alias `baseline`, v1 `best`; v2..v5 only checkpoint aliases.
fn six_checkpoints(root: &Path) -> std::path::PathBuf {
    let run = init(
        InitOptions::new()
            .dir(root)
            .mode(Mode::Offline)
            .project("art-clean")
            .id("artclean")
            .console(Console::Off)
            .system_metrics(false)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    let w = |e: u64| {
        let p = root.join(format!("w{e}.bin"));
        std::fs::write(&p, format!("weights {e}")).unwrap();
        p
    };
    let mut base = Artifact::new("model-artclean", "model").unwrap();
    base.add_file(w(0), Some("w.bin")).unwrap();
    run.log_artifact(&base, &["baseline"]).unwrap();
    let mut ckpts = CheckpointManager::new(&run).monitor("val_loss", Goal::Minimize);
    for (e, score) in [(1, 0.1), (2, 0.5), (3, 0.4), (4, 0.3), (5, 0.2)] {
        ckpts.save(w(e), e, Some(score)).unwrap();
    }
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    dir
}

fn official_versions(mock: &ArtifactMock) -> Vec<String> {
    let scratch = ScratchDir::new("art-clean-list");
    let mut cmd = std::process::Command::new(wandb_test_support::oracle_python());
    wandb_test_support::hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", MOCK_API_KEY)
        .env("WANDB_BASE_URL", mock.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args([
            "-c",
            "import wandb\nfor a in wandb.Api().artifacts('model', 'mock-entity/art-clean/model-artclean'):\n    print(a.version, ','.join(sorted(a.aliases)))",
        ]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn keep_latest_deletes_old_versions_but_never_best_or_user_aliases() {
    let scratch = ScratchDir::new("art-clean");
    let dir = six_checkpoints(scratch.path());
    let mock = ArtifactMock::start();
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(mock.url()),
        api_key: Some(MOCK_API_KEY.into()),
        timeout: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");
    assert_eq!(official_versions(&mock).len(), 6);

    let policy = RetryPolicy {
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    let client = Client::new(&mock.url(), &ApiKey::new(MOCK_API_KEY).unwrap(), policy);
    let clean = || {
        keep_latest(
            &client,
            "mock-entity",
            "art-clean",
            "model",
            "model-artclean",
            2,
        )
        .unwrap()
    };
    let first = clean();
    let names = |v: &[wandb::online::ArtifactVersion]| {
        v.iter().map(|x| x.version.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(&first.kept), ["v5", "v4"]);
    assert_eq!(names(&first.deleted), ["v3", "v2"]);
    assert_eq!(names(&first.protected), ["v1", "v0"]);
    // what the official client sees afterwards
    assert_eq!(
        official_versions(&mock),
        [
            "v0 baseline",
            "v1 best,epoch_1",
            "v4 epoch_4",
            "v5 epoch_5,latest"
        ]
    );
    // idempotent: nothing more to delete
    let second = clean();
    assert!(second.deleted.is_empty(), "{second:?}");
    assert_eq!(names(&second.protected), ["v1", "v0"]);
    let deletes = mock
        .requests()
        .iter()
        .filter(|r| r["op"] == "DeleteArtifact")
        .count();
    assert_eq!(deletes, 2);
}
