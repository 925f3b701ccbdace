//! Server-driven sweeps: `UpsertSweep`, `CreateAgent` and the agent
//! `Heartbeat` (spec A.3, A.4 and C; the shapes of the reference mock).
//!
//! A sweep's parameters come from the `wandb-sweeps` controller (grid,
//! random, bayes over the runs handed out so far) unless a test scripted
//! the answers with [`crate::FakeServer::script_heartbeats`]. Like the
//! reference mock, a heartbeat gets a `run` command only when the agent
//! reports no queued or running run (`runState == "{}"`), and `exit` once
//! the controller has nothing more (grid exhausted, `run_cap` reached).

use std::collections::{BTreeMap, VecDeque};

use serde_json::{json, Map, Value};
use wandb_sweeps::{Controller, RunState, SweepConfig, SweepRun};

use crate::handlers::{Inner, DEFAULT_ENTITY};

/// One sweep as the server keeps it.
#[derive(Debug, Clone, Default)]
pub struct SweepData {
    /// The sweep id (`name` in GraphQL, 8 characters).
    pub name: String,
    /// The sweep's GraphQL `id`.
    pub storage_id: String,
    /// Entity name.
    pub entity: String,
    /// Project name.
    pub project: String,
    /// The config as sent (a YAML string).
    pub config: String,
    /// The `state` last sent with UpsertSweep, if any.
    pub state: Option<String>,
    /// Variables of every UpsertSweep call for it, in order.
    pub upserts: Vec<Value>,
    /// Ids of the runs linked to it (UpsertBucket with `sweep` = its name), in order.
    pub runs: Vec<String>,
    /// Every command handed out to its agents, in order.
    pub commands: Vec<Value>,
}

/// A registered agent.
#[derive(Debug, Clone, Default)]
pub struct AgentData {
    /// The agent's GraphQL `id`.
    pub id: String,
    /// Its sweep.
    pub sweep: String,
    /// The `host` it registered with.
    pub host: String,
    /// The `runState` of each heartbeat, parsed, in order.
    pub heartbeats: Vec<Value>,
}

/// The sweeps of one server.
#[derive(Default)]
pub(crate) struct Sweeps {
    pub sweeps: BTreeMap<String, SweepData>,
    pub agents: BTreeMap<String, AgentData>,
    controllers: BTreeMap<String, Controller>,
    scripted: BTreeMap<String, VecDeque<Value>>,
    /// Sweeps deleted by a test: their heartbeats answer HTTP 404.
    pub deleted: Vec<String>,
    issued: u64,
}

impl Sweeps {
    /// Queues the answers of the next heartbeats of `sweep`'s agents.
    pub fn script(&mut self, sweep: &str, answers: impl IntoIterator<Item = Value>) {
        self.scripted
            .entry(sweep.to_string())
            .or_default()
            .extend(answers);
    }

    /// Links a run to a sweep (an UpsertBucket carrying `sweep`).
    pub fn link(&mut self, sweep: &str, run: &str) {
        if let Some(s) = self.sweeps.get_mut(sweep) {
            if !s.runs.iter().any(|r| r == run) {
                s.runs.push(run.to_string());
            }
        }
    }

    /// Whether a heartbeat of this agent must be answered with HTTP 404.
    pub fn heartbeat_not_found(&self, vars: &Value) -> bool {
        let id = vars.get("id").and_then(Value::as_str).unwrap_or("");
        self.agents
            .get(id)
            .is_some_and(|a| self.deleted.contains(&a.sweep))
    }
}

fn graphql_error(message: String) -> Value {
    json!({"data": null, "errors": [{"message": message}]})
}

/// The sweep operations; `None` for any other operation.
pub(crate) fn graphql(inner: &mut Inner, op: &str, v: &Value) -> Option<Value> {
    Some(match op {
        "UpsertSweep" => upsert_sweep(inner, v),
        "CreateAgent" => create_agent(inner, v),
        "Heartbeat" => heartbeat(inner, v),
        // the public API's `api.sweep(path)` (its runs come from `Runs`
        // filtered by `{"sweep": name}`)
        "GetSweep" | "GetSweepLegacy" => get_sweep(inner, v),
        _ => return None,
    })
}

