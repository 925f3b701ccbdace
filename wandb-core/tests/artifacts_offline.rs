//! Artifacts and checkpoints in an offline run, read back with wandb-core's
//! reader and checked by the official `wandb leet inspect`.

use std::path::Path;

use wandb_core::proto::record::RecordType;
use wandb_core::proto::ArtifactRecord;
use wandb_core::{
    init, Artifact, ArtifactError, CheckpointManager, Error, Goal, InitOptions, Mode,
};
use wandb_test_support::{leet_inspect, ScratchDir};

fn opts(dir: &Path, mode: Mode) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(mode)
        .project("artifacts")
        .environment([("HOME", dir.join("home").display().to_string())])
}

fn artifact_records(file: &Path) -> Vec<ArtifactRecord> {
    let out = wandb_core::store::read_file(file).unwrap();
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    out.records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::Artifact(a)) => Some(a),
            _ => None,
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn checkpoint_manager_versions_one_model_artifact() {
    let dir = ScratchDir::new("ckpt-mgr");
    let run = init(opts(dir.path(), Mode::Offline).id("ckptmgr1")).unwrap();
    let mut ckpts = CheckpointManager::new(&run).monitor("val_acc", Goal::Maximize);
    assert_eq!(ckpts.artifact_name(), "model-ckptmgr1");
    let scores = [Some(0.5), Some(0.7), Some(0.6), Some(f64::NAN), None];
    for (epoch, score) in scores.iter().enumerate() {
        let p = dir.path().join(format!("w{epoch}.bin"));
        std::fs::write(&p, format!("weights {epoch}")).unwrap();
        ckpts.save(&p, epoch as u64, *score).unwrap();
    }
    // a directory checkpoint
    let d = dir.path().join("ckpt5");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("a.bin"), "a").unwrap();
    std::fs::write(d.join("sub/b.bin"), "b").unwrap();
    let last = ckpts.save(&d, 5, Some(0.9)).unwrap();
    assert!(last.is_best);
    assert_eq!(ckpts.best(), Some((0.9, 5)));
    let file = run.wandb_file().to_path_buf();
    run.finish().unwrap();

    let arts = artifact_records(&file);
    assert_eq!(arts.len(), 6);
    let best: Vec<bool> = arts
        .iter()
        .map(|a| a.aliases.iter().any(|x| x == "best"))
        .collect();
    assert_eq!(best, [true, true, false, false, false, true]);
    for (epoch, a) in arts.iter().enumerate() {
        assert_eq!(a.name, "model-ckptmgr1");
        assert_eq!(a.r#type, "model");
        assert_eq!(a.digest_algorithm, "MANIFEST_MD5");
        assert!(a.finalize);
        let mut want = vec!["latest".to_string(), format!("epoch_{epoch}")];
        if best[epoch] {
            want.push("best".into());
        }
        assert_eq!(sorted(a.aliases.clone()), sorted(want));
        let meta: serde_json::Value = serde_json::from_str(&a.metadata).unwrap();
        assert_eq!(meta["epoch"], epoch as u64);
        assert_eq!(meta["monitor"], "val_acc");
        assert_eq!(meta["mode"], "max");
        let score = if epoch == 5 {
            Some(0.9)
        } else {
            scores[epoch].filter(|s| s.is_finite())
        };
        assert_eq!(meta["score"], serde_json::json!(score));
    }
    let paths: Vec<&str> = arts[5]
        .manifest
        .as_ref()
        .unwrap()
        .contents
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(paths, ["a.bin", "sub/b.bin"]);
    // every record passes the official strict reader
    let official: Vec<_> = leet_inspect(&file)
        .into_iter()
        .filter(|r| r["type"] == "artifact")
        .collect();
    assert_eq!(official.len(), 6);
    assert_eq!(
        official[1]["artifact"]["manifest"]["contents"][0]["path"],
        "w1.bin"
    );
}

#[test]
fn identical_files_share_one_staging_copy_and_staging_is_in_the_run_dir() {
    let dir = ScratchDir::new("art-share");
    let run = init(opts(dir.path(), Mode::Offline)).unwrap();
    let p = dir.path().join("x.bin");
    std::fs::write(&p, "same").unwrap();
    let mut a = Artifact::new("shared", "dataset").unwrap();
    a.add_file(&p, Some("one.bin")).unwrap();
    a.add_file(&p, Some("two.bin")).unwrap();
    a.new_file("three.bin", "same").unwrap();
    let logged = run.log_artifact(&a, &["v"]).unwrap();
    assert_eq!(sorted(logged.aliases.clone()), ["latest", "v"]);
    let staged: std::collections::BTreeSet<_> =
        logged.staged.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(staged.len(), 1, "{staged:?}");
    let only = staged.iter().next().unwrap();
    assert!(
        only.starts_with(run.dir().join("tmp/artifacts/staging")),
        "{}",
        only.display()
    );
    run.finish().unwrap();
}

#[test]
fn errors_are_typed() {
    let dir = ScratchDir::new("art-errors");
    let run = init(opts(dir.path(), Mode::Offline)).unwrap();
    let a = Artifact::new("m", "model").unwrap();
    match run.log_artifact(&a, &["bad:alias"]) {
        Err(Error::Artifact(ArtifactError::InvalidAlias { .. })) => {}
        other => panic!("{other:?}"),
    }
    match run.use_artifact("ent/proj/m:best") {
        Err(Error::Artifact(ArtifactError::NeedsServer { reference, .. })) => {
            assert_eq!(reference, "ent/proj/m:best")
        }
        other => panic!("{other:?}"),
    }
    match run.use_artifact("a/b/c/d") {
        Err(Error::Artifact(ArtifactError::InvalidReference { .. })) => {}
        other => panic!("{other:?}"),
    }
    let file = run.wandb_file().to_path_buf();
    run.finish().unwrap();
    assert!(matches!(
        run.log_artifact(&a, &[] as &[&str]),
        Err(Error::Finished)
    ));
    assert!(
        artifact_records(&file).is_empty(),
        "nothing recorded for refused calls"
    );
}

#[test]
fn a_disabled_run_stages_nothing() {
    let dir = ScratchDir::new("art-disabled");
    let run = init(opts(dir.path(), Mode::Disabled)).unwrap();
    let p = dir.path().join("x.bin");
    std::fs::write(&p, "x").unwrap();
    let mut a = Artifact::new("m", "model").unwrap();
    a.add_file(&p, None).unwrap();
    let logged = run.log_artifact(&a, &["best"]).unwrap();
    assert!(logged.staged.is_empty());
    assert_eq!(logged.digest, a.digest());
    run.finish().unwrap();
    assert!(!dir.path().join("home").join(".local").exists());
}
