//! wandb-rs's server-driven sweep agent against the fake server (no
//! Python): the captured official request sequence, the sweep's parameters
//! in the runs' configs, `stop`, `exit`, `count` and typed errors.
#![cfg(all(feature = "sweeps", feature = "online"))]

mod sweep_common;

use std::time::{Duration, Instant};

use serde_json::json;
use sweep_common::*;
use wandb::sweeps::server::{AgentEnd, RunOutcome, ServerError, ServerOptions};
use wandb_fake_server::FakeServer;

const ENTITY: &str = "mock-entity";
const PROJECT: &str = "sweep-proj";

fn fast(server: &FakeServer, dir: &std::path::Path) -> ServerOptions {
    ServerOptions::new()
        .project(PROJECT)
        .heartbeat_interval(Duration::from_millis(100))
        .host("test-host")
        .init(hermetic_init(server, dir, None))
}

#[test]
fn our_agent_sends_the_captured_official_sequence() {
    let server = FakeServer::start();
    let dir = tempfile::tempdir().unwrap();
    // the official heartbeat interval (5 s): the run ends before the next
    // one; WANDB_ENTITY as in the capture (its UpsertSweep names the entity)
    let report = run_ours(&server, dir.path(), Some(ENTITY), ServerOptions::new());
    assert_eq!(report.end, AgentEnd::Count);
    assert_eq!(report.sweep_id, "mocksw01");
    let ids: Vec<_> = report.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["swrun101", "swrun102"]);
    assert_eq!(
        report.runs[1].params,
        *json!({"batch_size": 16, "lr": 0.01, "opt": "adam"})
            .as_object()
            .unwrap()
    );
    assert_same("ours vs capture", &captured(), &received(&server));

    let sweep = server.sweep("mocksw01").unwrap();
    assert_eq!(sweep.runs, ["swrun101", "swrun102"]);
    // the read API finds them under the sweep (the official reader's filter)
    let api = wandb::Api::new(server.url(), server.api_key()).unwrap();
    let linked: Vec<String> = api
        .runs(
            "mock-entity/sweep-proj",
            Some(&json!({"sweep": "mocksw01"})),
        )
        .unwrap()
        .map(|r| r.unwrap().path())
        .collect();
    assert_eq!(
        linked,
        [
            "mock-entity/sweep-proj/swrun101",
            "mock-entity/sweep-proj/swrun102"
        ]
    );
    for (id, lr) in [("swrun101", 0.1), ("swrun102", 0.01)] {
        let run = server.run(ENTITY, PROJECT, id).expect(id);
        assert_eq!(run.sweep.as_deref(), Some("mocksw01"));
        assert_eq!(run.state(), "finished");
        let config = run.plain_config();
        assert_eq!(
            config["lr"],
            json!(lr),
            "the sweep's value wins over the user's 999"
        );
        assert_eq!(config["epochs"], json!(2));
        assert_eq!(config["batch_size"], json!(16));
        let losses: Vec<_> = run
            .history()
            .iter()
            .map(|r| r["val_loss"].as_f64().unwrap())
            .collect();
        assert_eq!(losses, [lr * 3.0, lr * 2.0, lr]);
        // only the first UpsertBucket links the run, as the official client
        let linked = run.upserts.iter().filter(|u| !u["sweep"].is_null()).count();
        assert_eq!(linked, 1);
        // the parameter file the run read, as the official agent writes it
        let file = dir
            .path()
            .join(format!("wandb/sweep-mocksw01/config-{id}.yaml"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("wandb_version: 1\n\nbatch_size:\n  value: 16\n"),
            "{text}"
        );
    }
}

