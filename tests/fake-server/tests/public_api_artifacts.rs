//! Artifacts through the read API: wandb-rs logs two versions of a dataset
//! (files in subdirectories, binary content, metadata, aliases) to the fake
//! server and a second run uses one; then the official `wandb.Api` (wandb
//! 0.31.0 from the oracle venv) and `wandb_core::online::Api` read them by
//! alias and by version — name, version, aliases, type, description,
//! metadata, digest, size, manifest — and download byte-identical files;
//! the runs' logged and used artifacts and the collection's versions agree.
//! Then the typed errors: an unknown artifact, a corrupt blob.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use wandb_core::online::{cache_path, Api, ApiArtifact, OnlineError};
use wandb_core::{init, Artifact, Console, InitOptions, Mode, Value};
use wandb_fake_server::{FakeServer, Fault, Target};
use wandb_test_support::{hermetic, oracle_python, ScratchDir};

fn env(server: &FakeServer, home: &Path) -> Vec<(String, String)> {
    vec![
        ("HOME".into(), home.display().to_string()),
        ("WANDB_API_KEY".into(), server.api_key().to_string()),
        ("WANDB_BASE_URL".into(), server.url().to_string()),
    ]
}

fn run_opts(server: &FakeServer, dir: &Path, id: &str) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Online)
        .project("proj")
        .entity("me")
        .id(id)
        .console(Console::Off)
        .system_metrics(false)
        .quiet(true)
        .environment(env(server, &dir.join("home")))
}

/// Run `prod1` logs `dataset-x` v0 (aliases best, latest) and v1 (latest,
/// a changed `a.txt`); run `cons1` uses v0.
fn log_datasets(server: &FakeServer, dir: &Path) {
    let run = init(run_opts(server, &dir.join("prod"), "prod1")).unwrap();
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("sub/deeper")).unwrap();
    std::fs::write(data.join("sub/b.bin"), (0u8..=255).collect::<Vec<u8>>()).unwrap();
    std::fs::write(data.join("sub/deeper/c.json"), b"{\"k\": [1, 2]}\n").unwrap();
    for (version, text, aliases) in [(0, "alpha\n", &["best"][..]), (1, "alpha v1\n", &[])] {
        std::fs::write(dir.join("a.txt"), text).unwrap();
        let mut art = Artifact::new("dataset-x", "dataset")
            .unwrap()
            .description(format!("version {version} of the data"))
            .metadata(
                &serde_json::json!({"rows": 3 + version, "source": "unit", "nested": {"a": [1, 2.5]}}),
            )
            .unwrap();
        art.add_file(dir.join("a.txt"), None).unwrap();
        art.add_dir(&data, Some("data")).unwrap();
        run.log_artifact(&art, aliases).unwrap();
    }
    run.finish().unwrap();
    let consumer = init(run_opts(server, &dir.join("cons"), "cons1")).unwrap();
    consumer.use_artifact("dataset-x:v0").unwrap();
    consumer.finish().unwrap();
    let arts = server.artifacts();
    assert_eq!(arts.len(), 2, "{arts:?}");
    assert!(arts.iter().all(|a| a.committed));
}

const SCRIPT: &str = r#"
import base64, json, os, sys
import wandb
url, key, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
api = wandb.Api(overrides={"base_url": url}, api_key=key)

def describe(a):
    return {"name": a.name.split(":")[0], "source_name": a.source_name, "version": a.version,
            "aliases": sorted(a.aliases), "type": a.type, "id": a.id}

out = {}
for i, ref in enumerate(["me/proj/dataset-x:best", "me/proj/dataset-x:latest", "me/proj/dataset-x:v0"]):
    a = api.artifact(ref)
    d = describe(a)
    d.update({"description": a.description, "metadata": a.metadata, "digest": a.digest,
              "size": a.size, "file_count": a.file_count, "state": a.state,
              "created_at": a.created_at,
              "manifest": {p: {"digest": e.digest, "size": e.size} for p, e in a.manifest.entries.items()}})
    root = os.path.join(out_dir, "dl%d" % i)
    a.download(root=root)
    files = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            full = os.path.join(dirpath, n)
            with open(full, "rb") as fh:
                files[os.path.relpath(full, root)] = base64.b64encode(fh.read()).decode()
    d["files"] = files
    out[ref] = d
out["logged"] = [describe(a) for a in api.run("me/proj/prod1").logged_artifacts()]
out["used"] = [describe(a) for a in api.run("me/proj/cons1").used_artifacts()]
out["versions"] = [describe(a) for a in api.artifacts("dataset", "me/proj/dataset-x")]
try:
    api.artifact("me/proj/nope:latest")
    out["missing"] = None
except Exception as e:
    out["missing"] = str(e)
print(json.dumps(out))
"#;

fn get<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.as_map()
        .and_then(|m| m.get(key))
        .unwrap_or_else(|| panic!("python output has no {key}: {v:?}"))
}

fn s(v: &Value) -> String {
    v.as_str()
        .map(String::from)
        .unwrap_or_else(|| panic!("not a string: {v:?}"))
}

