//! The extended reference mock with artifact support
//! (`tests/fixtures/oracle/artifacts/mock_wandb_server.py` + `minigql.py`,
//! copies of the oracle's) and what a client did to its artifacts, reduced
//! to what can be compared between the official client and wandb-rs.
//!
//! [`ArtifactLog`] keeps, per `<type>/<collection>`, every `CreateArtifact`
//! in order: its input (random client ids and `null`s dropped — both sync
//! clients send the record's own `entityName`, empty for an offline run
//! started without an entity —, aliases sorted — the official client orders them through
//! a Python set — and metadata parsed), the state the server answered
//! (`PENDING`, or `COMMITTED` for a digest the collection already holds),
//! the version it became (`v0`, `v1`, … in the order the server created
//! them), the files PUT for it (name → b64 MD5), the uploaded manifest
//! (without `local_path`, the staging path of the writing machine, and with
//! each `birthArtifactID` replaced by its version) and whether it was
//! committed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{fixtures_dir, oracle_python, oracle_wandb, ScratchDir, MOCK_API_KEY};

/// A running artifact mock on a free loopback port; killed on drop.
pub struct ArtifactMock {
    child: Child,
    port: u16,
    dir: ScratchDir,
}

impl ArtifactMock {
    /// Starts the mock and waits until it accepts connections.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// [`ArtifactMock::start`] with extra environment for the mock, e.g.
    /// `("MOCK_XXHASH", "1")` (the entity allows XXH128 digests).
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        for _ in 0..5 {
            let dir = ScratchDir::new("artmock");
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let child = Command::new(oracle_python())
                .arg(fixtures_dir().join("oracle/artifacts/mock_wandb_server.py"))
                .arg(port.to_string())
                .arg(dir.path().join("requests.jsonl"))
                .arg(dir.path().join("storage"))
                .arg(dir.path().join("state.json"))
                .env_remove("MOCK_FEATURES")
                .env_remove("MOCK_XXHASH")
                .env_remove("MOCK_PUBLIC_HOST")
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the artifact mock");
            let mut mock = ArtifactMock { child, port, dir };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return mock;
                }
                if let Ok(Some(_)) = mock.child.try_wait() {
                    break; // port taken in between: try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("the artifact mock did not start");
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where the mock keeps uploaded bytes (`blobs/<md5 hex>`, `manifests/<id>`).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Every request logged so far.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("mock log line"))
            .collect()
    }

    /// The artifact operations seen so far.
    pub fn artifact_log(&self) -> ArtifactLog {
        ArtifactLog::from_requests(&self.requests())
    }

    /// Runs the official `wandb sync -e mock-entity <paths>` against this
    /// mock (hermetic); panics if it fails.
    pub fn official_sync(&self, paths: &[PathBuf]) {
        let scratch = ScratchDir::new("artmock-sync");
        let mut cmd = Command::new(oracle_wandb());
        crate::hermetic(&mut cmd, scratch.path())
            .env("WANDB_MODE", "online")
            .env("WANDB_API_KEY", MOCK_API_KEY)
            .env("WANDB_BASE_URL", self.url())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .args(["sync", "-e", "mock-entity"])
            .args(paths);
        for v in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env_remove(v);
        }
        let out = cmd.output().expect("run wandb sync");
        assert!(
            out.status.success(),
            "wandb sync failed ({:?}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

impl Drop for ArtifactMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `CreateArtifact` and what followed for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactCall {
    /// Normalised `CreateArtifact` input.
    pub input: Value,
    /// The state the server answered (`PENDING` or `COMMITTED`).
    pub state: String,
    /// The version the answer refers to (`v0`, …).
    pub version: String,
    /// Files PUT for this version: name → b64 MD5 of the bytes.
    pub uploads: BTreeMap<String, String>,
    /// The uploaded manifest (normalised), `Null` if none.
    pub manifest: Value,
    /// Whether `CommitArtifact` was sent for it.
    pub committed: bool,
}

/// Artifact operations by `<type>/<collection>`, in request order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactLog(pub BTreeMap<String, Vec<ArtifactCall>>);

impl ArtifactLog {
    /// Reduces a mock request log.
    pub fn from_requests(requests: &[Value]) -> Self {
        let mut log: BTreeMap<String, Vec<ArtifactCall>> = BTreeMap::new();
        // artifact id -> (collection key, version)
        let mut ids: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut versions: BTreeMap<String, usize> = BTreeMap::new();
        let call_of = |log: &mut BTreeMap<String, Vec<ArtifactCall>>,
                       ids: &BTreeMap<String, (String, String)>,
                       id: &str|
         -> Option<(String, usize)> {
            let (key, version) = ids.get(id)?;
            let calls = log.get(key)?;
            let i = calls.iter().rposition(|c| &c.version == version)?;
            Some((key.clone(), i))
        };
        for r in requests {
            match (r["method"].as_str(), r["op"].as_str()) {
                (Some("POST"), Some("CreateArtifact")) => {
                    let mut input = r["body"]["variables"]["input"].clone();
                    let key = format!(
                        "{}/{}",
                        input["artifactTypeName"].as_str().unwrap_or("?"),
                        input["artifactCollectionName"].as_str().unwrap_or("?")
                    );
                    let art = &r["response"]["data"]["createArtifact"]["artifact"];
                    let id = art["id"].as_str().unwrap_or("").to_string();
                    let state = art["state"].as_str().unwrap_or("").to_string();
                    let version = match ids.get(&id) {
                        Some((_, v)) => v.clone(),
                        None => {
                            let n = versions.entry(key.clone()).or_insert(0);
                            *n += 1;
                            let v = format!("v{}", *n - 1);
                            ids.insert(id.clone(), (key.clone(), v.clone()));
                            v
                        }
                    };
                    if let Some(m) = input.as_object_mut() {
                        m.remove("clientID");
                        m.remove("sequenceClientID");
                        m.retain(|_, v| !v.is_null());
                        if let Some(Value::Array(a)) = m.get_mut("aliases") {
                            a.sort_by_key(|x| x["alias"].as_str().unwrap_or("").to_string());
                        }
                        if let Some(Value::String(md)) = m.get("metadata").cloned() {
                            m.insert(
                                "metadata".into(),
                                serde_json::from_str(&md).unwrap_or(Value::String(md)),
                            );
                        }
                    }
                    log.entry(key).or_default().push(ArtifactCall {
                        input,
                        state,
                        version,
                        ..ArtifactCall::default()
                    });
                }
                (Some("POST"), Some("CommitArtifact")) => {
                    let vars = &r["body"]["variables"];
                    let id = vars["artifactID"]
                        .as_str()
                        .or(vars["input"]["artifactID"].as_str())
                        .unwrap_or("");
                    if let Some((key, i)) = call_of(&mut log, &ids, id) {
                        if let Some(c) = log.get_mut(&key).and_then(|c| c.get_mut(i)) {
                            c.committed = true;
                        }
                    }
                }
                (Some("PUT"), _) => {
                    let up = &r["upload"];
                    let id = up["art"].as_str().unwrap_or("");
                    match up["kind"].as_str() {
                        Some("file") => {
                            if let Some((key, i)) = call_of(&mut log, &ids, id) {
                                if let Some(c) = log.get_mut(&key).and_then(|c| c.get_mut(i)) {
                                    c.uploads.insert(
                                        up["name"].as_str().unwrap_or("").to_string(),
                                        r["md5_b64"].as_str().unwrap_or("").to_string(),
                                    );
                                }
                            }
                        }
                        Some("manifest") => {
                            let mut manifest: Value =
                                serde_json::from_str(r["body"].as_str().unwrap_or(""))
                                    .unwrap_or(Value::Null);
                            normalize_manifest(&mut manifest, &ids);
                            if let Some((key, i)) = call_of(&mut log, &ids, id) {
                                if let Some(c) = log.get_mut(&key).and_then(|c| c.get_mut(i)) {
                                    c.manifest = manifest;
                                }
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        ArtifactLog(log)
    }
}

/// Drops `local_path` and names each `birthArtifactID` by its version.
fn normalize_manifest(manifest: &mut Value, ids: &BTreeMap<String, (String, String)>) {
    if let Some(entries) = manifest["contents"].as_object_mut() {
        for e in entries.values_mut().filter_map(Value::as_object_mut) {
            e.remove("local_path");
            if let Some(Value::String(b)) = e.get_mut("birthArtifactID") {
                if let Some((_, v)) = ids.get(b.as_str()) {
                    *b = v.clone();
                }
            }
        }
    }
}
