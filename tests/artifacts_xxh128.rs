//! Artifacts the official client logs with `digest_algorithm="XXH128"` (an
//! entity that allows it: the reference mock with `MOCK_XXHASH=1`) are
//! downloaded by wandb-rs: every entry verified by XXH3-128, through the
//! official cache layout `artifacts/obj/xxh128/…`, which the official
//! client then reads without a GET; a corrupt blob is a typed error.

use std::path::Path;
use std::time::Duration;

use wandb::artifact::digest::Algorithm;
use wandb::online::{cache_path_for, download_artifact, ApiKey, Client, OnlineError, RetryPolicy};
use wandb_test_support::{ArtifactMock, ScratchDir, MOCK_API_KEY};

/// The spec's check files (oracle/artifacts/make_ckpt_files.py).
fn ckpt_files(root: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let files = vec![
        (
            "model.ckpt",
            (0..4096u32).map(|i| ((i * 7 + 3) % 256) as u8).collect(),
        ),
        (
            "ckpt_dir/config.json",
            br#"{"hidden": 8, "layers": 2}"#.to_vec(),
        ),
        ("ckpt_dir/weights/layer0.bin", [0u8, 1, 2, 3].repeat(64)),
    ];
    for (rel, bytes) in &files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    files
}

/// Runs `code` (argv: inputs dir, output dir) with the official client
/// online against `mock`, with `cache` as `WANDB_CACHE_DIR`; its stdout.
fn official(
    mock: &ArtifactMock,
    scratch: &Path,
    cache: &Path,
    code: &str,
    args: &[&Path],
) -> String {
    std::fs::create_dir_all(scratch).unwrap();
    let mut cmd = std::process::Command::new(wandb_test_support::oracle_python());
    wandb_test_support::hermetic(&mut cmd, scratch)
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", MOCK_API_KEY)
        .env("WANDB_BASE_URL", mock.url())
        .env("WANDB_CACHE_DIR", cache)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args(["-c", code])
        .args(args);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const LOG_XXH: &str = "import sys, os, wandb
run = wandb.init(entity='mock-entity', project='art-xxh', id='xxhsrc01', dir=sys.argv[2])
a = wandb.Artifact('xxh-art', type='model', digest_algorithm='XXH128')
a.add_file(os.path.join(sys.argv[1], 'model.ckpt'))
a.add_dir(os.path.join(sys.argv[1], 'ckpt_dir'), name='ckpt_dir')
run.log_artifact(a).wait()
print(a.digest, a.digest_algorithm)
run.finish()";

/// File GETs of the blob store (not manifests).
fn blob_gets(mock: &ArtifactMock) -> usize {
    mock.requests()
        .iter()
        .filter(|r| {
            r["method"] == "GET"
                && r["path"].as_str().is_some_and(|p| {
                    p.starts_with("/storage/") && !p.starts_with("/storage/manifests/")
                })
        })
        .count()
}

#[test]
fn xxh128_artifacts_of_the_official_client_download_verified_through_its_cache() {
    let scratch = ScratchDir::new("art-xxh");
    let mock = ArtifactMock::start_with(&[("MOCK_XXHASH", "1")]);
    let inputs = std::path::absolute(scratch.path().join("inputs")).unwrap();
    let files = ckpt_files(&inputs);
    let out_dir = scratch.path().join("official-run");
    std::fs::create_dir_all(&out_dir).unwrap();
    let said = official(
        &mock,
        &scratch.path().join("official-home"),
        &scratch.path().join("official-cache"),
        LOG_XXH,
        &[&inputs, &out_dir],
    );
    // the spec's check value of this artifact under XXH128
    assert!(
        said.contains("d12980e95f0e58b05f76f23c81bf1216 ArtifactDigestAlgorithm.MANIFEST_XXH128"),
        "{said}"
    );

    let client = Client::new(
        &mock.url(),
        &ApiKey::new(MOCK_API_KEY).unwrap(),
        RetryPolicy {
            max_backoff: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
    );
    let cache = scratch.path().join("cache");
    let get = |r: &str, root: &Path| {
        download_artifact(
            &client,
            &wandb::ArtifactRef::parse(r).unwrap(),
            "mock-entity",
            "art-xxh",
            root,
            &cache,
        )
    };
    let gets_before = blob_gets(&mock);
    let got = get("xxh-art:latest", &scratch.path().join("ours")).unwrap();
    assert_eq!(
        (
            got.version.as_str(),
            got.digest.as_str(),
            got.cache_hits,
            got.files.len()
        ),
        ("v0", "d12980e95f0e58b05f76f23c81bf1216", 0, 3)
    );
    assert_eq!(blob_gets(&mock) - gets_before, 3);
    for (rel, bytes) in &files {
        assert_eq!(
            &std::fs::read(scratch.path().join("ours").join(rel)).unwrap(),
            bytes,
            "{rel}"
        );
        let digest = wandb::artifact::digest::b64_xxh128(bytes);
        let cached = cache_path_for(&cache, &digest, Algorithm::Xxh128).unwrap();
        assert!(
            cached.to_string_lossy().contains("artifacts/obj/xxh128/"),
            "{}",
            cached.display()
        );
        assert_eq!(&std::fs::read(&cached).unwrap(), bytes, "cached {rel}");
    }

    // again: every file from the cache
    let again = get("xxh-art:v0", &scratch.path().join("again")).unwrap();
    assert_eq!(again.cache_hits, 3);
    // the official client reads our cache: no GET
    let gets = blob_gets(&mock);
    official(
        &mock,
        &scratch.path().join("official-dl"),
        &cache,
        "import sys, wandb; wandb.Api().artifact('mock-entity/art-xxh/xxh-art:v0').download(root=sys.argv[1])",
        &[&scratch.path().join("official-download")],
    );
    assert_eq!(
        blob_gets(&mock),
        gets,
        "the official download used our cache"
    );
    assert_eq!(
        std::fs::read(
            scratch
                .path()
                .join("official-download/ckpt_dir/config.json")
        )
        .unwrap(),
        files[1].1
    );

    // a corrupt blob with a cold cache: typed error, nothing written
    std::fs::remove_dir_all(&cache).unwrap();
    for blob in std::fs::read_dir(mock.storage().join("blobs")).unwrap() {
        std::fs::write(blob.unwrap().path(), b"tampered").unwrap();
    }
    match get("xxh-art:v0", &scratch.path().join("corrupt")) {
        Err(OnlineError::DigestMismatch { expected, .. }) => assert!(
            files
                .iter()
                .any(|(_, b)| wandb::artifact::digest::b64_xxh128(b) == expected),
            "{expected}"
        ),
        other => panic!("{other:?}"),
    }
}