fn upsert_sweep(inner: &mut Inner, v: &Value) -> Value {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let existing = s("id").and_then(|id| {
        inner
            .sweeps
            .sweeps
            .values()
            .find(|sw| sw.storage_id == id)
            .map(|sw| sw.name.clone())
    });
    let name = match existing {
        Some(name) => name,
        None => {
            let Some(text) = s("config") else {
                return graphql_error("upsertSweep: a new sweep needs a config".into());
            };
            let config = match SweepConfig::from_yaml(&text) {
                Ok(c) => c,
                Err(e) => return graphql_error(format!("invalid sweep config: {e}")),
            };
            let n = inner.sweeps.sweeps.len() + 1;
            let name = format!("mocksw{n:02}");
            let storage_id = inner.new_id("Sweep");
            inner
                .sweeps
                .controllers
                .insert(name.clone(), Controller::new(config, n as u32));
            inner.sweeps.sweeps.insert(
                name.clone(),
                SweepData {
                    name: name.clone(),
                    storage_id,
                    entity: s("entityName").unwrap_or_else(|| DEFAULT_ENTITY.into()),
                    project: s("projectName").unwrap_or_else(|| "uncategorized".into()),
                    config: text,
                    ..SweepData::default()
                },
            );
            name
        }
    };
    let Some(sweep) = inner.sweeps.sweeps.get_mut(&name) else {
        return graphql_error(format!("sweep {name} vanished"));
    };
    sweep.upserts.push(v.clone());
    if let Some(state) = s("state") {
        sweep.state = Some(state);
    }
    json!({"data": {"upsertSweep": {"sweep": {"name": sweep.name, "project": {
        "id": "UHJvamVjdDox", "name": sweep.project,
        "entity": {"id": "RW50aXR5OjE=", "name": sweep.entity}}},
        "configValidationWarnings": []}}})
}

fn get_sweep(inner: &Inner, v: &Value) -> Value {
    let name = v.get("name").and_then(Value::as_str).unwrap_or("");
    let node = inner.sweeps.sweeps.get(name).map(|sw| {
        let method = sw
            .config
            .lines()
            .find_map(|l| l.strip_prefix("method:"))
            .map(|m| m.trim().to_string());
        json!({"__typename": "Sweep", "id": sw.storage_id, "name": sw.name,
            "displayName": null, "method": method, "state": sw.state.as_deref().unwrap_or("RUNNING"),
            "description": null, "bestLoss": null, "config": sw.config,
            "createdAt": "2026-01-01T00:00:00", "updatedAt": "2026-01-01T00:00:00",
            "runCount": sw.runs.len(), "runCountExpected": null})
    });
    json!({"data": {"project": {"sweep": node}}})
}

fn create_agent(inner: &mut Inner, v: &Value) -> Value {
    let sweep = v.get("sweep").and_then(Value::as_str).unwrap_or("");
    if !inner.sweeps.sweeps.contains_key(sweep) {
        return graphql_error(format!("sweep {sweep} not found"));
    }
    let id = inner.new_id("Agent");
    let host = v
        .get("host")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    inner.sweeps.agents.insert(
        id.clone(),
        AgentData {
            id: id.clone(),
            sweep: sweep.to_string(),
            host,
            heartbeats: Vec::new(),
        },
    );
    json!({"data": {"createAgent": {"agent": {"id": id}}}})
}

fn heartbeat(inner: &mut Inner, v: &Value) -> Value {
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let run_state: Value = v
        .get("runState")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| json!({}));
    let sw = &mut inner.sweeps;
    let Some(agent) = sw.agents.get_mut(&id) else {
        return graphql_error(format!("agent {id} not found"));
    };
    agent.heartbeats.push(run_state.clone());
    let sweep = agent.sweep.clone();
    let commands = match sw.scripted.get_mut(&sweep).and_then(VecDeque::pop_front) {
        Some(answer) => match answer {
            Value::Array(list) => list,
            one => vec![one],
        },
        None if run_state.as_object().is_some_and(Map::is_empty) => vec![next_command(sw, &sweep)],
        None => Vec::new(),
    };
    if let Some(s) = sw.sweeps.get_mut(&sweep) {
        s.commands.extend(commands.iter().cloned());
    }
    let commands = Value::Array(commands).to_string();
    json!({"data": {"agentHeartbeat": {"agent": {"id": id}, "commands": commands}}})
}