/// What both clients describe of a version (the official `describe`).
fn describe(a: &ApiArtifact) -> Vec<String> {
    let mut aliases = a.aliases.clone();
    aliases.sort();
    vec![
        a.name.clone(),
        a.qualified_name(),
        a.version.clone(),
        aliases.join(","),
        a.r#type.clone(),
        a.id.clone(),
    ]
}

fn describe_py(v: &Value) -> Vec<String> {
    let aliases: Vec<String> = get(v, "aliases").as_list().unwrap().iter().map(s).collect();
    vec![
        s(get(v, "name")),
        s(get(v, "source_name")),
        s(get(v, "version")),
        aliases.join(","),
        s(get(v, "type")),
        s(get(v, "id")),
    ]
}

/// Every file under `root`, by relative path, base64.
fn files_under(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                let bytes = std::fs::read(&p).unwrap();
                out.insert(rel, base64::engine::general_purpose::STANDARD.encode(bytes));
            }
        }
    }
    out
}

#[test]
fn artifacts_read_back_as_the_official_api_reads_them() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    log_datasets(&server, tmp.path());

    let scratch = ScratchDir::new("public-api-artifacts");
    let mut cmd = Command::new(oracle_python());
    hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .arg("-c")
        .arg(SCRIPT)
        .arg(server.url())
        .arg(server.api_key())
        .arg(scratch.path());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "official wandb.Api failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py = wandb_core::json::parse(String::from_utf8_lossy(&out.stdout).trim()).unwrap();

    let home = tmp.path().join("home");
    let api = Api::from_environment(env(&server, &home)).unwrap();
    let refs = [
        ("me/proj/dataset-x:best", "v0"),
        ("me/proj/dataset-x:latest", "v1"),
        ("me/proj/dataset-x:v0", "v0"),
    ];
    for (i, (reference, version)) in refs.iter().enumerate() {
        let p = get(&py, reference);
        let a = api.artifact(reference).unwrap();
        assert_eq!(describe(&a), describe_py(p), "{reference}");
        assert_eq!(a.version, *version);
        assert_eq!(a.path(), format!("me/proj/dataset-x:{version}"));
        let want_aliases: &[&str] = if *version == "v0" {
            &["best"]
        } else {
            &["latest"]
        };
        assert_eq!(a.aliases, want_aliases, "{reference}");
        assert_eq!(a.r#type, "dataset");
        assert_eq!(Value::from(a.description.clone()), *get(p, "description"));
        assert_eq!(Value::Map(a.metadata.clone()), *get(p, "metadata"));
        assert_eq!(a.metadata["source"], Value::from("unit"));
        assert_eq!(Value::from(a.digest.as_str()), *get(p, "digest"));
        assert_eq!(a.digest.len(), 32, "a hex MD5");
        assert_eq!(Value::UInt(a.size), *get(p, "size"));
        assert_eq!(a.size, 256 + 14 + if *version == "v0" { 6 } else { 9 });
        assert_eq!(Value::UInt(a.file_count), *get(p, "file_count"));
        assert_eq!(Value::from(a.state.as_str()), *get(p, "state"));
        assert_eq!(Value::from(a.created_at.as_str()), *get(p, "created_at"));

        // the manifest: every entry with its digest and size
        let manifest = a.manifest().unwrap();
        let py_manifest = get(p, "manifest").as_map().unwrap();
        let paths: Vec<&str> = manifest.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "data/sub/b.bin", "data/sub/deeper/c.json"]);
        assert_eq!(manifest.len(), py_manifest.len());
        for e in &manifest {
            let pe = &py_manifest[&e.path];
            assert_eq!(
                Value::from(e.digest.as_str()),
                *get(pe, "digest"),
                "{}",
                e.path
            );
            assert_eq!(
                e.size.map_or(Value::Null, Value::UInt),
                *get(pe, "size"),
                "{}",
                e.path
            );
            assert_eq!(e.reference, None);
        }

        // the download: byte-identical files, through the official cache layout
        let root = tmp.path().join(format!("dl{i}"));
        let done = a.download(&root).unwrap();
        assert_eq!(done.files.len(), 3);
        let ours = files_under(&root);
        let theirs: BTreeMap<String, String> = get(p, "files")
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), s(v)))
            .collect();
        assert_eq!(ours, theirs, "{reference}");
        let b = std::fs::read(root.join("data/sub/b.bin")).unwrap();
        assert_eq!(b, (0u8..=255).collect::<Vec<u8>>());
        for e in &manifest {
            let cached = cache_path(&home.join(".cache/wandb"), &e.digest).unwrap();
            assert!(cached.is_file(), "{} not in the cache", e.path);
        }
        // a second download takes every file from the cache
        let again = a.download(&tmp.path().join(format!("again{i}"))).unwrap();
        assert_eq!(again.cache_hits, 3);
        // the official client's cache has the same layout: nothing to fetch
        let py_cache = scratch.path().join("home/.cache/wandb");
        let shared = a
            .download_with_cache(&tmp.path().join(format!("shared{i}")), &py_cache)
            .unwrap();
        assert_eq!(shared.cache_hits, 3, "{reference}");
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("dl1/a.txt")).unwrap(),
        "alpha v1\n"
    );

    // a run's logged and used artifacts, a collection's versions
    let list = |v: Vec<ApiArtifact>| -> Vec<Vec<String>> { v.iter().map(describe).collect() };
    let list_py = |key: &str| -> Vec<Vec<String>> {
        get(&py, key)
            .as_list()
            .unwrap()
            .iter()
            .map(describe_py)
            .collect()
    };
    let logged = list(
        api.run("me/proj/prod1")
            .unwrap()
            .logged_artifacts()
            .unwrap(),
    );
    assert_eq!(logged.len(), 2);
    assert_eq!(logged, list_py("logged"));
    let used = list(api.run("me/proj/cons1").unwrap().used_artifacts().unwrap());
    assert_eq!(used.len(), 1);
    assert_eq!(used[0][1], "dataset-x:v0");
    assert_eq!(used, list_py("used"));
    let versions = list(api.artifacts("dataset", "me/proj/dataset-x").unwrap());
    let names: Vec<&str> = versions.iter().map(|v| v[1].as_str()).collect();
    assert_eq!(names, ["dataset-x:v1", "dataset-x:v0"]);
    assert_eq!(versions, list_py("versions"));

    // an unknown artifact: the official client raises, we name the reference
    let missing = s(get(&py, "missing"));
    assert!(missing.contains("nope:latest"), "{missing}");
    let err = api.artifact("me/proj/nope:latest").unwrap_err();
    assert!(
        matches!(&err, OnlineError::ArtifactNotFound { reference } if reference == "me/proj/nope:latest"),
        "{err}"
    );
}

