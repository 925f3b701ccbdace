//! The read side of the fake server: the GraphQL queries of the official
//! public API (`wandb.Api`) and of wandb-rs's `Api`, answered from the runs
//! the server stored — `Run` (RunFragment fields), `Runs` (filters, paging),
//! `RunFiles`, `RunFullHistory`, `RunSampledHistory`/`SampledHistoryPage`,
//! `RunHistoryKeys`, `HistoryPage` (the step-range scan) and
//! `RunParquetHistory` (no parquet exports: everything is live data) — and
//! `GET /storage/...` downloads of uploaded run files.
//!
//! History rows are kept as the text the client streamed, so `NaN` and
//! `Infinity` tokens reach readers unchanged wherever the schema has a JSON
//! string (`history`, `historyTail`); `sampledHistory` returns objects, and
//! skips rows that are not strict JSON.

use base64::Engine as _;
use md5::{Digest as _, Md5};
use serde_json::{json, Map, Value};

use crate::handlers::{percent_encode_path, Inner, DEFAULT_ENTITY};
use crate::store::RunData;

const HISTORY: &str = "wandb-history.jsonl";

/// Answers a public-API query; `None` for other operations.
pub(crate) fn graphql(inner: &mut Inner, url: &str, op: &str, v: &Value) -> Option<Value> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let entity = s("entity").or(s("entityName")).unwrap_or(DEFAULT_ENTITY);
    let project = s("project").or(s("projectName")).unwrap_or("uncategorized");
    let name = s("name").or(s("run")).or(s("runName")).unwrap_or("");
    let key = (entity.to_string(), project.to_string(), name.to_string());
    if op == "Runs" {
        return Some(runs(inner, entity, project, v));
    }
    let run = inner.runs.get(&key);
    let answer = |field: Option<Map<String, Value>>| {
        let run = field.map_or(Value::Null, Value::Object);
        json!({"data": {"project": {"internalId": "1", "run": run}}})
    };
    let one = |f: &dyn Fn(&RunData) -> Map<String, Value>| answer(run.map(f));
    Some(match op {
        "Run" | "RunState" | "QueryRunInfo" => one(&|r| run_node(r)),
        "RunHistoryKeys" => one(&|r| obj([("historyKeys", history_keys(r))])),
        "RunFullHistory" => {
            let samples = v.get("samples").and_then(Value::as_u64).unwrap_or(500);
            one(&|r| {
                let lines = sample(history_lines(r), samples as usize);
                obj([("history", json!(lines))])
            })
        }
        "RunSampledHistory" | "SampledHistoryPage" => {
            let specs: Vec<Value> = match (v.get("specs"), v.get("spec")) {
                (Some(Value::Array(a)), _) => a.clone(),
                (_, Some(one)) => vec![one.clone()],
                _ => vec![],
            };
            one(&|r| {
                let out: Vec<Value> = specs.iter().map(|sp| sampled(r, sp)).collect();
                obj([("sampledHistory", json!(out))])
            })
        }
        "HistoryPage" => {
            let min = v.get("minStep").and_then(Value::as_i64).unwrap_or(0);
            let max = v.get("maxStep").and_then(Value::as_i64).unwrap_or(i64::MAX);
            let size = v.get("pageSize").and_then(Value::as_u64).unwrap_or(1000) as usize;
            one(&|r| {
                let lines: Vec<String> = history_lines(r)
                    .into_iter()
                    .filter(|l| step_of(l).is_some_and(|s| s >= min && s < max))
                    .take(size)
                    .collect();
                obj([("history", json!(lines))])
            })
        }
        "RunParquetHistory" => one(&|r| {
            let live: Vec<Value> = history_lines(r)
                .iter()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            obj([(
                "parquetHistory",
                json!({"parquetUrls": [], "liveData": live}),
            )])
        }),
        "RunFiles" => one(&|r| files(r, url, v)),
        _ => return None,
    })
}

