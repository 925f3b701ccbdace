//! `RunResumeStatus`: what the server has of a run, read as the official
//! client reads it (crate::resume has the semantics of the modes).

use serde_json::Value as JValue;

use super::error::{OnlineError, Result};
use super::graphql as gql;
use super::http::Client;
use crate::resume::{next_step, number, summary_runtime, ResumeConflict, ResumeState};
use crate::settings::Resume;
use crate::value::{Map, Value};

/// A run the server already has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerRun {
    /// The run's storage id (`bucket.id`), sent as `id` by the first
    /// UpsertBucket of the continued run, as the official client does.
    pub storage_id: Option<String>,
    /// Lines stored of `wandb-history.jsonl`, `wandb-events.jsonl` and
    /// `output.log`: the file_stream offsets continue from here.
    pub offsets: [usize; 3],
    /// Steps, runtime, summary, config, tags and notes to continue from.
    pub state: ResumeState,
}

/// Asks `RunResumeStatus` for `entity/project/run_id`. `None` when the run
/// does not exist, or exists without having started (no `wandbConfig.t`,
/// e.g. a sweep run created ahead of time), as the official client decides.
pub fn query(
    client: &Client,
    entity: &str,
    project: &str,
    run_id: &str,
) -> Result<Option<ServerRun>> {
    let entity = if entity.is_empty() {
        JValue::Null
    } else {
        JValue::from(entity)
    };
    let vars = serde_json::json!({"project": project, "entity": entity, "name": run_id});
    let data = client.graphql("RunResumeStatus", gql::RUN_RESUME_STATUS, Some(vars))?;
    Ok(data
        .pointer("/model/bucket")
        .filter(|b| run_exists(b))
        .map(parse_bucket))
}

/// Applies the `resume` mode to the server's answer: the typed error of
/// `must` / `never` / an explicit id without a resume setting, else the run
/// to continue (if any).
pub fn check(
    mode: Option<Resume>,
    run_id: &str,
    location: &str,
    found: Option<ServerRun>,
) -> Result<Option<ServerRun>> {
    let conflict = match (mode, &found) {
        (Some(Resume::Must), None) => Some(ResumeConflict::MustButMissing),
        (Some(Resume::Never), Some(_)) => Some(ResumeConflict::NeverButExists),
        (None, Some(_)) => Some(ResumeConflict::ExistsWithoutResume),
        _ => None,
    };
    match conflict {
        Some(conflict) => Err(OnlineError::Resume {
            run_id: run_id.to_string(),
            location: location.to_string(),
            conflict,
        }),
        None if matches!(mode, Some(Resume::Never) | None) => Ok(None),
        None => Ok(found),
    }
}

fn run_exists(bucket: &JValue) -> bool {
    bucket.is_object()
        && bucket
            .get("wandbConfig")
            .and_then(JValue::as_str)
            .and_then(|s| serde_json::from_str::<JValue>(s).ok())
            .is_some_and(|c| c.get("t").is_some())
}

fn json_map(b: &JValue, key: &str) -> Map {
    match b
        .get(key)
        .and_then(JValue::as_str)
        .and_then(|s| crate::json::parse(s).ok())
    {
        Some(Value::Map(m)) => m,
        _ => Map::new(),
    }
}

