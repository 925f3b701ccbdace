//! User artifacts logged offline by wandb-rs reach the server exactly as
//! those of the official client: the official client (oracle venv, offline)
//! and wandb-rs log the same four artifacts (a checkpoint of a file and a
//! directory, a second version with a `new_file` entry, a dataset with a
//! `file://` reference, and the first checkpoint again, which the server
//! de-duplicates); the official run directory is synced with the official
//! `wandb sync`, ours with the official `wandb sync` and with `wandb-rs
//! sync`, each to a fresh artifact reference mock
//! (tests/fixtures/oracle/artifacts/), and the three artifact logs are
//! compared (`wandb_test_support::ArtifactLog`: CreateArtifact inputs,
//! versions, de-duplication, uploaded files and their MD5s, manifests with
//! birth versions, commits).

use std::path::{Path, PathBuf};
use std::time::Duration;

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{init, row, Artifact, Console, InitOptions, Mode};
use wandb_test_support::mock_server::copy_tree;
use wandb_test_support::{
    assert_same_sync, leet_inspect, official_and_our_sync, oracle_python_run, ArtifactLog,
    ArtifactMock, ScratchDir,
};

const RUN_ID: &str = "artint01";

/// The spec's check files (oracle/artifacts/make_ckpt_files.py).
fn ckpt_files(root: &Path) {
    std::fs::create_dir_all(root.join("ckpt_dir/weights")).unwrap();
    let ckpt: Vec<u8> = (0..4096u32).map(|i| ((i * 7 + 3) % 256) as u8).collect();
    std::fs::write(root.join("model.ckpt"), ckpt).unwrap();
    std::fs::write(
        root.join("ckpt_dir/config.json"),
        r#"{"hidden": 8, "layers": 2}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("ckpt_dir/weights/layer0.bin"),
        [0u8, 1, 2, 3].repeat(64),
    )
    .unwrap();
}

const OFFICIAL: &str = r#"
import os, sys
inp, run_id = sys.argv[1], sys.argv[2]
import wandb
run = wandb.init(project="art-interop", id=run_id)
run.log({"loss": 0.5})
a = wandb.Artifact(f"model-{run_id}", type="model", description="a test checkpoint",
                   metadata={"epoch": 3, "val_loss": 0.123, "nested": {"a": [1, 2]}})
a.add_file(os.path.join(inp, "model.ckpt"))
a.add_dir(os.path.join(inp, "ckpt_dir"), name="ckpt_dir")
run.log_artifact(a, aliases=["latest", "best"])
b = wandb.Artifact(f"model-{run_id}", type="model", metadata={"epoch": 4})
b.add_file(os.path.join(inp, "model.ckpt"))
with b.new_file("notes.txt") as f:
    f.write("epoch 4\n")
run.log_artifact(b, aliases=["epoch_4"])
d = wandb.Artifact("train-data", type="dataset")
d.add_reference("file://" + os.path.join(inp, "ckpt_dir", "weights"), name="weights_ref")
d.add_file(os.path.join(inp, "ckpt_dir", "config.json"))
run.log_artifact(d)
again = wandb.Artifact(f"model-{run_id}", type="model", description="a test checkpoint",
                       metadata={"epoch": 3, "val_loss": 0.123, "nested": {"a": [1, 2]}})
again.add_file(os.path.join(inp, "model.ckpt"))
again.add_dir(os.path.join(inp, "ckpt_dir"), name="ckpt_dir")
run.log_artifact(again, aliases=["restored"])
run.log({"loss": 0.25})
run.finish()
print(run.dir)
"#;

fn official_run(scratch: &Path, inputs: &Path) -> PathBuf {
    oracle_python_run(OFFICIAL, &[&inputs.display().to_string(), RUN_ID], scratch);
    let wandb_dir = scratch.join("wandb");
    std::fs::read_dir(&wandb_dir)
        .expect("official wandb dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("offline-run-"))
        })
        .expect("the official offline run directory")
}

fn checkpoint(inputs: &Path) -> Artifact {
    let mut m = serde_json::Map::new();
    m.insert("epoch".into(), 3.into());
    m.insert("val_loss".into(), serde_json::json!(0.123));
    m.insert("nested".into(), serde_json::json!({"a": [1, 2]}));
    let mut a = Artifact::new(format!("model-{RUN_ID}"), "model")
        .unwrap()
        .description("a test checkpoint")
        .metadata(&m)
        .unwrap();
    a.add_file(inputs.join("model.ckpt"), None).unwrap();
    a.add_dir(inputs.join("ckpt_dir"), Some("ckpt_dir"))
        .unwrap();
    a
}

