//! HTTP handling of the fake server: one entry point that classifies the
//! request, applies injected faults, checks the credential and dispatches to
//! GraphQL, file_stream or upload storage.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::faults::{FaultAction, FaultQueue, RequestKind};
use crate::store::{ArtifactData, RequestLog, RunData};

/// The entity answered by `Viewer` and used when a request names none.
pub const DEFAULT_ENTITY: &str = "mock-entity";

pub(crate) type RunKey = (String, String, String);

/// State shared by all connections.
pub(crate) struct Shared {
    pub api_key: String,
    pub url: Mutex<String>,
    pub inner: Mutex<Inner>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub runs: BTreeMap<RunKey, RunData>,
    pub requests: Vec<RequestLog>,
    pub faults: FaultQueue,
    pub artifacts: Vec<ArtifactData>,
    pub artifact_files: BTreeMap<String, Vec<u8>>,
    pub uploads_with_auth: usize,
    pub unauthorized: usize,
    pub features: Vec<String>,
    pub next_id: u64,
    /// Requests currently being handled (a test waits for 0 before checking).
    pub in_flight: usize,
    /// Sweeps and their agents.
    pub sweeps: crate::sweeps::Sweeps,
}

impl Inner {
    pub fn run_mut(&mut self, entity: &str, project: &str, name: &str) -> &mut RunData {
        let key = (entity.to_string(), project.to_string(), name.to_string());
        if !self.runs.contains_key(&key) {
            let storage_id = self.new_id("Run");
            let run = RunData {
                entity: entity.to_string(),
                project: project.to_string(),
                name: name.to_string(),
                storage_id,
                config: json!({}),
                summary: json!({}),
                ..RunData::default()
            };
            self.runs.insert(key.clone(), run);
        }
        self.runs.entry(key).or_default()
    }

    /// Gives a run inserted by a test a storage id if it has none.
    pub fn insert_run(&mut self, mut run: RunData) {
        if run.storage_id.is_empty() {
            run.storage_id = self.new_id("Run");
        }
        let key = (run.entity.clone(), run.project.clone(), run.name.clone());
        self.runs.insert(key, run);
    }

    /// Removes the run with this storage id (and, if asked, the artifacts it
    /// created); false when there is none.
    pub fn delete_run(&mut self, storage_id: &str, with_artifacts: bool) -> bool {
        let Some(key) = self
            .runs
            .iter()
            .find(|(_, r)| r.storage_id == storage_id)
            .map(|(k, _)| k.clone())
        else {
            return false;
        };
        self.runs.remove(&key);
        if with_artifacts {
            let (e, p, r) = &key;
            self.artifacts.retain(|a| {
                let field = |k: &str| a.input.get(k).and_then(Value::as_str).unwrap_or("");
                !(field("entityName") == e && field("projectName") == p && field("runName") == r)
            });
        }
        true
    }
}

impl Inner {
    pub(crate) fn new_id(&mut self, kind: &str) -> String {
        self.next_id += 1;
        base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{}", self.next_id))
    }
}

fn classify(method: &Method, path: &str, body: &Value) -> RequestKind {
    if *method == Method::PUT && path.starts_with("/storage/") {
        RequestKind::Upload
    } else if *method == Method::POST && path == "/graphql" {
        RequestKind::GraphQl(op_name(body))
    } else if *method == Method::POST && path.ends_with("/file_stream") {
        RequestKind::FileStream
    } else {
        RequestKind::Other
    }
}

fn op_name(body: &Value) -> String {
    if let Some(op) = body.get("operationName").and_then(Value::as_str) {
        if !op.is_empty() {
            return op.to_string();
        }
    }
    let text = body.get("query").and_then(Value::as_str).unwrap_or("");
    // skip leading comment lines (`#graphql`)
    let q: String = text
        .lines()
        .skip_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let q = q.trim();
    for tok in ["mutation", "query"] {
        if let Some(rest) = q.strip_prefix(tok) {
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                return name;
            }
        }
    }
    "?".to_string()
}

fn json_response(code: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A response whose body fails at once: hyper closes the connection without
/// sending a complete answer, so the client sees a reset.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("fake server: connection dropped"))
    });
    Response::new(Body::from_stream(stream))
}

