//! `run.use_artifact` online does what the official client does: against
//! the artifact reference mock, an online wandb-rs run and an online
//! official run use the same version; the `UseArtifact` requests (but the
//! run name) and the `use_artifact` records (read by `wandb leet inspect`)
//! are equal. Offline it is refused, as the official client refuses it.
//!
//! Models (`log_model`, `use_model`, `link_model`, `wait`): offline
//! `log_model` records the same `artifact` records as the official client's
//! and both syncs give the same artifact log on the mock; online, after
//! ours, the official client logs the same content (same version and
//! digest from `wait()`), links it with the same `LinkArtifact` variables
//! and downloads the same file with `use_model`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{init, CheckpointManager, Console, Goal, InitOptions, Mode};
use wandb_test_support::{leet_inspect, oracle_python_run, ArtifactMock, ScratchDir, MOCK_API_KEY};

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

fn official_online(mock: &ArtifactMock, scratch: &Path, code: &str, args: &[&str]) -> String {
    std::fs::create_dir_all(scratch).unwrap();
    let mut cmd = std::process::Command::new(wandb_test_support::oracle_python());
    wandb_test_support::hermetic(&mut cmd, scratch)
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", MOCK_API_KEY)
        .env("WANDB_BASE_URL", mock.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .arg("-c")
        .arg(code)
        .args(args);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The variables of every `op` request, without `drop` keys.
fn op_variables(mock: &ArtifactMock, op: &str, drop: &[&str]) -> Vec<serde_json::Value> {
    mock.requests()
        .into_iter()
        .filter(|r| r["op"] == op)
        .map(|r| {
            let mut v = r["body"]["variables"].clone();
            for k in drop {
                v.as_object_mut().unwrap().remove(*k);
            }
            v
        })
        .collect()
}

const OFFICIAL_MODELS: &str = r#"
import sys, wandb
model = sys.argv[1]
run = wandb.init(project="art-use", id="artmdl02")
a = wandb.Artifact("mymodel", type="model")
a.add_file(model)
run.log_artifact(a, aliases=["best"])
a.wait()
print("WAIT", a.version, a.digest)
try:
    run.link_model(model, "my-reg-model", name="mymodel", aliases=["prod"])
except Exception as e:  # the mock cannot serve the linked artifact afterwards
    print("LINK", type(e).__name__)
print("USE", run.use_model("mymodel:best"))
run.finish()
"#;

#[test]
fn models_online_wait_link_and_use_like_the_official_client() {
    let scratch = ScratchDir::new("art-models");
    let mock = ArtifactMock::start();
    let model = scratch.path().join("m.bin");
    std::fs::write(&model, b"model bytes v0").unwrap();

    let root = scratch.path().join("ours");
    let run = init(opts(&root, "artmdl01").mode(Mode::Online).environment([
        ("HOME", root.join("home").display().to_string()),
        ("WANDB_API_KEY", MOCK_API_KEY.to_string()),
        ("WANDB_BASE_URL", mock.url()),
        (
            "WANDB_ARTIFACT_DIR",
            root.join("artifacts").display().to_string(),
        ),
    ]))
    .unwrap();
    let logged = run.log_model(&model, Some("mymodel"), &["best"]).unwrap();
    let committed = logged.wait(Duration::from_secs(60)).unwrap();
    assert_eq!(
        (committed.version().as_str(), committed.digest.as_str()),
        ("v0", logged.digest.as_str())
    );
    // same content: de-duplicated to v0, then linked
    let linked = run
        .link_model(&model, "my-reg-model", Some("mymodel"), &["prod"])
        .unwrap();
    assert_eq!(linked.artifact.id, committed.id);
    assert_eq!(linked.target, "mock-entity/model-registry/my-reg-model");
    let path = run.use_model("mymodel:best").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"model bytes v0");
    assert!(path.ends_with("artifacts/mymodel:v0/m.bin"), "{path:?}");
    // not a path: refused before anything is sent
    assert!(matches!(
        run.link_model(&model, "a/b", None, &[] as &[&str]),
        Err(wandb::Error::Artifact(
            wandb::ArtifactError::InvalidRegisteredModel { .. }
        ))
    ));
    run.finish().unwrap();
    let ours_link = op_variables(&mock, "LinkArtifact", &[]);
    let ours_use = use_requests(&mock);
    assert_eq!((ours_link.len(), ours_use.len()), (1, 1));

    // the official client, online, same content: same version, same link
    let out = official_online(
        &mock,
        &scratch.path().join("official"),
        OFFICIAL_MODELS,
        &[&model.display().to_string()],
    );
    assert!(out.contains(&format!("WAIT v0 {}", logged.digest)), "{out}");
    let link = op_variables(&mock, "LinkArtifact", &[]);
    assert_eq!(link.len(), 2, "{link:?}");
    assert_eq!(link[1], link[0], "LinkArtifact variables");
    assert_eq!(link[0]["input"]["artifactID"], committed.id.as_str());
    assert_eq!(link[0]["input"]["projectName"], "model-registry");
    let used = use_requests(&mock);
    assert_eq!(used.len(), 2);
    assert_eq!(used[1], used[0], "UseArtifact variables");
    let theirs = out
        .lines()
        .find_map(|l| l.strip_prefix("USE "))
        .map(PathBuf::from)
        .unwrap();
    assert!(theirs.ends_with("artifacts/mymodel:v0/m.bin"), "{out}");
    assert_eq!(std::fs::read(theirs).unwrap(), b"model bytes v0");
}

const OFFICIAL_LOG_MODEL: &str = r#"
import os, sys, wandb
inp = sys.argv[1]
run = wandb.init(project="art-use", id="artmdl03")
run.log_model(os.path.join(inp, "model.ckpt"), aliases=["best"])
run.log_model(os.path.join(inp, "ckpt_dir"), name="my-model")
run.finish()
print(run.dir)
"#;

/// The `artifact` records of a run directory (official reader), without
/// client ids and staging paths, aliases sorted.
fn artifact_records(dir: &Path) -> Vec<serde_json::Value> {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "wandb"))
        .unwrap();
    leet_inspect(&file)
        .into_iter()
        .filter(|r| r["type"] == "artifact")
        .map(|r| {
            let mut a = r["artifact"].clone();
            let m = a.as_object_mut().unwrap();
            m.remove("client_id");
            m.remove("sequence_client_id");
            m["aliases"]
                .as_array_mut()
                .unwrap()
                .sort_by_key(|v| v.as_str().unwrap().to_string());
            for e in m["manifest"]["contents"].as_array_mut().unwrap() {
                assert!(e["local_path"]
                    .as_str()
                    .is_some_and(|p| Path::new(p).is_file()));
                e["local_path"] = "<staged>".into();
            }
            a
        })
        .collect()
}