/// The last row of a `["<json row>", ...]` tail.
fn tail_last(b: &JValue, key: &str) -> Map {
    b.get(key)
        .and_then(JValue::as_str)
        .and_then(|t| serde_json::from_str::<Vec<String>>(t).ok())
        .and_then(|rows| rows.last().cloned())
        .and_then(|row| crate::json::parse(&row).ok())
        .and_then(|v| match v {
            Value::Map(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default()
}

fn parse_bucket(b: &JValue) -> ServerRun {
    let count = |k: &str| {
        b.get(k)
            .and_then(JValue::as_u64)
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
    };
    let offsets = [
        count("historyLineCount"),
        count("eventsLineCount"),
        count("logLineCount"),
    ];
    // config: {key: {"value": v}}; entries of another shape are skipped
    let config: Map = json_map(b, "config")
        .into_iter()
        .filter(|(k, _)| k != "_wandb")
        .filter_map(|(k, v)| match v {
            Value::Map(mut w) => w.shift_remove("value").map(|v| (k, v)),
            _ => None,
        })
        .collect();
    let summary = json_map(b, "summaryMetrics");
    let history = tail_last(b, "historyTail");
    let events = tail_last(b, "eventsTail");
    let last_step = history
        .get("_step")
        .and_then(number)
        .or_else(|| summary.get("_step").and_then(number));
    let starting_step = if offsets[0] > 0 {
        next_step(last_step)
    } else {
        last_step.map_or(0, |s| next_step(Some(s)).saturating_sub(1))
    };
    let runtime = [
        events.get("_runtime").and_then(number),
        summary_runtime(&summary),
        history.get("_runtime").and_then(number),
    ]
    .into_iter()
    .flatten()
    .fold(0.0_f64, f64::max);
    let tags = b
        .get("tags")
        .and_then(JValue::as_array)
        .map(|a| {
            a.iter()
                .filter_map(JValue::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let notes = b
        .get("notes")
        .and_then(JValue::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    ServerRun {
        storage_id: b
            .get("id")
            .and_then(JValue::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        offsets,
        state: ResumeState {
            starting_step,
            runtime_secs: runtime,
            summary,
            config,
            tags,
            notes,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bucket_without_wandb_config_t_is_not_a_run() {
        assert!(!run_exists(&json!(null)));
        assert!(!run_exists(&json!({"name": "r"})));
        assert!(!run_exists(&json!({"wandbConfig": "{}"})));
        assert!(run_exists(&json!({"wandbConfig": "{\"t\": {}}"})));
    }

    #[test]
    fn parses_offsets_steps_runtime_summary_and_config() {
        let b = json!({
            "historyLineCount": 3, "eventsLineCount": 2, "logLineCount": 5,
            "historyTail": "[\"{\\\"_step\\\":2,\\\"_runtime\\\":4.5}\"]",
            "eventsTail": "[\"{\\\"_runtime\\\":7}\"]",
            "summaryMetrics": "{\"loss\":0.1,\"_step\":2,\"_wandb\":{\"runtime\":6}}",
            "config": "{\"lr\":{\"value\":0.5},\"bad\":3,\"_wandb\":{\"value\":{}}}",
            "tags": ["a"], "notes": "n", "wandbConfig": "{\"t\":1}"
        });
        let r = parse_bucket(&b);
        assert_eq!(r.offsets, [3, 2, 5]);
        assert_eq!(r.state.starting_step, 3);
        assert_eq!(r.state.runtime_secs, 7.0);
        assert_eq!(r.state.summary.get("loss"), Some(&Value::Float(0.1)));
        assert_eq!(r.state.config.len(), 1);
        assert_eq!(r.state.config.get("lr"), Some(&Value::Float(0.5)));
        assert_eq!(r.state.tags, vec!["a".to_string()]);
        assert_eq!(r.state.notes.as_deref(), Some("n"));
    }

    #[test]
    fn modes_decide_as_the_official_client() {
        let run = || Some(ServerRun::default());
        let err = |m, f| match check(m, "r", "here", f) {
            Err(OnlineError::Resume { conflict, .. }) => Some(conflict),
            _ => None,
        };
        assert_eq!(
            err(Some(Resume::Must), None),
            Some(ResumeConflict::MustButMissing)
        );
        assert_eq!(
            err(Some(Resume::Never), run()),
            Some(ResumeConflict::NeverButExists)
        );
        assert_eq!(err(None, run()), Some(ResumeConflict::ExistsWithoutResume));
        assert!(check(Some(Resume::Allow), "r", "", run())
            .unwrap()
            .is_some());
        assert!(check(Some(Resume::Auto), "r", "", None).unwrap().is_none());
        assert!(check(Some(Resume::Never), "r", "", None).unwrap().is_none());
        assert!(check(Some(Resume::Must), "r", "", run()).unwrap().is_some());
    }
}