struct InFlight(Arc<Shared>);
impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inner.lock().in_flight -= 1;
    }
}

/// The single handler of every request.
pub(crate) async fn handle(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sh.inner.lock().in_flight += 1;
    let _guard = InFlight(sh.clone());
    let path = uri.path().to_string();
    // file_stream bodies are parsed into their typed form below (they can be
    // 10 MiB); only GraphQL bodies are kept as JSON values in the log
    let is_fs = method == Method::POST && path.ends_with("/file_stream");
    let parsed: Value = if method == Method::POST && !is_fs {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let kind = if is_fs {
        RequestKind::FileStream
    } else {
        classify(&method, &path, &parsed)
    };
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // the writer of a shared run (X-Wandb-Client-Id on GraphQL,
    // X-Wandb-Async-Client-Id on file_stream, as the official client)
    let client_id = ["x-wandb-async-client-id", "x-wandb-client-id"]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .map(str::to_string);
    let mut log = RequestLog {
        client_id: client_id.clone(),
        method: method.to_string(),
        path: path.clone(),
        op: match &kind {
            RequestKind::GraphQl(op) => Some(op.clone()),
            _ => None,
        },
        had_auth: auth.is_some(),
        status: 200,
        body: parsed.clone(),
    };
    let fault = sh.inner.lock().faults.take(&kind);
    let mut drop_after = false;
    match fault {
        Some(FaultAction::Status { code, retry_after }) => {
            log.status = code;
            sh.inner.lock().requests.push(log);
            let mut resp = json_response(code, json!({"error": "fake server: injected fault"}));
            if let Some(secs) = retry_after {
                if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            return resp;
        }
        Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultAction::DropBefore) => {
            log.status = 0;
            sh.inner.lock().requests.push(log);
            return dropped();
        }
        Some(FaultAction::DropAfter) => drop_after = true,
        None => {}
    }
    let resp = match &kind {
        RequestKind::Upload => {
            let mut inner = sh.inner.lock();
            if auth.is_some() {
                inner.uploads_with_auth += 1;
            }
            store_upload(&mut inner, &path, &body);
            json_response(200, json!({}))
        }
        RequestKind::Other if method == Method::GET && path.starts_with("/storage/") => {
            let rel = percent_decode(&path["/storage/".len()..]);
            match crate::public_api::download(&sh.inner.lock(), &rel) {
                Some(bytes) => (StatusCode::OK, bytes).into_response(),
                None => json_response(404, json!({"error": "no such file"})),
            }
        }
        RequestKind::Other => json_response(404, json!({"error": "not found"})),
        _ if !auth_ok(auth.as_deref(), &sh.api_key) => {
            sh.inner.lock().unauthorized += 1;
            json_response(
                401,
                json!({"errors": [{"message": "fake server: invalid API key"}]}),
            )
        }
        RequestKind::GraphQl(op) => {
            let vars = parsed.get("variables").cloned().unwrap_or(Value::Null);
            let url = sh.url.lock().clone();
            let mut inner = sh.inner.lock();
            if op == "Heartbeat" && inner.sweeps.heartbeat_not_found(&vars) {
                json_response(404, json!({"errors": [{"message": "sweep not found"}]}))
            } else {
                json_response(200, graphql(&mut inner, &url, op, &vars))
            }
        }
        RequestKind::FileStream => {
            let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            // files/<entity>/<project>/<run>/file_stream
            if parts.len() != 5 || parts[0] != "files" {
                json_response(404, json!({"error": "bad file_stream path"}))
            } else {
                let fs: crate::store::FileStreamBody =
                    serde_json::from_slice(&body).unwrap_or_default();
                let mut inner = sh.inner.lock();
                let run = inner.run_mut(parts[1], parts[2], parts[3]);
                run.apply_file_stream(fs, client_id.as_deref());
                let mut answer = json!({"exitcode": null, "limits": {}});
                if run.stopped {
                    answer["stopped"] = json!(true);
                }
                json_response(200, answer)
            }
        }
    };
    log.status = resp.status().as_u16();
    sh.inner.lock().requests.push(log);
    if drop_after {
        return dropped();
    }
    resp
}

fn auth_ok(auth: Option<&str>, key: &str) -> bool {
    let Some(value) = auth else { return false };
    let Some(b64) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    raw == format!("api:{key}").as_bytes()
}

fn store_upload(inner: &mut Inner, path: &str, body: &Bytes) {
    let rest = &path["/storage/".len()..];
    let rest = percent_decode(rest);
    if let Some(a) = rest.strip_prefix("_artifacts/") {
        inner.artifact_files.insert(a.to_string(), body.to_vec());
        return;
    }
    let mut parts = rest.splitn(4, '/');
    let (Some(e), Some(p), Some(r), Some(name)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let run = inner.run_mut(e, p, r);
    run.files.insert(name.to_string(), body.to_vec());
    *run.file_put_counts.entry(name.to_string()).or_default() += 1;
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn percent_encode_path(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn str_var<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn graphql(inner: &mut Inner, url: &str, op: &str, v: &Value) -> Value {
    match op {
        "GetDefaultEntity" => json!({"data": {"viewer": {"id": "VXNlcjox", "entity": DEFAULT_ENTITY}}}),
        "Viewer" => json!({"data": {"viewer": {"id": "VXNlcjox", "entity": DEFAULT_ENTITY,
            "username": "mock-user", "email": "mock@example.invalid", "flags": "{}", "admin": false,
            "teams": {"edges": []}, "apiKeys": {"edges": []}}}}),
        "ServerFeaturesQuery" => {
            let features: Vec<Value> = inner
                .features
                .iter()
                .map(|f| json!({"name": f, "isEnabled": true}))
                .collect();
            json!({"data": {"serverInfo": {"features": features}}})
        }
        "ServerInfo" => {
            json!({"data": {"serverInfo": {"cliVersionInfo": {}, "latestLocalVersionInfo": null}}})
        }
        "UpsertBucket" => {
            let entity = str_var(v, "entity").unwrap_or(DEFAULT_ENTITY).to_string();
            let project = str_var(v, "project").unwrap_or("uncategorized").to_string();
            let name = match str_var(v, "name") {
                Some(n) => n.to_string(),
                None => inner.new_id("run"),
            };
            if let Some(sweep) = str_var(v, "sweep") {
                inner.sweeps.link(sweep, &name);
            }
            let run = inner.run_mut(&entity, &project, &name);
            let inserted = run.upserts.is_empty();
            run.apply_upsert(v);
            json!({"data": {"upsertBucket": {"bucket": {
                "id": run.storage_id, "name": name,
                "displayName": run.display_name.clone().unwrap_or_else(|| "mock-display-name".into()),
                "description": "", "config": run.config.to_string(), "sweepName": run.sweep,
                "project": {"id": "UHJvamVjdDox", "name": project,
                            "entity": {"id": "RW50aXR5OjE=", "name": entity}},
                "historyLineCount": run.stream("wandb-history.jsonl").lines.len()},
                "inserted": inserted}}})
        }
        "CreateRunFiles" => {
            let e = str_var(v, "entity").unwrap_or(DEFAULT_ENTITY);
            let p = str_var(v, "project").unwrap_or("uncategorized");
            let r = str_var(v, "run").unwrap_or("");
            let files: Vec<Value> = v
                .get("files")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(|f| {
                    let u = format!("{url}/storage/{}", percent_encode_path(&format!("{e}/{p}/{r}/{f}")));
                    json!({"name": f, "uploadUrl": u})
                })
                .collect();
            let key = (e.to_string(), p.to_string(), r.to_string());
            let run_id = inner.runs.get(&key).map(|run| run.storage_id.clone()).unwrap_or_default();
            json!({"data": {"createRunFiles": {"runID": run_id, "uploadHeaders": [], "files": files}}})
        }
        "MarkRunFilesUploaded" => json!({"data": {"markRunFilesUploaded": {"success": true}}}),
        "RunStoppedStatus" => {
            let e = str_var(v, "entityName").or(str_var(v, "entity")).unwrap_or(DEFAULT_ENTITY);
            let p = str_var(v, "projectName").or(str_var(v, "project")).unwrap_or("uncategorized");
            let r = str_var(v, "runId").or(str_var(v, "name")).unwrap_or("");
            let key = (e.to_string(), p.to_string(), r.to_string());
            let stopped = inner.runs.get(&key).map(|r| r.stopped).unwrap_or(false);
            json!({"data": {"project": {"run": {"stopped": stopped}}}})
        }
        "RunResumeStatus" => resume_status(inner, v),
        // The official `Run.delete` mutation: `deleteRun(input: {id, deleteArtifacts})`.
        "DeleteRun" => {
            let id = str_var(v, "id").unwrap_or("");
            let with_artifacts = v.get("deleteArtifacts").and_then(Value::as_bool) == Some(true);
            if inner.delete_run(id, with_artifacts) {
                json!({"data": {"deleteRun": {"clientMutationId": null}}})
            } else {
                json!({"data": {"deleteRun": null},
                       "errors": [{"message": format!("run {id} not found")}]})
            }
        }
        "OrgFeatureFlags" | "OrganizationCoreWeaveOrganizationID" => json!({"data": {"entity": null}}),
        "NotifyScriptableRunAlert" => {
            let e = str_var(v, "entityName").unwrap_or(DEFAULT_ENTITY).to_string();
            let p = str_var(v, "projectName").unwrap_or("uncategorized").to_string();
            let r = str_var(v, "runName").unwrap_or("").to_string();
            inner.run_mut(&e, &p, &r).alerts.push(v.clone());
            json!({"data": {"notifyScriptableRunAlert": {"success": true}}})
        }
        _ => crate::public_api::graphql(inner, url, op, v)
            .or_else(|| crate::sweeps::graphql(inner, op, v))
            .or_else(|| crate::artifacts_read::graphql(inner, url, op, v))
            .or_else(|| crate::artifacts::graphql(inner, url, op, v))
            .unwrap_or_else(|| {
            json!({"data": null, "errors": [{"message": format!("fake server: unsupported operation {op}")}]})
        }),
    }
}

fn resume_status(inner: &mut Inner, v: &Value) -> Value {
    let e = str_var(v, "entity").unwrap_or(DEFAULT_ENTITY).to_string();
    let p = str_var(v, "project").unwrap_or("uncategorized").to_string();
    let name = str_var(v, "name").unwrap_or("").to_string();
    let key = (e.clone(), p.clone(), name);
    let bucket = inner.runs.get(&key).map(|run| {
        let history = run.stream("wandb-history.jsonl");
        let tail: Vec<String> = history.text_lines().into_iter().rev().take(1).collect();
        json!({
            "id": run.storage_id, "name": run.name,
            "summaryMetrics": run.summary.to_string(),
            "displayName": run.display_name,
            "logLineCount": run.stream("output.log").lines.len(),
            "historyLineCount": history.lines.len(),
            "eventsLineCount": run.stream("wandb-events.jsonl").lines.len(),
            "historyTail": serde_json::to_string(&tail).unwrap_or_default(),
            "eventsTail": "[]",
            "config": run.config.to_string(),
            "tags": run.tags,
            "notes": run.notes,
            // `wandbConfig(keys: ["t"])`: only a run that started (upserted or
            // streamed) has telemetry; one a test merely created (stop_run)
            // is a run created ahead of time, not resumable
            "wandbConfig": started(run),
        })
    });
    json!({"data": {"model": {"id": "UHJvamVjdDox", "name": p,
        "entity": {"id": "RW50aXR5OjE=", "name": e}, "bucket": bucket}}})
}

fn started(run: &RunData) -> String {
    let t = run.config.pointer("/_wandb/value/t").cloned();
    match t {
        Some(t) => json!({ "t": t }).to_string(),
        None if !run.upserts.is_empty() || !run.streams.is_empty() => json!({"t": {}}).to_string(),
        None => "{}".to_string(),
    }
}

pub(crate) fn new_artifact_id(inner: &mut Inner, kind: &str) -> String {
    inner.new_id(kind)
}

pub(crate) fn storage_url(url: &str, rel: &str) -> String {
    format!("{url}/storage/_artifacts/{}", percent_encode_path(rel))
}
