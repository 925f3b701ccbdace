//! Helpers shared by wandb-rs tests: the official W&B tools installed by
//! `scripts/oracle-venv.sh`, hermetic environments for them, and fixtures.
//!
//! These are test helpers: they panic with a clear message when the oracle
//! venv is missing instead of skipping, so an interop test can never pass
//! without having run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod artifact_mock;
pub mod mock_server;
pub mod paired;
pub mod sync_capture;
pub mod workflow;

pub use artifact_mock::{ArtifactCall, ArtifactLog, ArtifactMock};
pub use mock_server::{
    official_and_our_sync, official_sync, official_sync_output, MockServer, MOCK_API_KEY,
};
pub use sync_capture::{assert_same_sync, parse_wandb_json, ArtifactCapture, SyncCapture};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// `tests/fixtures` at the repository root.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures")
}

/// The venv with `wandb==0.31.0`, `tensorboard` and `tbparse`
/// (`$WANDB_RS_ORACLE_VENV`, default `~/.cache/wandb-rs/oracle-venv`).
///
/// # Panics
/// When `WANDB_RS_NO_ORACLE` is set (the fast tier of docs/testing.md,
/// which runs without Python): a test that needs the official tools must
/// live in a test binary of the interop tier.
pub fn oracle_venv() -> PathBuf {
    assert!(
        std::env::var_os("WANDB_RS_NO_ORACLE").is_none(),
        "this test uses the official tools (the oracle venv) but runs in the fast tier \
         (WANDB_RS_NO_ORACLE is set): move it to a test binary of the interop tier \
         (.config/nextest.toml, docs/testing.md)"
    );
    let venv = std::env::var_os("WANDB_RS_ORACLE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME is set");
            PathBuf::from(home).join(".cache/wandb-rs/oracle-venv")
        });
    assert!(
        venv.join("bin/wandb").exists(),
        "the oracle venv is missing at {}: run scripts/oracle-venv.sh first",
        venv.display()
    );
    venv
}

/// The oracle venv's Python interpreter.
pub fn oracle_python() -> PathBuf {
    oracle_venv().join("bin/python")
}

/// The official `wandb` CLI of the oracle venv.
pub fn oracle_wandb() -> PathBuf {
    oracle_venv().join("bin/wandb")
}

/// Points every W&B, home and temp directory of `cmd` into `scratch`,
/// removes every `WANDB_*` variable of this process (but `WANDB_RS_*`, the
/// suite's own), forces offline mode and removes credentials, so the
/// official tools read nothing of the developer's and write nothing
/// outside the test's temp dir.
pub fn hermetic<'a>(cmd: &'a mut Command, scratch: &Path) -> &'a mut Command {
    let home = scratch.join("home");
    let tmp = scratch.join("tmp");
    std::fs::create_dir_all(&home).expect("create scratch home");
    std::fs::create_dir_all(&tmp).expect("create scratch tmp");
    clear_wandb_env(cmd)
        .env("HOME", &home)
        .env("TMPDIR", &tmp)
        .env("WANDB_DIR", scratch)
        .env("WANDB_CONFIG_DIR", home.join(".config/wandb"))
        .env("WANDB_CACHE_DIR", home.join(".cache/wandb"))
        .env("WANDB_DATA_DIR", home.join(".local/share/wandb"))
        .env("WANDB_ARTIFACT_DIR", home.join("artifacts"))
        .env("WANDB_MODE", "offline")
        .env("WANDB_SILENT", "true")
        .env("WANDB_ERROR_REPORTING", "false")
        .env("NETRC", home.join(".netrc"))
        .current_dir(scratch)
}

/// Removes from `cmd`'s environment every `WANDB_*` variable this process
/// has (but `WANDB_RS_*`, the suite's own settings) and `NETRC`.
pub fn clear_wandb_env(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if (k.starts_with("WANDB_") && !k.starts_with("WANDB_RS_")) || k == "NETRC" {
            cmd.env_remove(&*k);
        }
    }
    cmd
}

fn run_checked(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{what} failed (status {:?}); stderr:\n{stderr}\nstdout:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// `wandb leet inspect --json <path>`: one JSON object per record. Panics if
/// the reader fails or writes anything to stderr (a corrupt chunk, an
/// incomplete file, ...).
pub fn leet_inspect(path: &Path) -> Vec<serde_json::Value> {
    let scratch = ScratchDir::new("leet");
    let mut cmd = Command::new(oracle_wandb());
    hermetic(&mut cmd, scratch.path())
        .args(["leet", "inspect", "--json"])
        .arg(path);
    let out = run_checked(&mut cmd, "wandb leet inspect");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// `wandb leet inspect --json <path>` without the strict check: the records
/// it printed and its stderr (panics only if it cannot run or exits non-zero).
pub fn leet_inspect_lenient(path: &Path) -> (Vec<serde_json::Value>, String) {
    let scratch = ScratchDir::new("leet");
    let mut cmd = Command::new(oracle_wandb());
    hermetic(&mut cmd, scratch.path())
        .args(["leet", "inspect", "--json"])
        .arg(path);
    let out = cmd.output().expect("run wandb leet inspect");
    assert!(out.status.success(), "wandb leet inspect failed: {out:?}");
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    (records, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `wandb leet inspect --summary --json <path>` (after the strict record
/// mode check): run id, state, exit code, summary, config, console...
pub fn leet_summary(path: &Path) -> serde_json::Value {
    leet_inspect(path);
    let scratch = ScratchDir::new("leet");
    let mut cmd = Command::new(oracle_wandb());
    hermetic(&mut cmd, scratch.path())
        .args(["leet", "inspect", "--summary", "--json"])
        .arg(path);
    let out = run_checked(&mut cmd, "wandb leet inspect --summary");
    serde_json::from_slice(&out.stdout).expect("summary JSON")
}

/// Runs a Python snippet with the oracle interpreter (hermetic), returning stdout.
pub fn oracle_python_run(code: &str, args: &[&str], scratch: &Path) -> String {
    let mut cmd = Command::new(oracle_python());
    hermetic(&mut cmd, scratch).arg("-c").arg(code).args(args);
    let out = cmd.output().expect("run oracle python");
    assert!(
        out.status.success(),
        "oracle python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A temporary directory removed on drop (under the system temp dir).
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates a fresh directory named after `prefix`.
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "wandb-rs-{prefix}-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        ScratchDir(dir)
    }
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (N.fetch_add(1, Ordering::Relaxed) << 48)
}