fn obj<const N: usize>(fields: [(&str, Value); N]) -> Map<String, Value> {
    fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The RunFragment fields of a run (and `projectId`).
fn run_node(r: &RunData) -> Map<String, Value> {
    let mut m = obj([
        ("id", json!(r.storage_id)),
        ("projectId", json!(1)),
        ("name", json!(r.name)),
        (
            "displayName",
            json!(r.display_name.clone().unwrap_or_else(|| r.name.clone())),
        ),
        ("tags", json!(r.tags)),
        ("sweepName", Value::Null),
        ("state", json!(r.state())),
        ("config", json!(r.config.to_string())),
        ("group", json!(r.group)),
        ("jobType", json!(r.job_type)),
        ("commit", Value::Null),
        ("readOnly", json!(false)),
        ("createdAt", json!("2026-01-01T00:00:00")),
        ("heartbeatAt", json!("2026-01-01T00:00:00")),
        ("description", json!(r.notes)),
        ("notes", json!(r.notes)),
        ("host", json!(r.host)),
        ("systemMetrics", json!("{}")),
        ("summaryMetrics", json!(summary_text(r))),
        ("historyLineCount", json!(history_lines(r).len())),
        (
            "user",
            json!({"name": "mock-user", "username": "mock-user"}),
        ),
        ("historyKeys", history_keys(r)),
        ("fileCount", json!(r.files.len())),
        ("stopped", json!(r.stopped)),
    ]);
    m.insert("exitcode".into(), json!(r.exitcode));
    m
}

/// The summary as the client last streamed it (its text, so `NaN` survives).
fn summary_text(r: &RunData) -> String {
    r.stream("wandb-summary.json")
        .text_lines()
        .pop()
        .unwrap_or_else(|| r.summary.to_string())
}

fn history_lines(r: &RunData) -> Vec<String> {
    r.stream(HISTORY).text_lines()
}

/// `_step` of a history line, also when the line holds `NaN` tokens.
fn step_of(line: &str) -> Option<i64> {
    if let Ok(v) = serde_json::from_str::<Value>(line) {
        return v.get("_step").and_then(Value::as_i64);
    }
    let rest = &line[line.find("\"_step\":")? + 8..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

/// `historyKeys`: the last step and, per key, its value types.
fn history_keys(r: &RunData) -> Value {
    let lines = history_lines(r);
    let last = lines.iter().rev().find_map(|l| step_of(l)).unwrap_or(-1);
    let mut keys: Map<String, Value> = Map::new();
    for row in lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        for (k, val) in row.as_object().into_iter().flatten() {
            let ty = match val {
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Bool(_) => "boolean",
                Value::Object(_) => "map",
                Value::Array(_) => "list",
                Value::Null => "nil",
            };
            let entry = keys
                .entry(k.clone())
                .or_insert_with(|| json!({"typeCounts": []}));
            let counts = &mut entry["typeCounts"];
            if let Some(c) = counts
                .as_array_mut()
                .and_then(|a| a.iter_mut().find(|c| c["type"] == ty))
            {
                c["count"] = json!(c["count"].as_u64().unwrap_or(0) + 1);
            } else if let Some(a) = counts.as_array_mut() {
                a.push(json!({"type": ty, "count": 1}));
            }
        }
    }
    json!({"lastStep": last, "keys": keys})
}

/// At most `n` of `items`, evenly spaced, first and last kept.
fn sample<T: Clone>(items: Vec<T>, n: usize) -> Vec<T> {
    if items.len() <= n {
        return items;
    }
    if n <= 1 {
        return items.into_iter().take(n).collect();
    }
    let last = items.len() - 1;
    (0..n).map(|i| items[i * last / (n - 1)].clone()).collect()
}

/// One `sampledHistory` spec: rows holding every key of `keys` (and with
/// `minStep <= _step <= maxStep` when given), reduced to those keys, at
/// most `samples` of them.
fn sampled(r: &RunData, spec: &Value) -> Value {
    let spec: Value = match spec {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    let keys: Vec<String> = spec["keys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let samples = spec["samples"].as_u64().unwrap_or(500) as usize;
    // the official scan pages with an inclusive step range
    let min = spec["minStep"].as_i64().unwrap_or(i64::MIN);
    let max = spec["maxStep"].as_i64().unwrap_or(i64::MAX);
    let rows: Vec<Value> = history_lines(r)
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|row| row["_step"].as_i64().is_none_or(|s| s >= min && s <= max))
        .filter(|row| keys.iter().all(|k| row.get(k).is_some()))
        .map(|row| {
            let m: Map<String, Value> = keys.iter().map(|k| (k.clone(), row[k].clone())).collect();
            Value::Object(m)
        })
        .collect();
    json!(sample(rows, samples))
}

/// `files(names:, after:, first:, pattern:)` of a run.
fn files(r: &RunData, url: &str, v: &Value) -> Map<String, Value> {
    let names: Vec<&str> = v
        .get("fileNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let pattern = v.get("pattern").and_then(Value::as_str);
    let after = v.get("fileCursor").and_then(Value::as_str);
    let first = v.get("fileLimit").and_then(Value::as_u64).unwrap_or(50) as usize;
    let all: Vec<(&String, &Vec<u8>)> = r
        .files
        .iter()
        .filter(|(n, _)| names.is_empty() || names.contains(&n.as_str()))
        .filter(|(n, _)| pattern.is_none_or(|p| like(p, n)))
        .filter(|(n, _)| after.is_none_or(|a| n.as_str() > a))
        .collect();
    let has_next = all.len() > first;
    let edges: Vec<Value> = all
        .into_iter()
        .take(first)
        .map(|(n, bytes)| {
            let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes));
            let link = format!(
                "{url}/storage/{}",
                percent_encode_path(&format!("{}/{}/{}/{n}", r.entity, r.project, r.name))
            );
            json!({"node": {"id": format!("File:{n}"), "name": n, "url": link, "directUrl": link,
                            "sizeBytes": bytes.len(), "mimetype": mimetype(n),
                            "updatedAt": "2026-01-01T00:00:00", "md5": md5},
                   "cursor": n})
        })
        .collect();
    let end = edges
        .last()
        .map(|e| e["cursor"].clone())
        .unwrap_or(Value::Null);
    obj([
        ("fileCount", json!(r.files.len())),
        (
            "files",
            json!({"edges": edges, "pageInfo": {"endCursor": end, "hasNextPage": has_next}}),
        ),
    ])
}

fn mimetype(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("yaml") | Some("yml") => "application/x-yaml",
        Some("txt") | Some("log") => "text/plain",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// SQL `LIKE` with `%` (any run) and `_` (one character).
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// `Runs`: the project's runs matching `filters`, oldest first, paged.
fn runs(inner: &Inner, entity: &str, project: &str, v: &Value) -> Value {
    let filters: Value = v
        .get("filters")
        .and_then(Value::as_str)
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_else(|| json!({}));
    let mut matching: Vec<&RunData> = inner
        .runs
        .values()
        .filter(|r| r.entity == entity && r.project == project)
        .filter(|r| crate::filters::matches(&filters, r))
        .collect();
    matching.sort_by_key(|r| crate::filters::created_seq(r));
    if v.get("order").and_then(Value::as_str) == Some("-created_at") {
        matching.reverse();
    }
    let after: usize = v
        .get("cursor")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let per_page = v.get("perPage").and_then(Value::as_u64).unwrap_or(50) as usize;
    let count = matching.len();
    let edges: Vec<Value> = matching
        .iter()
        .enumerate()
        .skip(after)
        .take(per_page)
        .map(|(i, r)| json!({"node": Value::Object(run_node(r)), "cursor": (i + 1).to_string()}))
        .collect();
    let end = edges
        .last()
        .map(|e| e["cursor"].clone())
        .unwrap_or(Value::Null);
    json!({"data": {"project": {"internalId": "1", "runCount": count, "readOnly": false,
        "runs": {"edges": edges,
                 "pageInfo": {"endCursor": end, "hasNextPage": after + per_page < count}}}}})
}

/// `GET /storage/<entity>/<project>/<run>/<name>`: an uploaded run file.
/// `GET /storage/_artifacts/<key>`: an uploaded artifact file or manifest.
pub(crate) fn download(inner: &Inner, rel: &str) -> Option<Vec<u8>> {
    if let Some(key) = rel.strip_prefix("_artifacts/") {
        return inner.artifact_files.get(key).cloned();
    }
    let mut parts = rel.splitn(4, '/');
    let (e, p, r, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let key = (e.to_string(), p.to_string(), r.to_string());
    inner.runs.get(&key)?.files.get(name).cloned()
}
