use super::*;
use crate::media::RunInfo;
use wandb_test_support::ScratchDir;

/// The spec's check files (oracle make_ckpt_files.py).
pub(crate) fn ckpt_files(root: &Path) {
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

fn kind(e: Error) -> ArtifactError {
    match e {
        Error::Artifact(a) => a,
        other => panic!("expected an artifact error, got {other:?}"),
    }
}

#[test]
fn names_and_types_are_validated_like_the_official_constructor() {
    assert!(Artifact::new("model-abc_1.2", "model").is_ok());
    for bad in ["", "a/b", "a b", "a:b", &"x".repeat(129)] {
        let e = kind(Artifact::new(bad, "model").unwrap_err());
        assert!(
            matches!(e, ArtifactError::InvalidName { .. }),
            "{bad:?}: {e}"
        );
    }
    assert!(Artifact::new("x".repeat(128), "model").is_ok());
    for (name, t) in [
        ("a", "wandb-history"),
        ("a", "job"),
        ("run-x", "run_table"),
        ("source-x", "code"),
        ("a", "a/b"),
        ("a", "a:b"),
        ("a", ""),
    ] {
        let e = kind(Artifact::new(name, t).unwrap_err());
        assert!(
            matches!(e, ArtifactError::InvalidType { .. }),
            "{name} {t}: {e}"
        );
    }
    assert!(Artifact::new("table", "run_table").is_ok());
    assert!(Artifact::new("x", "code").is_ok());
}

#[test]
fn metadata_is_compact_json_and_checked() {
    #[derive(serde::Serialize)]
    struct Nested {
        a: Vec<i32>,
    }
    let mut m = serde_json::Map::new();
    m.insert("epoch".into(), 3.into());
    m.insert("val_loss".into(), serde_json::json!(0.123));
    m.insert(
        "nested".into(),
        serde_json::to_value(Nested { a: vec![1, 2] }).unwrap(),
    );
    let a = Artifact::new("m", "model").unwrap().metadata(&m).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(a.metadata_json().unwrap()).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"epoch": 3, "val_loss": 0.123, "nested": {"a": [1, 2]}})
    );
    assert!(!a.metadata_json().unwrap().contains(' '), "compact");
    // serde turns non-finite floats into null before they reach us
    let inf = Artifact::new("m", "model")
        .unwrap()
        .metadata(&serde_json::json!({"x": f64::INFINITY, "y": f64::NAN}))
        .unwrap();
    assert_eq!(inf.metadata_json(), Some(r#"{"x":null,"y":null}"#));
    let e = kind(
        Artifact::new("m", "model")
            .unwrap()
            .metadata(&vec![1, 2])
            .unwrap_err(),
    );
    assert!(matches!(e, ArtifactError::InvalidMetadata(_)));
    let many: BTreeMap<String, i32> = (0..101).map(|i| (format!("k{i}"), i)).collect();
    assert!(Artifact::new("m", "model")
        .unwrap()
        .metadata(&many)
        .is_err());
    let nan = Artifact::new("m", "model")
        .unwrap()
        .metadata(&serde_json::json!({"x": 1}))
        .unwrap();
    assert_eq!(nan.metadata_json(), Some(r#"{"x":1}"#));
}

#[test]
fn entries_have_official_digests_and_paths() {
    let dir = ScratchDir::new("art-entries");
    ckpt_files(dir.path());
    let mut a = Artifact::new("model-x", "model").unwrap();
    a.add_file(dir.path().join("model.ckpt"), None).unwrap();
    assert_eq!(
        a.add_dir(dir.path().join("ckpt_dir"), Some("ckpt_dir"))
            .unwrap(),
        2
    );
    let got: Vec<(&str, &str, u64)> = a
        .entries()
        .map(|e| (e.path.as_str(), e.digest.as_str(), e.size))
        .collect();
    assert_eq!(
        got,
        [
            ("ckpt_dir/config.json", "sC0/P0bw2c8SB3GpZEjGpg==", 26),
            (
                "ckpt_dir/weights/layer0.bin",
                "gWKX6LE4tUxLgMtvuTMxmA==",
                256
            ),
            ("model.ckpt", "0QUon1YXwkH1Khkcay/ICQ==", 4096),
        ]
    );
    assert_eq!(a.digest(), "373f9b60ac0a8d2cbeda58975af917ea");

    let mut b = Artifact::new("model-x", "model").unwrap();
    b.add_file(dir.path().join("model.ckpt"), None).unwrap();
    let e = b.new_file("notes.txt", "epoch 4\n").unwrap();
    assert_eq!(
        (e.digest.as_str(), e.size, e.skip_cache),
        ("aeMx4lq0p0cI7jWbIoZRiA==", 8, true)
    );
    assert_eq!(b.digest(), "3fcc40a102f1172e5fd329076008f2fc");
}

#[test]
fn same_path_same_content_is_one_entry_other_content_is_an_error() {
    let dir = ScratchDir::new("art-dup");
    ckpt_files(dir.path());
    let mut a = Artifact::new("m", "model").unwrap();
    a.add_file(dir.path().join("model.ckpt"), None).unwrap();
    a.add_file(dir.path().join("model.ckpt"), Some("model.ckpt"))
        .unwrap();
    assert_eq!(a.entries().count(), 1);
    let e = kind(
        a.add_file(dir.path().join("ckpt_dir/config.json"), Some("model.ckpt"))
            .unwrap_err(),
    );
    assert!(matches!(e, ArtifactError::DuplicatePath { .. }), "{e}");
    a.add_file_overwrite(dir.path().join("ckpt_dir/config.json"), Some("model.ckpt"))
        .unwrap();
    assert_eq!(
        a.entries().next().unwrap().digest,
        "sC0/P0bw2c8SB3GpZEjGpg=="
    );
}

#[test]
fn bad_paths_and_missing_files_are_refused() {
    let dir = ScratchDir::new("art-bad");
    ckpt_files(dir.path());
    let mut a = Artifact::new("m", "model").unwrap();
    for bad in ["../x", "/abs", "a/../../b", "", "C:/x"] {
        let e = kind(
            a.add_file(dir.path().join("model.ckpt"), Some(bad))
                .unwrap_err(),
        );
        assert!(
            matches!(e, ArtifactError::InvalidPath { .. }),
            "{bad:?}: {e}"
        );
    }
    assert_eq!(a.new_file("./a//b.txt", "x").unwrap().path, "a/b.txt");
    let e = kind(a.add_file(dir.path().join("nope"), None).unwrap_err());
    assert!(matches!(e, ArtifactError::NotFound { .. }));
    let e = kind(a.add_dir(dir.path().join("model.ckpt"), None).unwrap_err());
    assert!(matches!(e, ArtifactError::NotFound { .. }));
}

#[test]
fn references_are_hashed_file_uris_or_tracked_uris() {
    let dir = ScratchDir::new("art-ref");
    ckpt_files(dir.path());
    let abs = std::path::absolute(dir.path().join("ckpt_dir/weights")).unwrap();
    let uri = format!("file://{}", abs.display());
    let mut a = Artifact::new("m", "model").unwrap();
    assert_eq!(a.add_reference(&uri, Some("weights_ref")).unwrap(), 1);
    let e = a.entries().next().unwrap();
    assert_eq!(e.path, "weights_ref/layer0.bin");
    assert_eq!(e.digest, "gWKX6LE4tUxLgMtvuTMxmA==");
    assert_eq!(
        e.source,
        EntrySource::Reference(format!("{uri}/layer0.bin"))
    );
    assert_eq!(
        a.add_reference("s3://bucket/data/train.csv", None).unwrap(),
        1
    );
    let s3 = a.entries().find(|e| e.path == "train.csv").unwrap();
    assert_eq!(s3.digest, "s3://bucket/data/train.csv");
    assert!(a.add_reference("not a uri", None).is_err());
    assert!(a.add_reference("file://relative/x", None).is_err());
}

#[test]
fn changed_files_are_detected_when_staged() {
    let dir = ScratchDir::new("art-changed");
    ckpt_files(dir.path());
    let mut a = Artifact::new("m", "model").unwrap();
    a.add_file(dir.path().join("model.ckpt"), None).unwrap();
    a.new_file("n.txt", "x").unwrap();
    std::fs::write(dir.path().join("model.ckpt"), b"other").unwrap();
    let info = RunInfo {
        run_id: "r".into(),
        ..Default::default()
    };
    let staging = dir.path().join("staging");
    let e = kind(build_record(&a, &info, &staging, &["best"]).unwrap_err());
    assert!(matches!(e, ArtifactError::Changed { .. }), "{e}");
    // nothing half-copied is left for the changed file
    let left: Vec<_> = std::fs::read_dir(&staging)
        .map(|d| d.count())
        .into_iter()
        .collect();
    assert!(left.iter().all(|&n| n <= 1), "{left:?}");
}

#[test]
fn aliases_are_validated_and_latest_added() {
    assert_eq!(
        validate::aliases(&["best", "best"]).unwrap(),
        ["best", "latest"]
    );
    assert_eq!(validate::aliases::<&str>(&[]).unwrap(), ["latest"]);
    for bad in ["a/b", "a:b", ""] {
        assert!(matches!(
            kind(validate::aliases(&[bad]).unwrap_err()),
            ArtifactError::InvalidAlias { .. }
        ));
    }
}

#[test]
fn references_parse() {
    let r = ArtifactRef::parse("ent/proj/model-x:best").unwrap();
    assert_eq!(
        (
            r.entity.as_deref(),
            r.project.as_deref(),
            r.name.as_str(),
            r.alias.as_str()
        ),
        (Some("ent"), Some("proj"), "model-x", "best")
    );
    assert_eq!(ArtifactRef::parse("model-x").unwrap().alias, "latest");
    assert_eq!(
        ArtifactRef::parse("p/model-x:v3").unwrap().to_string(),
        "p/model-x:v3"
    );
    for bad in ["a/b/c/d:x", "a//b", "m:", "m:a/b", "bad name"] {
        assert!(ArtifactRef::parse(bad).is_err(), "{bad}");
    }
}