fn our_run(root: &Path, inputs: &Path) -> PathBuf {
    let run = init(
        InitOptions::new()
            .dir(root)
            .mode(Mode::Offline)
            .project("art-interop")
            .id(RUN_ID)
            .console(Console::Off)
            .system_metrics(false)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    run.log(row! {"loss" => 0.5}).unwrap();
    let logged = run
        .log_artifact(&checkpoint(inputs), &["latest", "best"])
        .unwrap();
    assert_eq!(logged.digest, "373f9b60ac0a8d2cbeda58975af917ea");
    let mut b = Artifact::new(format!("model-{RUN_ID}"), "model")
        .unwrap()
        .metadata(&serde_json::json!({"epoch": 4}))
        .unwrap();
    b.add_file(inputs.join("model.ckpt"), None).unwrap();
    b.new_file("notes.txt", "epoch 4\n").unwrap();
    assert_eq!(
        run.log_artifact(&b, &["epoch_4"]).unwrap().digest,
        "3fcc40a102f1172e5fd329076008f2fc"
    );
    let mut d = Artifact::new("train-data", "dataset").unwrap();
    let weights = std::path::absolute(inputs.join("ckpt_dir/weights")).unwrap();
    d.add_reference(
        &format!("file://{}", weights.display()),
        Some("weights_ref"),
    )
    .unwrap();
    d.add_file(inputs.join("ckpt_dir/config.json"), None)
        .unwrap();
    run.log_artifact(&d, &[] as &[&str]).unwrap();
    run.log_artifact(&checkpoint(inputs), &["restored"])
        .unwrap();
    run.log(row! {"loss" => 0.25}).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    dir
}

fn our_sync(dir: &Path, url: &str, key: &str) {
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(url.into()),
        api_key: Some(key.into()),
        timeout: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(dir, &o, |_| {}).expect("wandb-rs sync");
    assert!(report.unsent.is_empty(), "{report:?}");
}

#[test]
fn offline_artifacts_sync_like_the_official_clients() {
    let scratch = ScratchDir::new("art-interop");
    let inputs = std::path::absolute(scratch.path().join("inputs")).unwrap();
    ckpt_files(&inputs);
    let official_dir = official_run(&scratch.path().join("official"), &inputs);
    let ours_dir = our_run(&scratch.path().join("ours"), &inputs);

    let official = {
        let mock = ArtifactMock::start();
        mock.official_sync(std::slice::from_ref(&official_dir));
        mock.artifact_log()
    };
    // each sync gets its own copy: `wandb sync` marks a directory synced
    let copy = |to: &str| {
        let dest = scratch.path().join(to).join(ours_dir.file_name().unwrap());
        copy_tree(&ours_dir, &dest);
        dest
    };
    let ours_official_sync = {
        let mock = ArtifactMock::start();
        mock.official_sync(&[copy("sync-official")]);
        mock.artifact_log()
    };
    let ours_our_sync = {
        let mock = ArtifactMock::start();
        our_sync(
            &copy("sync-ours"),
            &mock.url(),
            wandb_test_support::MOCK_API_KEY,
        );
        mock.artifact_log()
    };
    // the artifact records themselves, read by the official reader
    assert_eq!(
        artifact_records(&ours_dir),
        artifact_records(&official_dir),
        "artifact records"
    );
    assert_expected(&official);
    assert_eq!(ours_official_sync, official, "our run, official wandb sync");
    assert_eq!(ours_our_sync, official, "our run, wandb-rs sync");

    // and the whole run (history, config, files, artifacts on the base mock)
    let (theirs, mine) = official_and_our_sync(&ours_dir, our_sync);
    assert_same_sync(&theirs, &mine);
}

/// The `artifact` records of a run directory as `wandb leet inspect` reads
/// them, with the random client ids dropped, aliases sorted (the official
/// client orders them through a Python set), metadata parsed, and each
/// `local_path` checked (a read-only `tmpXXXXXXXX` staging copy with the
/// entry's digest) and then replaced by `<staged>`.
fn artifact_records(run_dir: &Path) -> Vec<serde_json::Value> {
    let wandb_file = std::fs::read_dir(run_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "wandb"))
        .expect("a .wandb file");
    let mut out = Vec::new();
    for r in leet_inspect(&wandb_file) {
        if r["type"] != "artifact" {
            continue;
        }
        let mut a = r["artifact"].clone();
        let m = a.as_object_mut().unwrap();
        m.remove("client_id");
        m.remove("sequence_client_id");
        if let Some(md) = m.get("metadata").and_then(|v| v.as_str()) {
            let parsed: serde_json::Value = serde_json::from_str(md).unwrap();
            m.insert("metadata".into(), parsed);
        }
        m["aliases"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|v| v.as_str().unwrap().to_string());
        for e in m["manifest"]["contents"].as_array_mut().unwrap() {
            let Some(local) = e["local_path"].as_str().map(PathBuf::from) else {
                continue;
            };
            let name = local.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                name.len() == 11
                    && name.starts_with("tmp")
                    && name[3..]
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
            let bytes = std::fs::read(&local).unwrap();
            let b64 = wandb::artifact::digest::b64_md5(&bytes);
            assert_eq!(e["digest"], b64.as_str(), "{}", local.display());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(&local).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o400, "{}", local.display());
            }
            e["local_path"] = "<staged>".into();
        }
        out.push(a);
    }
    assert_eq!(out.len(), 4, "four artifact records");
    out
}