/// A `run` command with the controller's next parameters, or `exit`.
fn next_command(sw: &mut Sweeps, sweep: &str) -> Value {
    let Some(ctl) = sw.controllers.get_mut(sweep) else {
        return json!({"type": "exit"});
    };
    match ctl.suggest() {
        Ok(Some(args)) => {
            sw.issued += 1;
            let run_id = format!("swrun{}", 100 + sw.issued);
            ctl.upsert(SweepRun::new(
                run_id.clone(),
                RunState::Running,
                args.clone(),
            ));
            let program = ctl.config().program.clone();
            json!({"type": "run", "run_id": run_id, "program": program, "args": args})
        }
        Ok(None) | Err(_) => json!({"type": "exit"}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(inner: &mut Inner, agent: &str, state: &str) -> Value {
        let v = json!({"id": agent, "metrics": "{}", "runState": state});
        let answer = heartbeat(inner, &v);
        let text = answer["data"]["agentHeartbeat"]["commands"]
            .as_str()
            .unwrap();
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn grid_runs_are_handed_out_one_at_a_time_then_exit() {
        let mut inner = Inner::default();
        let config =
            "method: grid\nparameters:\n  lr:\n    values: [0.1, 0.01]\n  opt:\n    value: adam\n";
        let up = upsert_sweep(&mut inner, &json!({"config": config, "projectName": "p"}));
        assert_eq!(up["data"]["upsertSweep"]["sweep"]["name"], "mocksw01");
        assert_eq!(
            up["data"]["upsertSweep"]["sweep"]["project"]["entity"]["name"],
            DEFAULT_ENTITY
        );
        let agent = create_agent(&mut inner, &json!({"host": "h", "sweep": "mocksw01"}));
        let id = agent["data"]["createAgent"]["agent"]["id"]
            .as_str()
            .unwrap()
            .to_string();

        let first = commands(&mut inner, &id, "{}");
        assert_eq!(
            first,
            json!([{"type": "run", "run_id": "swrun101", "program": null,
                    "args": {"lr": {"value": 0.1}, "opt": {"value": "adam"}}}])
        );
        // nothing while the agent has a run
        assert_eq!(
            commands(&mut inner, &id, r#"{"swrun101": true}"#),
            json!([])
        );
        let second = commands(&mut inner, &id, "{}");
        assert_eq!(second[0]["args"]["lr"]["value"], json!(0.01));
        assert_eq!(second[0]["run_id"], "swrun102");
        assert_eq!(commands(&mut inner, &id, "{}"), json!([{"type": "exit"}]));

        // scripted answers come first
        inner.sweeps.script(
            "mocksw01",
            [
                json!([{"type": "stop", "run_id": "x"}]),
                json!({"type": "exit"}),
            ],
        );
        assert_eq!(
            commands(&mut inner, &id, r#"{"x": true}"#),
            json!([{"type": "stop", "run_id": "x"}])
        );
        assert_eq!(commands(&mut inner, &id, "{}"), json!([{"type": "exit"}]));
        let sweep = &inner.sweeps.sweeps["mocksw01"];
        assert_eq!(sweep.commands.len(), 5);
        assert_eq!(inner.sweeps.agents[&id].heartbeats.len(), 6);
    }

    #[test]
    fn bad_requests_get_graphql_errors() {
        let mut inner = Inner::default();
        let bad = upsert_sweep(&mut inner, &json!({"config": "method: nope\n"}));
        assert!(bad["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("invalid sweep config"));
        assert!(upsert_sweep(&mut inner, &json!({})).get("errors").is_some());
        let no_sweep = create_agent(&mut inner, &json!({"host": "h", "sweep": "nosuch"}));
        assert!(no_sweep["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nosuch"));
        let no_agent = heartbeat(&mut inner, &json!({"id": "nobody", "runState": "{}"}));
        assert!(no_agent.get("errors").is_some());
    }
}
