//! `run.log_code`: the source becomes a `code` artifact exactly as the
//! official `run.log_code` makes it. The official client (oracle venv,
//! offline) and wandb-rs log the same tree; the official reader (`wandb
//! leet inspect`) sees equal `artifact` records and the same
//! `_wandb.code_path` config update; the official `wandb sync` of both run
//! directories and `wandb-rs sync` of ours send the same artifact calls to
//! the artifact reference mock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{init, CodeOptions, Console, InitOptions, Mode};
use wandb_test_support::mock_server::copy_tree;
use wandb_test_support::{leet_inspect, oracle_python_run, ArtifactMock, ScratchDir};

const RUN_ID: &str = "lcode01";
const NAME: &str = "source-lcode-train";

fn source_tree(root: &Path) {
    for (p, text) in [
        ("main.rs", "fn main() {}\n"),
        ("sub/util.rs", "pub fn f() -> u8 { 1 }\n"),
        ("notes.txt", "not code\n"),
        ("wandb/ignored.rs", "// run output\n"),
    ] {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    }
}

const OFFICIAL: &str = r#"
import sys
import wandb
src, run_id, name = sys.argv[1], sys.argv[2], sys.argv[3]
run = wandb.init(project="lcode", id=run_id)
run.log({"loss": 0.5})
run.log_code(root=src, name=name, include_fn=lambda p: p.endswith(".rs"))
run.finish()
"#;

fn run_dir_under(wandb_dir: &Path) -> PathBuf {
    std::fs::read_dir(wandb_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("offline-run-"))
        })
        .expect("an offline run directory")
}

fn our_run(root: &Path, src: &Path, opts: CodeOptions) -> (PathBuf, Option<wandb::LoggedArtifact>) {
    let run = init(
        InitOptions::new()
            .dir(root)
            .mode(Mode::Offline)
            .project("lcode")
            .id(RUN_ID)
            .console(Console::Off)
            .system_metrics(false)
            .quiet(true)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    run.log(wandb::row! {"loss" => 0.5}).unwrap();
    let logged = run.log_code_with(src, opts).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    (dir, logged)
}

/// The `artifact` and `config` records (config updates after the run
/// record: `_wandb.code_path`), as the official reader sees them (random client ids and staging paths dropped).
fn code_records(run_dir: &Path) -> Vec<serde_json::Value> {
    let wandb_file = std::fs::read_dir(run_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "wandb"))
        .expect("a .wandb file");
    let mut out = Vec::new();
    for r in leet_inspect(&wandb_file) {
        if r["type"] == "artifact" {
            let mut a = r["artifact"].clone();
            let m = a.as_object_mut().unwrap();
            m.remove("client_id");
            m.remove("sequence_client_id");
            for e in m["manifest"]["contents"].as_array_mut().unwrap() {
                assert!(e["local_path"].is_string(), "{e}");
                e["local_path"] = "<staged>".into();
            }
            out.push(serde_json::json!({"artifact": a}));
        } else if r["type"] == "config" {
            // the reader shows updates as an object of parsed values
            out.push(serde_json::json!({"config": r["config"]["update"].clone()}));
        }
    }
    out
}

#[test]
fn log_code_matches_the_official_client_and_syncs_like_it() {
    let scratch = ScratchDir::new("log-code");
    let src = std::path::absolute(scratch.path().join("src")).unwrap();
    source_tree(&src);
    let official_root = scratch.path().join("official");
    std::fs::create_dir_all(&official_root).unwrap();
    oracle_python_run(
        OFFICIAL,
        &[&src.display().to_string(), RUN_ID, NAME],
        &official_root,
    );
    let official_dir = run_dir_under(&official_root.join("wandb"));
    let (ours_dir, logged) = our_run(
        &scratch.path().join("ours"),
        &src,
        CodeOptions::new().name(NAME),
    );
    let logged = logged.expect("code logged");
    assert_eq!(logged.name, NAME);
    assert_eq!(logged.r#type, "code");

    let theirs = code_records(&official_dir);
    assert_eq!(theirs.len(), 2, "one artifact, one code_path: {theirs:#?}");
    let paths: Vec<&str> = theirs[0]["artifact"]["manifest"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["main.rs", "sub/util.rs"]);
    assert_eq!(theirs[0]["artifact"]["type"], "code");
    assert_eq!(
        theirs[1]["config"],
        serde_json::json!({"_wandb": {"code_path": NAME}})
    );
    assert_eq!(code_records(&ours_dir), theirs, "records");

    let official = {
        let mock = ArtifactMock::start();
        mock.official_sync(std::slice::from_ref(&official_dir));
        mock.artifact_log()
    };
    let code = &official.0[&format!("code/{NAME}")];
    assert_eq!(code.len(), 1);
    assert!(code[0].committed);
    assert_eq!(
        code[0].uploads.keys().collect::<Vec<_>>(),
        ["main.rs", "sub/util.rs"]
    );
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
    assert_eq!(ours_official_sync, official, "our run, official wandb sync");
    let ours_our_sync = {
        let mock = ArtifactMock::start();
        let o = SyncOptions {
            entity: Some("mock-entity".into()),
            base_url: Some(mock.url()),
            api_key: Some(wandb_test_support::MOCK_API_KEY.into()),
            timeout: Some(Duration::from_secs(60)),
            ..SyncOptions::default()
        };
        let report = sync_run_dir(&copy("sync-ours"), &o, |_| {}).expect("wandb-rs sync");
        assert!(report.unsent.is_empty(), "{report:?}");
        mock.artifact_log()
    };
    assert_eq!(ours_our_sync, official, "our run, wandb-rs sync");
}

#[test]
fn log_code_defaults_name_the_artifact_after_project_and_program() {
    let scratch = ScratchDir::new("log-code-default");
    let src = scratch.path().join("src");
    source_tree(&src);
    std::fs::write(src.join("Cargo.toml"), "[package]\n").unwrap();
    std::fs::create_dir_all(src.join("target/debug")).unwrap();
    std::fs::write(src.join("target/debug/gen.rs"), "// build output\n").unwrap();
    let (dir, logged) = our_run(&scratch.path().join("ours"), &src, CodeOptions::new());
    let logged = logged.expect("code logged");
    let exe = std::env::current_exe().unwrap();
    let program = exe.file_name().unwrap().to_string_lossy().replace(
        |c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')),
        "_",
    );
    assert_eq!(logged.name, format!("source-lcode-{program}"));
    let mut staged: Vec<&str> = logged.staged.iter().map(|(p, _)| p.as_str()).collect();
    staged.sort_unstable();
    assert_eq!(staged, ["Cargo.toml", "main.rs", "sub/util.rs"]);
    let records = code_records(&dir);
    assert_eq!(records.len(), 2, "{records:#?}");

    // nothing matching: no artifact, no error
    let (dir2, none) = our_run(
        &scratch.path().join("none"),
        &src,
        CodeOptions::new().include(|p| p.extension().is_some_and(|e| e == "py")),
    );
    assert!(none.is_none());
    assert!(code_records(&dir2).is_empty());
}