#[test]
fn a_stopped_run_finishes_cleanly_and_the_agent_goes_on() {
    let server = FakeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let options = fast(&server, dir.path());
    let id = wandb::sweep_with(&capture_config(), &options).unwrap();
    // the first heartbeat starts `early1`, the fifth stops it; then the grid
    server.script_heartbeats(
        "mocksw01",
        [
            json!([{"type": "run", "run_id": "early1", "args": {"lr": {"value": 0.5}}}]),
            // a few heartbeats while it runs (a stop of a queued run skips it)
            json!([]),
            json!([]),
            json!([]),
            json!([{"type": "stop", "run_id": "early1"}]),
        ],
    );
    let mut steps = Vec::new();
    let report = wandb::agent_with(&id, &options.clone().count(2), |run| {
        if run.id() != "early1" {
            return Ok(());
        }
        let start = Instant::now();
        let mut step = 0u32;
        while !run.should_stop() {
            if start.elapsed() > Duration::from_secs(20) {
                return Err("never stopped".to_string());
            }
            run.log(wandb::row! {"val_loss" => 1.0 / (step + 1) as f64})
                .map_err(|e| e.to_string())?;
            step += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        steps.push(step);
        Ok(())
    })
    .unwrap();
    assert_eq!(report.end, AgentEnd::Count);
    let outcomes: Vec<_> = report
        .runs
        .iter()
        .map(|r| (r.run_id.as_str(), r.outcome.clone()))
        .collect();
    assert_eq!(outcomes[0], ("early1", RunOutcome::Stopped));
    assert_eq!(outcomes[1], ("swrun101", RunOutcome::Finished));
    // the stopped run ended as the official agent ends it: finished with
    // exit code 1, every logged row uploaded
    let early = server.run(ENTITY, PROJECT, "early1").unwrap();
    assert!(early.complete);
    assert_eq!(early.exitcode, Some(1));
    assert_eq!(early.plain_config()["lr"], json!(0.5));
    assert_eq!(early.history().len() as u32, steps[0]);
    // while it ran the agent reported it; the stop came at a later heartbeat
    let agent = server.agents().into_values().next().unwrap();
    assert_eq!(agent.heartbeats[0], json!({}));
    assert_eq!(agent.heartbeats[1], json!({"early1": true}));
    assert_eq!(agent.host, "test-host");
}

#[test]
fn exit_ends_the_agent_and_count_limits_it() {
    let server = FakeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let options = fast(&server, dir.path());
    let mut config = capture_config();
    config["run_cap"] = json!(3);
    let id = wandb::sweep_with(&config, &options).unwrap();
    // no count: the server's exit (run_cap reached) ends the agent
    let report = wandb::agent_with(&id, &options, |_run| Ok::<(), String>(())).unwrap();
    assert_eq!(report.end, AgentEnd::Exit);
    assert_eq!(report.runs.len(), 3);
    let commands = server.sweep("mocksw01").unwrap().commands;
    assert_eq!(commands.last().unwrap(), &json!({"type": "exit"}));

    // count = 1 of a fresh sweep: one run, no further heartbeat
    let id = wandb::sweep_with(&capture_config(), &options).unwrap();
    let report =
        wandb::agent_with(&id, &options.clone().count(1), |_run| Ok::<(), String>(())).unwrap();
    assert_eq!((report.end, report.runs.len()), (AgentEnd::Count, 1));
    // count = 0: registered, no heartbeat, no run
    let agents = server.agents().len();
    let report = wandb::agent_with(&id, &options.clone().count(0), |_run| {
        Err::<(), _>("never called")
    })
    .unwrap();
    assert_eq!((report.end, report.runs.len()), (AgentEnd::Count, 0));
    let new = server.agents().remove(&report.agent_id).unwrap();
    assert_eq!(
        (server.agents().len(), new.heartbeats.len()),
        (agents + 1, 0)
    );
}

#[test]
fn failed_runs_and_server_errors_are_typed() {
    let server = FakeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let options = fast(&server, dir.path());

    let bad = json!({"method": "grid", "parameters": {"lr": {"min": 0.5, "max": 0.1}}});
    let err = wandb::sweep_with(&bad, &options).unwrap_err();
    assert!(matches!(err, ServerError::Config(_)), "{err}");
    assert!(err.to_string().contains("parameters.lr"), "{err}");

    let err = wandb::agent_with("a//b", &options, |_r| Ok::<(), String>(())).unwrap_err();
    assert!(matches!(err, ServerError::InvalidSweepId(_)), "{err}");
    let err = wandb::agent_with("nosuchsw", &options, |_r| Ok::<(), String>(())).unwrap_err();
    assert!(matches!(err, ServerError::Online(_)), "{err}");
    assert!(err.to_string().contains("CreateAgent"), "{err}");

    // a failing closure (error or panic): the run finishes with exit code 1;
    // three failures in the first minute end the agent (the official rule)
    let id = wandb::sweep_with(&capture_config(), &options).unwrap();
    let mut n = 0;
    let report = wandb::agent_with(&id, &options, |_run| {
        n += 1;
        if n == 2 {
            panic!("boom");
        }
        Err("diverged")
    })
    .unwrap();
    assert!(
        matches!(report.end, AgentEnd::TooManyFailures(_)),
        "{:?}",
        report.end
    );
    assert_eq!(report.runs.len(), 3);
    assert_eq!(
        report.runs[0].outcome,
        RunOutcome::Failed("diverged".into())
    );
    assert!(matches!(&report.runs[1].outcome, RunOutcome::Failed(m) if m.contains("boom")));
    for r in &report.runs {
        let run = server.run(ENTITY, PROJECT, &r.run_id).unwrap();
        assert_eq!((run.complete, run.exitcode), (true, Some(1)));
    }

    // a deleted sweep: heartbeats get 404, the agent ends
    let id = wandb::sweep_with(&capture_config(), &options).unwrap();
    let name = id.rsplit('/').next().unwrap().to_string();
    server.delete_sweep(&name);
    let report = wandb::agent_with(&id, &options, |_r| Ok::<(), String>(())).unwrap();
    assert_eq!(
        (report.end, report.runs.len()),
        (AgentEnd::SweepNotFound, 0)
    );
}