/// What the official client's own run gave: checked, so that the
/// comparison above cannot pass on two empty logs.
fn assert_expected(log: &ArtifactLog) {
    let model = &log.0[&format!("model/model-{RUN_ID}")];
    let shape: Vec<(&str, &str, bool, usize)> = model
        .iter()
        .map(|c| {
            (
                c.version.as_str(),
                c.state.as_str(),
                c.committed,
                c.uploads.len(),
            )
        })
        .collect();
    // v0: 3 files; v1: notes.txt only (model.ckpt stored by v0); then v0 again, de-duplicated
    assert_eq!(
        shape,
        [
            ("v0", "PENDING", true, 3),
            ("v1", "PENDING", true, 1),
            ("v0", "COMMITTED", false, 0)
        ]
    );
    assert_eq!(model[0].input["digest"], "373f9b60ac0a8d2cbeda58975af917ea");
    assert_eq!(
        model[0].input["metadata"],
        serde_json::json!({"epoch": 3, "val_loss": 0.123, "nested": {"a": [1, 2]}})
    );
    let aliases: Vec<&str> = model[0].input["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alias"].as_str().unwrap())
        .collect();
    assert_eq!(aliases, ["best", "latest"]);
    assert_eq!(
        model[1].manifest["contents"]["model.ckpt"]["birthArtifactID"],
        "v0"
    );
    assert_eq!(
        model[1].manifest["contents"]["notes.txt"]["skip_cache"],
        true
    );
    assert_eq!(model[1].uploads["notes.txt"], "aeMx4lq0p0cI7jWbIoZRiA==");
    let data = &log.0["dataset/train-data"];
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].uploads.keys().collect::<Vec<_>>(), ["config.json"]);
    let r = &data[0].manifest["contents"]["weights_ref/layer0.bin"];
    assert_eq!(r["digest"], "gWKX6LE4tUxLgMtvuTMxmA==");
    assert!(
        r["ref"]
            .as_str()
            .unwrap()
            .ends_with("/ckpt_dir/weights/layer0.bin"),
        "{r}"
    );
}

/// File GETs (any path but manifests: blobs and the fallback handlers).
fn blob_gets(mock: &ArtifactMock) -> usize {
    mock.requests()
        .iter()
        .filter(|r| {
            r["method"] == "GET"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| !p.starts_with("/storage/manifests/"))
        })
        .count()
}

