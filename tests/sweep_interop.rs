//! Server-driven sweeps against the official client (interop tier): the
//! official `wandb.sweep` + `wandb.agent(count=2)` of the oracle venv runs
//! against the fake server (which proves the fake server's sweep
//! operations), and wandb-rs's `sweep` + `agent` send the same requests.
#![cfg(all(feature = "sweeps", feature = "online"))]

mod sweep_common;

use std::process::Command;

use serde_json::json;
use sweep_common::*;
use wandb::sweeps::server::ServerOptions;
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, oracle_python, ScratchDir};

/// The capture's `sweep_agent.py`: a grid sweep, two runs of `train`.
const SCRIPT: &str = r#"
import wandb
config = {
    "name": "mock-sweep", "method": "grid", "run_cap": 10,
    "metric": {"name": "val_loss", "goal": "minimize"},
    "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3},
    "parameters": {"lr": {"values": [0.1, 0.01]}, "batch_size": {"values": [16, 32]},
                   "opt": {"value": "adam"}},
}
sweep_id = wandb.sweep(config, project="sweep-proj")
print("SWEEP", sweep_id)

def train():
    run = wandb.init(config={"lr": 999, "epochs": 2})
    lr = run.config["lr"]
    for i in range(3):
        run.log({"val_loss": lr * (3 - i)})
    run.summary["final"] = 1
    print("RUN", run.id, run.sweep_id, dict(run.config))
    run.finish()

wandb.agent(sweep_id, function=train, count=2)
print("AGENT_DONE")
"#;

/// The official reader: the sweep and the runs under it.
const READ_SWEEP: &str = r#"
import sys, wandb
sweep = wandb.Api().sweep(sys.argv[1])
print("READ", sweep.id, sweep.config["method"], sorted(r.id for r in sweep.runs))
"#;

/// Runs the script with the official client against `server`; its stdout.
fn official(server: &FakeServer, entity: Option<&str>) -> String {
    python(server, entity, SCRIPT, &[])
}

fn python(server: &FakeServer, entity: Option<&str>, script: &str, args: &[&str]) -> String {
    let scratch = ScratchDir::new("sweep-official");
    let mut cmd = Command::new(oracle_python());
    hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .arg("-c")
        .arg(script)
        .args(args);
    if let Some(e) = entity {
        cmd.env("WANDB_ENTITY", e);
    }
    let out = cmd.output().expect("run the official client");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "official client failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_official_agent_runs_a_server_sweep_on_the_fake_server() {
    let server = FakeServer::start();
    // WANDB_ENTITY as in the capture (its UpsertSweep names the entity)
    let stdout = official(&server, Some("mock-entity"));
    assert!(stdout.contains("SWEEP mocksw01"), "{stdout}");

    // the sweep, its two runs linked, the grid's parameters in their configs
    let sweep = server.sweep("mocksw01").expect("the sweep exists");
    assert_eq!(
        (sweep.entity.as_str(), sweep.project.as_str()),
        ("mock-entity", "sweep-proj")
    );
    assert_eq!(sweep.runs, vec!["swrun101", "swrun102"]);
    let agents = server.agents();
    assert_eq!(agents.len(), 1);
    let agent = agents.values().next().unwrap();
    assert_eq!(agent.sweep, "mocksw01");
    assert!(!agent.host.is_empty());
    for (run_id, lr) in [("swrun101", 0.1), ("swrun102", 0.01)] {
        let run = server
            .run("mock-entity", "sweep-proj", run_id)
            .expect(run_id);
        assert_eq!(run.sweep.as_deref(), Some("mocksw01"));
        assert_eq!(run.state(), "finished");
        let config = run.plain_config();
        assert_eq!(
            config["lr"],
            json!(lr),
            "sweep value locked over the user's 999"
        );
        assert_eq!(config["batch_size"], json!(16));
        assert_eq!(config["opt"], json!("adam"));
        assert_eq!(config["epochs"], json!(2));
        assert!(
            stdout.contains(&format!("RUN {run_id} mocksw01")),
            "{stdout}"
        );
        let losses: Vec<_> = run
            .history()
            .iter()
            .map(|r| r["val_loss"].clone())
            .collect();
        assert_eq!(losses.len(), 3);
    }

    // the same requests, in the same order, as the captured official agent
    // against the reference mock
    assert!(stdout.contains("AGENT_DONE"), "{stdout}");
    assert_same("official vs capture", &captured(), &received(&server));

    // the official reader finds the runs under the sweep
    let read = python(
        &server,
        None,
        READ_SWEEP,
        &["mock-entity/sweep-proj/mocksw01"],
    );
    assert!(
        read.contains("READ mocksw01 grid ['swrun101', 'swrun102']"),
        "{read}"
    );
}

#[test]
fn our_agent_sends_what_the_official_agent_sends() {
    // no entity configured: both send `entityName: null` to UpsertSweep and
    // take the server's answer; the official agent, live, on one server...
    let official_server = FakeServer::start();
    official(&official_server, None);
    // ...and ours on another, with the official heartbeat interval
    let ours = FakeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let report = run_ours(&ours, dir.path(), None, ServerOptions::new());
    assert_eq!(report.runs.len(), 2);
    assert_same(
        "ours vs official",
        &received(&official_server),
        &received(&ours),
    );
}

/// A trial that runs until the server stops it (20 s at most).
const STOPPED_SCRIPT: &str = r#"
import time, wandb
from wandb.agents import pyagent
pyagent.Agent.HEARTBEAT_SLEEP_SECONDS = 0.2
config = {"method": "grid", "parameters": {"lr": {"values": [0.1]}}}
sweep_id = wandb.sweep(config, project="sweep-proj")

def train():
    run = wandb.init()
    for i in range(200):
        run.log({"val_loss": 1.0 / (i + 1)})
        time.sleep(0.1)
    run.finish()

wandb.agent(sweep_id, function=train, count=1)
print("AGENT_DONE")
"#;

/// What "a stopped run finishes with the right state" means: the official
/// agent interrupts the trial and finishes it with exit code 1, after
/// uploading what it logged (ours does the same: tests/sweep_agent.rs).
#[test]
fn the_official_agent_finishes_a_stopped_run_with_exit_code_1() {
    let server = FakeServer::start();
    let mut answers =
        vec![json!([{"type": "run", "run_id": "early1", "args": {"lr": {"value": 0.5}}}])];
    // 4 s of heartbeats while the run starts, then the stop
    answers.extend(std::iter::repeat_n(json!([]), 20));
    answers.push(json!([{"type": "stop", "run_id": "early1"}]));
    server.script_heartbeats("mocksw01", answers);
    let stdout = python(&server, None, STOPPED_SCRIPT, &[]);
    assert!(stdout.contains("AGENT_DONE"), "{stdout}");
    let run = server
        .run("mock-entity", "sweep-proj", "early1")
        .expect("the stopped run");
    assert!(run.complete);
    assert_eq!(run.exitcode, Some(1));
    assert_eq!(run.sweep.as_deref(), Some("mocksw01"));
    assert_eq!(run.plain_config()["lr"], json!(0.5));
    let logged = run.history().len();
    assert!((1..200).contains(&logged), "{logged} rows");
}