#[test]
fn unknown_artifacts_and_corrupt_blobs_are_typed_errors() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    log_datasets(&server, tmp.path());
    let api = Api::from_environment(env(&server, &tmp.path().join("home"))).unwrap();

    for (reference, named) in [
        ("me/proj/nope:latest", "me/proj/nope:latest"),
        ("me/proj/dataset-x:v7", "me/proj/dataset-x:v7"),
        (
            "me/proj/dataset-x:nosuchalias",
            "me/proj/dataset-x:nosuchalias",
        ),
        ("me/other/dataset-x", "me/other/dataset-x:latest"),
        // no entity: the API key's; no project: uncategorized
        ("dataset-x:v0", "mock-entity/uncategorized/dataset-x:v0"),
    ] {
        let err = api.artifact(reference).unwrap_err();
        match &err {
            OnlineError::ArtifactNotFound { reference: r } => assert_eq!(r, named),
            other => panic!("{reference}: {other}"),
        }
        assert!(err.to_string().contains(named), "{err}");
    }
    assert!(matches!(
        api.artifact("a/b/c/d:v0"),
        Err(OnlineError::InvalidPath { .. })
    ));
    assert!(matches!(
        api.artifacts("model", "me/proj/dataset-x"),
        Err(OnlineError::ArtifactNotFound { .. })
    ));

    // a stored blob that does not match its manifest digest
    let v0 = api.artifact("me/proj/dataset-x:v0").unwrap();
    let key = format!("files/{}/a.txt", v0.id);
    assert!(server.replace_artifact_file(&key, b"tampered\n".to_vec()));
    let root = tmp.path().join("bad");
    let cache = tmp.path().join("fresh-cache");
    let err = v0.download_with_cache(&root, &cache).unwrap_err();
    match &err {
        OnlineError::DigestMismatch {
            path,
            expected,
            got,
        } => {
            assert_eq!(path, "a.txt");
            let a = v0
                .manifest()
                .unwrap()
                .into_iter()
                .find(|e| e.path == "a.txt")
                .unwrap();
            assert_eq!(*expected, a.digest);
            assert_ne!(got, expected);
        }
        other => panic!("expected a digest mismatch, got {other}"),
    }
    assert!(
        !root.join("a.txt").exists(),
        "nothing written for the corrupt file"
    );
    let a_digest = &v0.manifest().unwrap()[0].digest;
    assert!(
        !cache_path(&cache, a_digest).unwrap().exists(),
        "nothing cached"
    );
    // the other version (its own blob) still downloads
    let v1 = api.artifact("me/proj/dataset-x:latest").unwrap();
    v1.download_with_cache(&tmp.path().join("good"), &cache)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("good/a.txt")).unwrap(),
        "alpha v1\n"
    );

    // each request of a download gets its own retry deadline: a download
    // started long after the lookup still retries a transient failure
    let short = Api::from_environment(env(&server, &tmp.path().join("home")))
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(3));
    let v1 = short.artifact("me/proj/dataset-x:v1").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3200));
    server.inject(Fault::status(
        Target::op("GetArtifactMembershipFileUrls"),
        503,
        1,
    ));
    let done = v1
        .download_with_cache(&tmp.path().join("late"), &tmp.path().join("late-cache"))
        .unwrap();
    assert_eq!(done.files.len(), 3);
    assert_eq!(server.faults_fired(), 1);
}
