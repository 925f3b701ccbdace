//! Fidelity of the fake server: the official client (wandb 0.31.0 from the
//! oracle venv) runs online against it, and `wandb sync` uploads a run to
//! it; both end as finished runs with every row.

mod common;

use std::process::Command;

use common::*;
use serde_json::json;
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, oracle_python, oracle_wandb, ScratchDir};

fn online_env<'a>(
    cmd: &'a mut Command,
    server: &FakeServer,
    scratch: &std::path::Path,
) -> &'a mut Command {
    hermetic(cmd, scratch)
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
}

const SCRIPT: &str = r#"
import wandb
run = wandb.init(project="fid", entity="mock-entity", id="pyrun1", config={"lr": 0.1, "layers": [8, 4]},
                 tags=["t1", "t2"], notes="from python")
run.define_metric("loss", summary="min")
for i in range(300):
    run.log({"loss": 1.0 / (i + 1), "nested": {"a": i}})
print("hello from python")
run.summary["best"] = 0.5
run.finish()
"#;

#[test]
fn the_official_client_runs_online_against_the_fake_server() {
    let server = FakeServer::start();
    let scratch = ScratchDir::new("fake-online");
    let mut cmd = Command::new(oracle_python());
    online_env(&mut cmd, &server, scratch.path())
        .arg("-c")
        .arg(SCRIPT);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "official client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = server
        .run("mock-entity", "fid", "pyrun1")
        .expect("run created by the official client");
    assert_eq!(run.state(), "finished", "ops: {:?}", server.ops());
    let h = run.history();
    assert_eq!(h.len(), 300);
    for (i, row) in h.iter().enumerate() {
        assert_eq!(row["_step"], json!(i));
        assert_eq!(row["nested"]["a"], json!(i));
    }
    assert_eq!(run.plain_config()["lr"], json!(0.1));
    assert_eq!(run.tags, vec!["t1", "t2"]);
    assert_eq!(run.notes.as_deref(), Some("from python"));
    assert_eq!(run.summary["best"], json!(0.5));
    assert_eq!(run.summary["loss"]["min"], json!(1.0 / 300.0));
    assert!(
        run.output()
            .iter()
            .any(|l| l.ends_with("hello from python")),
        "{:?}",
        run.output()
    );
    for f in [
        "config.yaml",
        "wandb-summary.json",
        "wandb-metadata.json",
        "output.log",
    ] {
        assert!(
            run.files.contains_key(f),
            "{f} not uploaded: {:?}",
            run.files.keys()
        );
    }
    assert_eq!(server.uploads_with_auth(), 0);
    for s in run.streams.values() {
        assert!(s.holes().is_empty());
    }
}

#[test]
fn official_wandb_sync_uploads_to_the_fake_server() {
    let server = FakeServer::start();
    let scratch = ScratchDir::new("fake-sync");
    let dir = fixture_run("minimal_run", scratch.path());
    let mut cmd = Command::new(oracle_wandb());
    online_env(&mut cmd, &server, scratch.path())
        .args(["sync", "-e", "mock-entity"])
        .arg(&dir);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "wandb sync failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = server
        .run("mock-entity", "fmt-test", "minrun01")
        .expect("run synced");
    assert_eq!(run.state(), "finished");
    let want = expected("minimal");
    let got: Vec<_> = run
        .stream("wandb-history.jsonl")
        .text_lines()
        .iter()
        .map(|l| parse(l))
        .collect();
    let exp: Vec<_> = want["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| parse(l.as_str().unwrap()))
        .collect();
    assert_eq!(got, exp);
    assert_eq!(
        parse(&run.stream("wandb-summary.json").text_lines()[0]),
        parse(want["summary"].as_str().unwrap())
    );
    for f in want["files"].as_array().unwrap() {
        assert!(
            run.files.contains_key(f.as_str().unwrap()),
            "{f} not uploaded"
        );
    }
}
