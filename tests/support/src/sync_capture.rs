//! What a client sent to the [`MockServer`](crate::mock_server::MockServer)
//! while syncing one run, reduced to what the server keeps, so that the
//! official `wandb sync` and `wandb-rs sync` of the same run directory can
//! be compared with `assert_eq!`.
//!
//! Normalisation (what legitimately differs between two syncs):
//! - request order, timing, retries and batching: file_stream lines are
//!   placed by their `offset` (a later write of an offset wins), uploads are
//!   keyed by file name, artifacts by collection name;
//! - host names and ports: the mock's URLs are never compared, only names;
//! - console lines lose their time stamp (`<ISO time> `, the time of the sync);
//! - mock ids (`Artifact:<n>`, manifest ids, a manifest entry's
//!   `birthArtifactID`) are replaced by the artifact's name;
//! - a manifest entry's `local_path` (the staging file on the machine that
//!   wrote the run) is dropped;
//! - debug/version fields of the client itself: the upserted config's
//!   `_wandb.value` loses `cli_version`, `python_version`, telemetry `t` and
//!   environment `e` (what each client says about itself), as are dropped `clientID`/`sequenceClientID` of
//!   `CreateArtifact` (random per sync) and the manifest's `storagePolicyConfig`
//!   (storage region of the client);
//! - `CreateArtifact` variables that are `null` are dropped (the same as
//!   absent); `entityName` is compared as sent: both sync clients send the
//!   offline artifact record's own entity (empty when the run had none);
//! - `_wandb.m` (metric definitions): the official sender lists them in Go
//!   map order (random), so each entry's step reference `"5"` (a 1-based
//!   index) is replaced by the referenced metric's name and entries are
//!   sorted by name;
//! - bare `NaN`/`Infinity` tokens are read as the strings `"NaN"`, `"Infinity"`.

use std::collections::BTreeMap;

use serde_json::Value;

/// One synced run, as the server saw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncCapture {
    /// `wandb-history.jsonl` lines, by offset.
    pub history: Vec<Value>,
    /// `wandb-events.jsonl` lines (system metrics), by offset.
    pub events: Vec<Value>,
    /// The last `wandb-summary.json` line.
    pub summary: Value,
    /// `output.log` lines without their time stamp: (is stderr, text).
    pub output: Vec<(bool, String)>,
    /// The last non-empty `config` of an `UpsertBucket` (normalised `_wandb`).
    pub config: Value,
    /// Run fields of the first `UpsertBucket`.
    pub run_fields: BTreeMap<String, Value>,
    /// Run files uploaded (not artifact files), by name, with their bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Artifacts created, by `<type>/<collection>`.
    pub artifacts: BTreeMap<String, ArtifactCapture>,
    /// The `exitcode` of the final file_stream request.
    pub exitcode: Option<i64>,
}

/// One artifact as the server saw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactCapture {
    /// `CreateArtifact` input without the random client ids.
    pub input: Value,
    /// The uploaded `wandb_manifest.json`, without `storagePolicyConfig`.
    pub manifest: Value,
    /// Files uploaded for it, by name, with their bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Whether `CommitArtifact` was called.
    pub committed: bool,
}

/// Parses W&B JSON text: bare `NaN`/`Infinity` tokens become strings.
pub fn parse_wandb_json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| {
        let fixed = s
            .replace("-Infinity", "\"-Infinity\"")
            .replace(":Infinity", ":\"Infinity\"")
            .replace(",Infinity", ",\"Infinity\"")
            .replace("[Infinity", "[\"Infinity\"")
            .replace("NaN", "\"NaN\"");
        serde_json::from_str(&fixed).unwrap_or_else(|e| panic!("bad JSON {s:?}: {e}"))
    })
}

