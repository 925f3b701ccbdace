//! [`ApiRun`]: one run read from the server, and [`Runs`], a project's runs
//! fetched a page at a time.

use serde_json::{json, Value as JValue};

use super::history::{parse_row, HistoryScan};
use super::{queries, str_field, Api, RunFile};
use crate::online::error::{OnlineError, Result};
use crate::value::{Map, Value};

/// Config keys the official client keeps out of `config` (they are in
/// [`ApiRun::raw_config`]).
const INTERNAL_CONFIG_KEYS: [&str; 2] = ["_wandb", "wandb_version"];

/// A run on the server, as [`Api::run`] or [`Api::runs`] read it.
#[derive(Debug, Clone)]
pub struct ApiRun {
    api: Api,
    /// The entity (user or team).
    pub entity: String,
    /// The project.
    pub project: String,
    /// The run id (the last part of its URL).
    pub id: String,
    /// The server's internal id of the run.
    pub storage_id: String,
    /// The display name.
    pub display_name: Option<String>,
    /// `running`, `finished`, `failed`, `crashed`, ...
    pub state: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Group.
    pub group: Option<String>,
    /// Job type.
    pub job_type: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The number of history rows the server has.
    pub history_line_count: u64,
    config: Map,
    raw_config: Map,
    summary: Map,
}

impl ApiRun {
    pub(crate) fn from_node(api: &Api, entity: &str, project: &str, node: &JValue) -> Result<Self> {
        let bad = |reason: String| OnlineError::UnexpectedAnswer {
            op: "Run".into(),
            reason,
        };
        let id = str_field(node, "name").ok_or_else(|| bad("the run has no name".into()))?;
        let (config, raw_config) = split_config(json_object_field(node, "config", "Run")?);
        let summary = json_object_field(node, "summaryMetrics", "Run")?;
        Ok(ApiRun {
            api: api.clone(),
            entity: entity.to_string(),
            project: project.to_string(),
            storage_id: str_field(node, "id").unwrap_or_default(),
            display_name: str_field(node, "displayName"),
            state: str_field(node, "state").unwrap_or_else(|| "unknown".into()),
            tags: node
                .get("tags")
                .and_then(JValue::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            group: str_field(node, "group"),
            job_type: str_field(node, "jobType"),
            notes: str_field(node, "notes"),
            history_line_count: node
                .get("historyLineCount")
                .and_then(JValue::as_u64)
                .unwrap_or(0),
            id,
            config,
            raw_config,
            summary,
        })
    }

    /// `entity/project/id`.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.entity, self.project, self.id)
    }

    /// The config, each value unwrapped from the server's `{"value": ...}`,
    /// without the internal `_wandb` and `wandb_version` keys.
    pub fn config(&self) -> &Map {
        &self.config
    }

    /// The whole config, internal keys included (the official `rawconfig`).
    pub fn raw_config(&self) -> &Map {
        &self.raw_config
    }

    /// The summary (`summaryMetrics`), as the official `summary_metrics`.
    pub fn summary(&self) -> &Map {
        &self.summary
    }

    /// Sampled history: with no `keys`, every column of at most `samples`
    /// rows; with `keys`, the rows holding all of them, reduced to `_step`
    /// and those keys (the official `history(samples, keys, pandas=False)`).
    pub fn history(&self, keys: &[&str], samples: usize) -> Result<Vec<Map>> {
        let vars = |extra: JValue| {
            let mut v = json!({"entity": self.entity, "project": self.project, "name": self.id});
            if let (Some(o), JValue::Object(e)) = (v.as_object_mut(), extra) {
                o.extend(e);
            }
            v
        };
        if keys.is_empty() {
            let data = self.api.query(
                "RunFullHistory",
                queries::FULL_HISTORY,
                vars(json!({"samples": samples})),
            )?;
            let lines = self.run_field(&data, "history", "RunFullHistory")?;
            return rows_of(lines, "RunFullHistory");
        }
        let mut all_keys = vec!["_step"];
        all_keys.extend(keys.iter().copied().filter(|k| *k != "_step"));
        let spec = json!({"keys": all_keys, "samples": samples}).to_string();
        let data = self.api.query(
            "RunSampledHistory",
            queries::SAMPLED_HISTORY,
            vars(json!({"specs": [spec]})),
        )?;
        let lists = self.run_field(&data, "sampledHistory", "RunSampledHistory")?;
        let first = lists
            .as_array()
            .and_then(|a| a.first())
            .cloned()
            .unwrap_or(JValue::Array(Vec::new()));
        rows_of(&first, "RunSampledHistory")
    }

    /// Every history row, in step order, fetched `page_size` steps at a time
    /// while iterating (memory stays bounded by one page). With `keys`, only
    /// rows that hold all of them, reduced to `_step` and those keys (as the
    /// official `scan_history(keys=...)`).
    pub fn scan_history(&self, keys: &[&str], page_size: usize) -> Result<HistoryScan> {
        HistoryScan::start(self, keys, page_size)
    }

