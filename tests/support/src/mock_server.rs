//! The loopback reference mock of the W&B backend
//! (`tests/fixtures/oracle/mock_wandb_server.py`, a copy of the oracle's with wandb-rs additions for resume)
//! started on a free 127.0.0.1 port, and what clients sent to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{fixtures_dir, oracle_python, oracle_wandb, ScratchDir};

/// A dummy API key the mock accepts (any 40+ characters).
pub const MOCK_API_KEY: &str = "mockmockmockmockmockmockmockmockmockmock0123";

/// A running mock server; stopped (killed) on drop.
pub struct MockServer {
    child: Child,
    port: u16,
    dir: ScratchDir,
}

impl MockServer {
    /// Starts the mock on a free port and waits until it listens.
    pub fn start() -> Self {
        let dir = ScratchDir::new("mock");
        let ready = dir.path().join("ready");
        let script = fixtures_dir().join("oracle/mock_wandb_server.py");
        let child = Command::new(oracle_python())
            .arg(&script)
            .args(["--port", "0", "--log"])
            .arg(dir.path().join("requests.jsonl"))
            .arg("--storage")
            .arg(dir.path().join("uploads"))
            .arg("--ready-file")
            .arg(&ready)
            .env_remove("MOCK_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the mock server");
        let mut server = MockServer {
            child,
            port: 0,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(port) = std::fs::read_to_string(&ready)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                server.port = port;
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the mock server exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "the mock server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request logged so far (one JSON object each, see the mock's doc).
    pub fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("mock log line"))
            .collect()
    }

    /// Every uploaded file, by upload path (after `/storage/`).
    pub fn uploads(&self) -> BTreeMap<String, Vec<u8>> {
        let root = self.dir.path().join("uploads");
        let mut out = BTreeMap::new();
        collect_files(&root, &root, &mut out);
        out
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(root, &p, out);
        } else {
            let name = p
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            out.insert(name, std::fs::read(&p).expect("read upload"));
        }
    }
}

/// Runs the official `wandb sync -e mock-entity <paths>` (oracle venv,
/// hermetic, online against `server`); panics if it fails. Returns its stdout.
pub fn official_sync(server: &MockServer, paths: &[PathBuf], scratch: &Path) -> String {
    let out = official_sync_output(server, paths, scratch);
    assert!(
        out.status.success(),
        "wandb sync failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`official_sync`] without the success check.
pub fn official_sync_output(
    server: &MockServer,
    paths: &[PathBuf],
    scratch: &Path,
) -> std::process::Output {
    let mut cmd = Command::new(oracle_wandb());
    crate::hermetic(&mut cmd, scratch)
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", MOCK_API_KEY)
        .env("WANDB_BASE_URL", server.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .args(["sync", "-e", "mock-entity"])
        .args(paths);
    cmd.output().expect("run wandb sync")
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("dir entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy file");
        }
    }
}

/// Syncs two copies of `run_dir`, each to a fresh mock: one with the official
/// `wandb sync`, one with `our_sync(copy, base_url, api_key)` (wandb-rs's
/// sync), and returns `(official, ours)` captures.
pub fn official_and_our_sync(
    run_dir: &Path,
    our_sync: impl FnOnce(&Path, &str, &str),
) -> (crate::SyncCapture, crate::SyncCapture) {
    let scratch = ScratchDir::new("sync-both");
    let name = run_dir.file_name().expect("run dir name");
    let theirs_dir = scratch.path().join("official").join(name);
    let ours_dir = scratch.path().join("ours").join(name);
    copy_tree(run_dir, &theirs_dir);
    copy_tree(run_dir, &ours_dir);
    let capture = |server: &MockServer| {
        crate::SyncCapture::from_requests(&server.requests(), &server.uploads())
    };
    let official = {
        let server = MockServer::start();
        official_sync(&server, &[theirs_dir], scratch.path());
        capture(&server)
    };
    let ours = {
        let server = MockServer::start();
        our_sync(&ours_dir, &server.url(), MOCK_API_KEY);
        capture(&server)
    };
    (official, ours)
}
