//! The sweep protocol as a comparable sequence: the requests of
//! `wandb.sweep` + `wandb.agent` (captured from the official client, or
//! received by the fake server), reduced to their operations and key
//! fields (spec A.3, A.4).

#![allow(dead_code)]

use std::path::Path;

use serde_json::{json, Value};
use wandb::sweeps::server::{AgentReport, RunOutcome, ServerOptions};
use wandb_fake_server::FakeServer;

/// The captured official sequence (tests/fixtures/sweeps).
pub fn captured() -> Vec<Value> {
    let path = wandb_test_support::fixtures_dir().join("sweeps/agent_count2_requests.json");
    let text = std::fs::read_to_string(&path).expect("read the sweep capture fixture");
    let doc: Value = serde_json::from_str(&text).expect("fixture JSON");
    doc["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| step(r["op"].as_str()?, &r["variables"]))
        .collect()
}

/// The sequence the fake server received.
pub fn received(server: &FakeServer) -> Vec<Value> {
    server
        .requests()
        .iter()
        .filter_map(|r| step(r.op.as_deref()?, &r.body["variables"]))
        .collect()
}

/// One request reduced to its key fields; `None` for requests outside the
/// protocol (the run's own UpsertBuckets after the first, file_stream, ...)
/// and for heartbeats that report a live run: how many of those come
/// depends on how long a run takes (the servers here answer them with no
/// command), so a loaded machine must not change the sequence.
pub fn step(op: &str, v: &Value) -> Option<Value> {
    Some(match op {
        "Heartbeat" if v["runState"] != "{}" => return None,
        "Viewer" => json!({"op": op}),
        "UpsertSweep" => json!({"op": op, "variables": v}),
        "CreateAgent" => json!({"op": op, "entityName": v["entityName"],
            "projectName": v["projectName"], "sweep": v["sweep"]}),
        "Heartbeat" => json!({"op": op, "metrics": v["metrics"], "runState": v["runState"]}),
        "UpsertBucket" if !v["sweep"].is_null() => {
            let config = match &v["config"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                other => other.clone(),
            };
            let mut config = config.as_object().cloned().unwrap_or_default();
            config.remove("_wandb");
            json!({"op": op, "name": v["name"], "entity": v["entity"], "project": v["project"],
                   "sweep": v["sweep"], "config": config})
        }
        _ => return None,
    })
}

/// The sweep config of the capture (`sweep_agent.py`), as JSON.
pub fn capture_config() -> Value {
    json!({
        "name": "mock-sweep", "method": "grid", "run_cap": 10,
        "metric": {"name": "val_loss", "goal": "minimize"},
        "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3},
        "parameters": {
            "lr": {"values": [0.1, 0.01]},
            "batch_size": {"values": [16, 32]},
            "opt": {"value": "adam"},
        },
    })
}

/// Asserts two sequences are equal, printing both on failure.
pub fn assert_same(what: &str, expected: &[Value], got: &[Value]) {
    let show = |s: &[Value]| {
        s.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        expected == got,
        "{what}: the request sequences differ\nexpected:\n{}\ngot:\n{}",
        show(expected),
        show(got)
    );
}

/// Options resolving against `server` only (own HOME, no process WANDB_*),
/// runs under `dir`, quiet, the capture's user config.
pub fn hermetic_init(server: &FakeServer, dir: &Path, entity: Option<&str>) -> wandb::InitOptions {
    let home = dir.join("home");
    let entity = entity.map(|e| ("WANDB_ENTITY", e.to_string()));
    wandb::InitOptions::new()
        .environment(entity.into_iter().chain([
            ("HOME", home.to_string_lossy().into_owned()),
            ("WANDB_API_KEY", server.api_key().to_string()),
            ("WANDB_BASE_URL", server.url().to_string()),
            ("WANDB_MODE", "online".to_string()),
            (
                "WANDB_CONFIG_DIR",
                home.join(".config/wandb").to_string_lossy().into_owned(),
            ),
        ]))
        .dir(dir)
        .quiet(true)
        .system_metrics(false)
        .config(&json!({"lr": 999, "epochs": 2}))
}

/// Our `sweep` + `agent(count = 2)` as the capture's script: the sweep of
/// [`capture_config`] in `sweep-proj`, each run logging `val_loss`;
/// `entity`: `WANDB_ENTITY` (the capture had `mock-entity`).
pub fn run_ours(
    server: &FakeServer,
    dir: &Path,
    entity: Option<&str>,
    options: ServerOptions,
) -> AgentReport {
    let options = options.init(hermetic_init(server, dir, entity));
    let id = wandb::sweep_with(&capture_config(), &options.clone().project("sweep-proj"))
        .expect("sweep");
    assert_eq!(id, "mock-entity/sweep-proj/mocksw01");
    let report = wandb::agent_with(&id, &options.count(2), |run| {
        let lr = run
            .config()
            .get("lr")
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN);
        for i in 0..3 {
            run.log(wandb::row! {"val_loss" => lr * (3 - i) as f64})?;
        }
        run.summary().set("final", 1)?;
        Ok::<(), wandb::Error>(())
    })
    .expect("agent");
    for r in &report.runs {
        assert_eq!(r.outcome, RunOutcome::Finished, "{report:?}");
    }
    report
}