#[test]
fn log_model_offline_is_recorded_and_synced_like_the_official_client() {
    let scratch = ScratchDir::new("art-logmodel");
    let inputs = std::path::absolute(scratch.path().join("inputs")).unwrap();
    std::fs::create_dir_all(inputs.join("ckpt_dir/weights")).unwrap();
    std::fs::write(inputs.join("model.ckpt"), [7u8; 4096]).unwrap();
    std::fs::write(inputs.join("ckpt_dir/config.json"), r#"{"hidden": 8}"#).unwrap();
    std::fs::write(inputs.join("ckpt_dir/weights/layer0.bin"), [1u8; 256]).unwrap();

    let official_root = scratch.path().join("official");
    std::fs::create_dir_all(&official_root).unwrap();
    let out = oracle_python_run(
        OFFICIAL_LOG_MODEL,
        &[&inputs.display().to_string()],
        &official_root,
    );
    let official_dir = PathBuf::from(out.lines().last().unwrap().trim())
        .parent()
        .unwrap()
        .to_path_buf();

    let root = scratch.path().join("ours");
    let run = init(
        opts(&root, "artmdl03")
            .mode(Mode::Offline)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    let first = run
        .log_model(inputs.join("model.ckpt"), None, &["best"])
        .unwrap();
    assert_eq!(first.name, "run-artmdl03-model.ckpt");
    run.log_model(inputs.join("ckpt_dir"), Some("my-model"), &[] as &[&str])
        .unwrap();
    // offline: nothing to wait for, no download, no link (as the official client)
    let not_uploaded = first.wait(Duration::from_secs(1)).unwrap_err();
    assert!(
        matches!(
            not_uploaded,
            wandb::Error::Artifact(wandb::ArtifactError::NotUploaded { .. })
        ),
        "{not_uploaded:?}"
    );
    for err in [
        run.use_model("my-model:latest").unwrap_err(),
        run.link_model(inputs.join("model.ckpt"), "reg", None, &[] as &[&str])
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                wandb::Error::Artifact(wandb::ArtifactError::NeedsServer { .. })
            ),
            "{err:?}"
        );
    }
    let ours_dir = run.dir().to_path_buf();
    run.finish().unwrap();

    let ours_records = artifact_records(&ours_dir);
    assert_eq!(
        ours_records.len(),
        2,
        "two records, nothing for the refused calls"
    );
    assert_eq!(
        ours_records,
        artifact_records(&official_dir),
        "artifact records"
    );
    assert_eq!(ours_records[0]["type"], "model");
    assert_eq!(ours_records[1]["name"], "my-model");

    let theirs = {
        let mock = ArtifactMock::start();
        mock.official_sync(std::slice::from_ref(&official_dir));
        mock.artifact_log()
    };
    let ours = {
        let mock = ArtifactMock::start();
        let o = SyncOptions {
            entity: Some("mock-entity".into()),
            base_url: Some(mock.url()),
            api_key: Some(MOCK_API_KEY.into()),
            timeout: Some(Duration::from_secs(60)),
            ..SyncOptions::default()
        };
        sync_run_dir(&ours_dir, &o, |_| {}).unwrap();
        mock.artifact_log()
    };
    assert_eq!(theirs.0.len(), 2, "{theirs:?}");
    assert_eq!(ours, theirs, "synced artifacts");
}