    /// The run's files (name, size, MD5, URL), each downloadable.
    pub fn files(&self) -> Result<Vec<RunFile>> {
        RunFile::list(self)
    }

    pub(crate) fn api(&self) -> &Api {
        &self.api
    }

    /// `project.run.<field>` of an answer, or the right error.
    pub(crate) fn run_field<'a>(
        &self,
        data: &'a JValue,
        field: &str,
        op: &str,
    ) -> Result<&'a JValue> {
        match data.pointer("/project/run") {
            Some(run) if run.is_object() => {
                run.get(field).ok_or_else(|| OnlineError::UnexpectedAnswer {
                    op: op.into(),
                    reason: format!("the run has no {field}"),
                })
            }
            _ => Err(OnlineError::RunNotFound { path: self.path() }),
        }
    }
}

/// A list of rows: JSON-string rows (`NaN` allowed) or objects.
fn rows_of(list: &JValue, op: &str) -> Result<Vec<Map>> {
    let items = list
        .as_array()
        .ok_or_else(|| OnlineError::UnexpectedAnswer {
            op: op.into(),
            reason: "the history is not a list".into(),
        })?;
    items.iter().map(|row| parse_row(row, op)).collect()
}

/// A field that is a JSON object or a string holding one (`null`: empty).
fn json_object_field(node: &JValue, key: &str, op: &str) -> Result<Map> {
    let bad = |reason: String| OnlineError::UnexpectedAnswer {
        op: op.into(),
        reason: format!("{key}: {reason}"),
    };
    let value = match node.get(key) {
        None | Some(JValue::Null) => return Ok(Map::new()),
        Some(JValue::String(s)) if s.trim().is_empty() => return Ok(Map::new()),
        Some(JValue::String(s)) => crate::json::parse(s).map_err(|e| bad(e.to_string()))?,
        Some(other) => Value::from(other),
    };
    match value {
        Value::Map(m) => Ok(m),
        _ => Err(bad("not a JSON object".into())),
    }
}

/// `(config, raw_config)`: values unwrapped from `{"value": ...}`.
fn split_config(raw: Map) -> (Map, Map) {
    let mut user = Map::new();
    let mut all = Map::new();
    for (k, v) in raw {
        let v = match v {
            Value::Map(mut m) if m.contains_key("value") => {
                m.swap_remove("value").unwrap_or_default()
            }
            other => other,
        };
        if !INTERNAL_CONFIG_KEYS.contains(&k.as_str()) {
            user.insert(k.clone(), v.clone());
        }
        all.insert(k, v);
    }
    (user, all)
}

/// A project's runs, a page (50) at a time; see [`Api::runs`].
#[derive(Debug)]
pub struct Runs {
    api: Api,
    entity: String,
    project: String,
    filters: String,
    cursor: Option<String>,
    buffer: std::collections::VecDeque<ApiRun>,
    total: Option<u64>,
    done: bool,
}

impl Runs {
    pub(crate) fn new(api: Api, entity: String, project: String, filters: JValue) -> Self {
        Runs {
            api,
            entity,
            project,
            filters: filters.to_string(),
            cursor: None,
            buffer: Default::default(),
            total: None,
            done: false,
        }
    }

    /// How many runs match (the server's `runCount`), once a page was read.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    fn next_page(&mut self) -> Result<()> {
        let data = self.api.query(
            "Runs",
            &queries::runs(),
            json!({"entity": self.entity, "project": self.project, "cursor": self.cursor,
                   "perPage": 50, "order": "+created_at", "filters": self.filters}),
        )?;
        let bad = |reason: &str| OnlineError::UnexpectedAnswer {
            op: "Runs".into(),
            reason: reason.into(),
        };
        let project = match data.get("project") {
            Some(p) if p.is_object() => p,
            _ => {
                return Err(OnlineError::RunNotFound {
                    path: format!("{}/{} (project)", self.entity, self.project),
                })
            }
        };
        self.total = project.get("runCount").and_then(JValue::as_u64);
        let runs = project.get("runs").ok_or_else(|| bad("no runs"))?;
        let edges = runs
            .get("edges")
            .and_then(JValue::as_array)
            .ok_or_else(|| bad("runs without edges"))?;
        for edge in edges {
            let node = edge
                .get("node")
                .ok_or_else(|| bad("an edge without a node"))?;
            self.buffer.push_back(ApiRun::from_node(
                &self.api,
                &self.entity,
                &self.project,
                node,
            )?);
        }
        let info = &runs["pageInfo"];
        let next = info["endCursor"].as_str().map(String::from);
        // a server repeating its cursor would loop forever: stop there
        self.done = info["hasNextPage"].as_bool() != Some(true)
            || edges.is_empty()
            || next.is_none()
            || next == self.cursor;
        self.cursor = next;
        Ok(())
    }
}

impl Iterator for Runs {
    type Item = Result<ApiRun>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(run) = self.buffer.pop_front() {
                return Some(Ok(run));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.next_page() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}
