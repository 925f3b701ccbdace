//! `keep_latest` against the artifact reference mock: checkpoints logged
//! offline with `CheckpointManager` are synced with `wandb-rs sync`, old
//! versions are deleted, and the official client's `Api().artifacts()`
//! lists what is left. Deleting a version that holds an alias without
//! `delete_aliases` is refused (typed error). Multipart (threshold lowered
//! for the test) and batched, parallel uploads reach the mock intact.

use std::path::Path;
use std::time::Duration;

use wandb::online::{
    delete_version, download_artifact, keep_latest, list_versions, sync_run_dir, ApiKey, Client,
    OnlineError, RetryPolicy, SyncOptions,
};
use wandb::{init, Artifact, ArtifactRef, CheckpointManager, Console, Goal, InitOptions, Mode};
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
    official_versions_of(mock, "mock-entity/art-clean/model-artclean")
}

/// `version aliases` of every version of `path` the official public API lists, sorted.
fn official_versions_of(mock: &ArtifactMock, path: &str) -> Vec<String> {
    let scratch = ScratchDir::new("art-clean-list");
    let mut cmd = std::process::Command::new(wandb_test_support::oracle_python());
    wandb_test_support::hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", MOCK_API_KEY)
        .env("WANDB_BASE_URL", mock.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args([
            "-c",
            "import sys, wandb\nfor a in wandb.Api().artifacts('model', sys.argv[1]):\n    print(a.version, ','.join(sorted(a.aliases)))",
            path,
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

#[test]
fn checkpoint_manager_keeps_the_latest_of_a_live_run() {
    let scratch = ScratchDir::new("art-clean-live");
    let root = scratch.path();
    let mock = ArtifactMock::start();
    let run = init(
        InitOptions::new()
            .dir(root)
            .mode(Mode::Online)
            .entity("mock-entity")
            .project("art-clean-live")
            .id("artlive1")
            .console(Console::Off)
            .system_metrics(false)
            .environment([
                ("HOME", root.join("home").display().to_string()),
                ("WANDB_API_KEY", MOCK_API_KEY.to_string()),
                ("WANDB_BASE_URL", mock.url()),
            ]),
    )
    .unwrap();
    let mut ckpts = CheckpointManager::new(&run).monitor("val_loss", Goal::Minimize);
    for (e, score) in [(0, 0.5), (1, 0.1), (2, 0.4), (3, 0.3), (4, 0.2)] {
        let p = root.join(format!("w{e}.bin"));
        std::fs::write(&p, format!("weights {e}")).unwrap();
        ckpts.save(&p, e, Some(score)).unwrap();
    }
    // keep_latest waits for the uploads itself
    let report = ckpts.keep_latest(2, Duration::from_secs(120)).unwrap();
    let names = |v: &[wandb::online::ArtifactVersion]| {
        v.iter().map(|x| x.version.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(&report.kept), ["v4", "v3"]);
    assert_eq!(names(&report.deleted), ["v2", "v0"]);
    assert_eq!(names(&report.protected), ["v1"]);
    assert!(ckpts
        .keep_latest(2, Duration::from_secs(60))
        .unwrap()
        .deleted
        .is_empty());
    run.finish().unwrap();
    assert_eq!(
        official_versions_of(&mock, "mock-entity/art-clean-live/model-artlive1"),
        ["v1 best,epoch_1", "v3 epoch_3", "v4 epoch_4,latest"]
    );

    // offline: refused, pointing at sync
    let off = init(
        InitOptions::new()
            .dir(root.join("off"))
            .mode(Mode::Offline)
            .console(Console::Off)
            .system_metrics(false)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    assert!(matches!(
        CheckpointManager::new(&off).keep_latest(1, Duration::from_secs(1)),
        Err(wandb::Error::Artifact(
            wandb::ArtifactError::NeedsServer { .. }
        ))
    ));
    off.finish().unwrap();
}

#[test]
fn deleting_a_version_that_holds_an_alias_is_refused_with_a_typed_error() {
    let scratch = ScratchDir::new("art-del");
    let dir = six_checkpoints(scratch.path());
    let mock = ArtifactMock::start();
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(mock.url()),
        api_key: Some(MOCK_API_KEY.into()),
        timeout: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    };
    sync_run_dir(&dir, &o, |_| {}).unwrap();
    let client = Client::new(
        &mock.url(),
        &ApiKey::new(MOCK_API_KEY).unwrap(),
        RetryPolicy::default(),
    );
    let versions = list_versions(
        &client,
        "mock-entity",
        "art-clean",
        "model",
        "model-artclean",
    )
    .unwrap();
    let (_, v0) = versions.iter().find(|(_, v)| v.version == "v0").unwrap();
    assert_eq!(v0.aliases, ["baseline"]);
    // as the official `artifact.delete()` (deleteAliases false): refused
    let err = delete_version(&client, v0, false).unwrap_err();
    match &err {
        OnlineError::ArtifactHasAliases {
            version, aliases, ..
        } => {
            assert_eq!(
                (version.as_str(), aliases.as_slice()),
                ("v0", &["baseline".to_string()][..])
            );
        }
        other => panic!("expected ArtifactHasAliases, got {other:?}"),
    }
    assert!(err.to_string().contains("delete_aliases"), "{err}");
    assert_eq!(official_versions(&mock).len(), 6, "nothing deleted");
    // with its aliases: deleted
    delete_version(&client, v0, true).unwrap();
    let left = official_versions(&mock);
    assert_eq!(left.len(), 5);
    assert!(!left.iter().any(|v| v.starts_with("v0")), "{left:?}");
}

fn md5_hex(bytes: &[u8]) -> String {
    let d = wandb::artifact::digest::b64_md5(bytes);
    wandb::artifact::digest::b64_to_hex(&d).unwrap()
}

#[test]
fn multipart_files_and_batches_of_25_upload_in_parallel_and_download_intact() {
    const MIB: u64 = 1 << 20;
    // the 2 GiB threshold lowered for this process: 1 MiB parts
    wandb::online::set_multipart_for_tests(MIB, MIB);
    let scratch = ScratchDir::new("art-mpart");
    let root = scratch.path();
    let big: Vec<u8> = (0..(3 * MIB + MIB / 2))
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::create_dir_all(root.join("shards")).unwrap();
    std::fs::write(root.join("big.bin"), &big).unwrap();
    for i in 0..30 {
        std::fs::write(
            root.join(format!("shards/s{i:02}.txt")),
            format!("shard {i}"),
        )
        .unwrap();
    }
    let run = init(
        InitOptions::new()
            .dir(root)
            .mode(Mode::Offline)
            .project("art-clean")
            .id("artmpart")
            .console(Console::Off)
            .system_metrics(false)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    let mut a = Artifact::new("big-model", "model").unwrap();
    a.add_file(root.join("big.bin"), None).unwrap();
    a.add_dir(root.join("shards"), Some("shards")).unwrap();
    run.log_artifact(&a, &[] as &[&str]).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();

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

    let reqs = mock.requests();
    let vars = |op: &str| -> Vec<serde_json::Value> {
        reqs.iter()
            .filter(|r| r["op"] == op)
            .map(|r| r["body"]["variables"].clone())
            .collect()
    };
    // 31 files: two CreateArtifactFiles calls (25 + 6)
    let batches: Vec<usize> = vars("CreateArtifactFiles")
        .iter()
        .map(|v| v["input"]["artifactFiles"].as_array().unwrap().len())
        .collect();
    assert_eq!(batches, [25, 6]);
    let parts: Vec<&[u8]> = big.chunks(MIB as usize).collect();
    assert_eq!(parts.len(), 4);
    let spec = vars("CreateArtifactFiles")
        .into_iter()
        .flat_map(|v| v["input"]["artifactFiles"].as_array().unwrap().clone())
        .find(|f| f["name"] == "big.bin")
        .unwrap();
    let want: Vec<serde_json::Value> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| serde_json::json!({"hexMD5": md5_hex(p), "partNumber": i + 1}))
        .collect();
    assert_eq!(spec["uploadPartsInput"], serde_json::json!(want));
    // completed with the storage's ETags (quotes included), then committed
    let complete = vars("CompleteMultipartUploadArtifact");
    assert_eq!(complete.len(), 1);
    let want: Vec<serde_json::Value> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| serde_json::json!({"hexMD5": format!("\"{}\"", md5_hex(p)), "partNumber": i + 1}))
        .collect();
    assert_eq!(complete[0]["completedParts"], serde_json::json!(want));
    assert_eq!(complete[0]["completeMultipartAction"], "Complete");
    let part_puts = reqs
        .iter()
        .filter(|r| r["method"] == "PUT" && r["path"].as_str().is_some_and(|p| p.contains("part=")))
        .count();
    assert_eq!(part_puts, 4);
    let log = mock.artifact_log();
    assert!(log.0["model/big-model"][0].committed, "{log:?}");

    // the assembled blob comes back intact (MD5-checked on download)
    let client = Client::new(
        &mock.url(),
        &ApiKey::new(MOCK_API_KEY).unwrap(),
        RetryPolicy::default(),
    );
    let got = download_artifact(
        &client,
        &ArtifactRef::parse("big-model:latest").unwrap(),
        "mock-entity",
        "art-clean",
        &root.join("download"),
        &root.join("cache"),
    )
    .unwrap();
    assert_eq!(got.files.len(), 31);
    assert_eq!(std::fs::read(root.join("download/big.bin")).unwrap(), big);
    assert_eq!(
        std::fs::read_to_string(root.join("download/shards/s29.txt")).unwrap(),
        "shard 29"
    );
}