/// The official public API downloads `reference` with `cache` as its
/// `WANDB_CACHE_DIR`.
fn official_download(mock: &ArtifactMock, reference: &str, root: &Path, cache: &Path) {
    let scratch = ScratchDir::new("art-official-dl");
    let mut cmd = std::process::Command::new(wandb_test_support::oracle_python());
    wandb_test_support::hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", wandb_test_support::MOCK_API_KEY)
        .env("WANDB_BASE_URL", mock.url())
        .env("WANDB_CACHE_DIR", cache)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args([
            "-c",
            "import sys, wandb; wandb.Api().artifact(sys.argv[1]).download(root=sys.argv[2])",
            reference,
        ])
        .arg(root);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn download_goes_through_the_official_cache_layout_and_verifies_digests() {
    use wandb::online::{download_artifact, ApiKey, Client, OnlineError, RetryPolicy};
    let scratch = ScratchDir::new("art-download");
    let inputs = std::path::absolute(scratch.path().join("inputs")).unwrap();
    ckpt_files(&inputs);
    let run_dir = our_run(&scratch.path().join("ours"), &inputs);
    let mock = ArtifactMock::start();
    our_sync(&run_dir, &mock.url(), wandb_test_support::MOCK_API_KEY);
    let policy = RetryPolicy {
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    let client = Client::new(
        &mock.url(),
        &ApiKey::new(wandb_test_support::MOCK_API_KEY).unwrap(),
        policy,
    );
    let cache = scratch.path().join("cache");
    let get = |r: &str, root: &Path| {
        download_artifact(
            &client,
            &wandb::ArtifactRef::parse(r).unwrap(),
            "mock-entity",
            "art-interop",
            root,
            &cache,
        )
    };

    // best = v0: three files, all fetched
    let best = get(
        &format!("model-{RUN_ID}:best"),
        &scratch.path().join("best"),
    )
    .unwrap();
    assert_eq!(best.version, "v0");
    assert!(
        best.aliases.iter().any(|a| a == "best"),
        "{:?}",
        best.aliases
    );
    assert_eq!(best.digest, "373f9b60ac0a8d2cbeda58975af917ea");
    assert_eq!(best.cache_hits, 0);
    let root = scratch.path().join("best");
    for rel in [
        "model.ckpt",
        "ckpt_dir/config.json",
        "ckpt_dir/weights/layer0.bin",
    ] {
        assert_eq!(
            std::fs::read(root.join(rel)).unwrap(),
            std::fs::read(inputs.join(rel)).unwrap(),
            "{rel}"
        );
    }
    assert_eq!(blob_gets(&mock), 3);
    // epoch_4 = v1: model.ckpt comes from the cache, notes.txt is fetched
    // (`latest` is v0 again: the de-duplicated fourth log moved it there)
    let latest = get(
        &format!("mock-entity/art-interop/model-{RUN_ID}:epoch_4"),
        &scratch.path().join("latest"),
    )
    .unwrap();
    assert_eq!(
        (
            latest.version.as_str(),
            latest.cache_hits,
            latest.files.len()
        ),
        ("v1", 1, 2)
    );
    assert_eq!(
        std::fs::read(scratch.path().join("latest/notes.txt")).unwrap(),
        b"epoch 4\n"
    );
    assert_eq!(blob_gets(&mock), 4);
    // the official client finds every file in our cache: no GET at all
    official_download(
        &mock,
        &format!("mock-entity/art-interop/model-{RUN_ID}:epoch_4"),
        &scratch.path().join("official"),
        &cache,
    );
    assert_eq!(
        blob_gets(&mock),
        4,
        "the official download fetched files our cache holds"
    );
    assert_eq!(
        std::fs::read(scratch.path().join("official/notes.txt")).unwrap(),
        b"epoch 4\n"
    );
    // references are listed, not fetched
    let data = get("train-data:v0", &scratch.path().join("data")).unwrap();
    assert_eq!(data.references.len(), 1);
    assert_eq!(data.references[0].0, "weights_ref/layer0.bin");

    // a corrupt blob on the server: typed error, nothing written
    let notes_hex = "69e331e25ab4a74708ee359b22865188";
    std::fs::write(mock.storage().join("blobs").join(notes_hex), b"tampered").unwrap();
    let cached = wandb::online::cache_path(&cache, "aeMx4lq0p0cI7jWbIoZRiA==").unwrap();
    assert!(
        cached.ends_with(format!("artifacts/obj/md5/69/{}", &notes_hex[2..])),
        "{}",
        cached.display()
    );
    std::fs::remove_file(&cached).unwrap();
    match get(
        &format!("model-{RUN_ID}:v1"),
        &scratch.path().join("corrupt"),
    ) {
        Err(OnlineError::DigestMismatch { path, expected, .. }) => {
            assert_eq!(
                (path.as_str(), expected.as_str()),
                ("notes.txt", "aeMx4lq0p0cI7jWbIoZRiA==")
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(!scratch.path().join("corrupt/notes.txt").exists());
    assert!(!cached.exists(), "a corrupt file never enters the cache");
    // an unknown alias
    assert!(matches!(
        get(&format!("model-{RUN_ID}:nope"), &scratch.path().join("x")),
        Err(OnlineError::ArtifactNotFound { .. })
    ));
}