fn normalize_metrics(metrics: &mut [Value]) {
    let name = |e: &Value| {
        e["1"]
            .as_str()
            .or(e["2"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let names: Vec<String> = metrics.iter().map(name).collect();
    for e in metrics.iter_mut() {
        if let Some(i) = e["5"].as_u64() {
            let target = (i as usize)
                .checked_sub(1)
                .and_then(|j| names.get(j).cloned())
                .unwrap_or_default();
            e["5"] = Value::String(target);
        }
    }
    metrics.sort_by_key(name);
}

fn place(lines: &mut Vec<Option<String>>, offset: usize, content: &[Value]) {
    for (i, line) in content.iter().enumerate() {
        let at = offset + i;
        if lines.len() <= at {
            lines.resize(at + 1, None);
        }
        lines[at] = line.as_str().map(str::to_string);
    }
}

fn strip_console_time(line: &str) -> (bool, String) {
    let (err, rest) = match line.strip_prefix("ERROR ") {
        Some(r) => (true, r),
        None => (false, line),
    };
    let text = rest.split_once(' ').map(|(_, t)| t).unwrap_or("");
    (err, text.to_string())
}

impl SyncCapture {
    /// Reduces the requests and uploads of one mock server instance (which
    /// saw a single run) to a capture.
    pub fn from_requests(requests: &[Value], uploads: &BTreeMap<String, Vec<u8>>) -> Self {
        let mut streams: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        let mut cap = SyncCapture::default();
        let mut artifact_names: BTreeMap<String, String> = BTreeMap::new(); // id -> key
        let mut manifest_of: BTreeMap<String, String> = BTreeMap::new(); // manifest id -> key
        for r in requests {
            let body = &r["body"];
            let path = r["path"].as_str().unwrap_or("");
            if path.ends_with("/file_stream") {
                if let Some(files) = body["files"].as_object() {
                    for (name, chunk) in files {
                        let offset = chunk["offset"].as_u64().unwrap_or(0) as usize;
                        let content = chunk["content"].as_array().cloned().unwrap_or_default();
                        place(streams.entry(name.clone()).or_default(), offset, &content);
                    }
                }
                if let Some(code) = body["exitcode"].as_i64() {
                    cap.exitcode = Some(code);
                }
                continue;
            }
            let vars = &body["variables"];
            match r["op"].as_str().unwrap_or("") {
                "UpsertBucket" => {
                    if cap.run_fields.is_empty() {
                        for k in [
                            "name",
                            "project",
                            "entity",
                            "host",
                            "groupName",
                            "jobType",
                            "displayName",
                            "notes",
                            "tags",
                            "sweep",
                        ] {
                            cap.run_fields.insert(k.into(), vars[k].clone());
                        }
                    }
                    if let Some(c) = vars["config"].as_str().filter(|c| !c.is_empty()) {
                        let mut config = parse_wandb_json(c);
                        if let Some(m) = config["_wandb"]["value"].as_object_mut() {
                            for k in ["cli_version", "python_version", "t", "e"] {
                                m.remove(k);
                            }
                            if let Some(Value::Array(metrics)) = m.get_mut("m") {
                                normalize_metrics(metrics);
                            }
                        }
                        cap.config = config;
                    }
                }
                "CreateArtifact" => {
                    let mut input = vars["input"].clone();
                    if input.is_null() {
                        input = vars.clone();
                    }
                    let key = format!(
                        "{}/{}",
                        input["artifactTypeName"].as_str().unwrap_or("?"),
                        input["artifactCollectionNames"][0]
                            .as_str()
                            .or(input["artifactCollectionName"].as_str())
                            .unwrap_or("?")
                    );
                    if let Some(m) = input.as_object_mut() {
                        m.remove("clientID");
                        m.remove("sequenceClientID");
                        m.retain(|_, v| !v.is_null());
                    }
                    let id = r["response"]["data"]["createArtifact"]["artifact"]["id"]
                        .as_str()
                        .unwrap_or("")
                        .to_string();
                    artifact_names.insert(id, key.clone());
                    cap.artifacts.entry(key).or_default().input = input;
                }
                "CreateArtifactManifest" => {
                    let input = if vars["input"].is_object() {
                        &vars["input"]
                    } else {
                        vars
                    };
                    let aid = input["artifactID"].as_str().unwrap_or("");
                    let mid = r["response"]["data"]["createArtifactManifest"]["artifactManifest"]
                        ["id"]
                        .as_str()
                        .unwrap_or("");
                    if let Some(key) = artifact_names.get(aid) {
                        manifest_of.insert(mid.to_string(), key.clone());
                    }
                }
                "CommitArtifact" => {
                    let aid = vars["artifactID"]
                        .as_str()
                        .or(vars["input"]["artifactID"].as_str())
                        .unwrap_or("");
                    if let Some(key) = artifact_names.get(aid) {
                        cap.artifacts.entry(key.clone()).or_default().committed = true;
                    }
                }
                _ => {}
            }
        }
        for (path, bytes) in uploads {
            if let Some(rest) = path.strip_prefix("artifact-manifests/") {
                let mid = rest.split('/').next().unwrap_or("");
                let key = manifest_of.get(mid).cloned().unwrap_or_else(|| mid.into());
                let mut manifest = parse_wandb_json(&String::from_utf8_lossy(bytes));
                if let Some(m) = manifest.as_object_mut() {
                    m.remove("storagePolicyConfig");
                }
                if let Some(entries) = manifest["contents"].as_object_mut() {
                    for e in entries.values_mut() {
                        if let Some(e) = e.as_object_mut() {
                            e.remove("local_path");
                            if let Some(Value::String(id)) = e.get_mut("birthArtifactID") {
                                if let Some(name) = artifact_names.get(id.as_str()) {
                                    *id = name.clone();
                                }
                            }
                        }
                    }
                }
                cap.artifacts.entry(key).or_default().manifest = manifest;
            } else if let Some(rest) = path.strip_prefix("artifacts/") {
                let (aid, name) = rest.split_once('/').unwrap_or((rest, ""));
                let key = artifact_names
                    .get(aid)
                    .cloned()
                    .unwrap_or_else(|| aid.into());
                cap.artifacts
                    .entry(key)
                    .or_default()
                    .files
                    .insert(name.to_string(), bytes.clone());
            } else {
                cap.files.insert(path.clone(), bytes.clone());
            }
        }
        let mut lines = |name: &str| -> Vec<String> {
            streams
                .remove(name)
                .unwrap_or_default()
                .into_iter()
                .map(|l| l.unwrap_or_else(|| panic!("a hole in {name}")))
                .collect()
        };
        cap.history = lines("wandb-history.jsonl")
            .iter()
            .map(|l| parse_wandb_json(l))
            .collect();
        cap.events = lines("wandb-events.jsonl")
            .iter()
            .map(|l| parse_wandb_json(l))
            .collect();
        cap.summary = lines("wandb-summary.json")
            .last()
            .map(|l| parse_wandb_json(l))
            .unwrap_or(Value::Null);
        cap.output = lines("output.log")
            .iter()
            .map(|l| strip_console_time(l))
            .collect();
        cap
    }
}

/// Asserts that `ours` carries the same as `official` (after the
/// normalisation above). Files in [`DIFFERING_FILES`] are compared by name
/// only; `.json` files as parsed JSON (the official writer's key order is
/// Go map order).
pub fn assert_same_sync(official: &SyncCapture, ours: &SyncCapture) {
    assert_eq!(ours.history, official.history, "history");
    assert_eq!(ours.events, official.events, "events");
    assert_eq!(ours.summary, official.summary, "summary");
    assert_eq!(ours.output, official.output, "output.log");
    assert_eq!(ours.config, official.config, "config");
    assert_eq!(ours.run_fields, official.run_fields, "run fields");
    assert_eq!(
        ours.files.keys().collect::<Vec<_>>(),
        official.files.keys().collect::<Vec<_>>(),
        "uploaded file names"
    );
    for (name, bytes) in &official.files {
        if DIFFERING_FILES.contains(&name.as_str()) {
            continue;
        }
        let same = if name.ends_with(".json") {
            parse_wandb_json(&String::from_utf8_lossy(&ours.files[name]))
                == parse_wandb_json(&String::from_utf8_lossy(bytes))
        } else {
            &ours.files[name] == bytes
        };
        assert!(
            same,
            "{name} differs:\nofficial: {}\nours: {}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&ours.files[name])
        );
    }
    assert_eq!(
        ours.artifacts.keys().collect::<Vec<_>>(),
        official.artifacts.keys().collect::<Vec<_>>(),
        "artifacts"
    );
    for (key, theirs) in &official.artifacts {
        let mine = &ours.artifacts[key];
        assert_eq!(mine.input, theirs.input, "{key}: CreateArtifact");
        assert_eq!(mine.manifest, theirs.manifest, "{key}: manifest");
        assert_eq!(mine.files, theirs.files, "{key}: files");
        assert_eq!(mine.committed, theirs.committed, "{key}: commit");
    }
    assert_eq!(ours.exitcode, official.exitcode, "exit code");
}

/// Files whose bytes are generated by each client at sync time and say
/// what the client is: `wandb-metadata.json` (sync host, program),
/// `config.yaml` (`_wandb.cli_version`, telemetry), `requirements.txt`.
pub const DIFFERING_FILES: &[&str] = &["wandb-metadata.json", "config.yaml", "requirements.txt"];
