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
        mock.official_sync(&[official_dir.clone()]);
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
