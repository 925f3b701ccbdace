//! The `wandb-rs` binary: `sync` against the fake server, `login` into netrc.

use std::path::{Path, PathBuf};
use std::process::Command;

use wandb_fake_server::FakeServer;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wandb-rs"))
}

/// A command with HOME, NETRC and the W&B variables pointed into `home`.
fn hermetic(home: &Path) -> Command {
    let mut c = bin();
    wandb_test_support::clear_wandb_env(&mut c)
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("NETRC", home.join(".netrc"))
        .env("WANDB_CONFIG_DIR", home.join(".config/wandb"))
        .current_dir(home);
    c
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn minimal_run(tmp: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/online/minimal_run/offline-run-20261121_235005-minrun01");
    let dest = tmp.join("offline-run-20261121_235005-minrun01");
    copy_dir(&src, &dest);
    dest
}

#[test]
fn sync_uploads_a_run_and_marks_it() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = minimal_run(tmp.path());
    let out = hermetic(tmp.path())
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .args(["sync", "-e", "team", "-p", "cli-proj"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("team/cli-proj/minrun01"), "{stdout}");
    let run = server.run("team", "cli-proj", "minrun01").unwrap();
    assert_eq!(run.state(), "finished");
    assert_eq!(run.history().len(), 4);
    assert!(dir.join("run-minrun01.wandb.synced").exists());

    // again: skipped; with --include-synced and --id: a new run
    let out = hermetic(tmp.path())
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .args(["sync"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("already synced"));
    let out = hermetic(tmp.path())
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .args(["sync", "--include-synced", "-e", "team", "--id", "copy1"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server
            .run("team", "fmt-test", "copy1")
            .unwrap()
            .history()
            .len(),
        4
    );
}

#[test]
fn login_then_sync_uses_the_netrc_key() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = hermetic(tmp.path())
        .args(["login", "--host", server.url(), server.api_key()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let netrc = tmp.path().join(".netrc");
    let text = std::fs::read_to_string(&netrc).unwrap();
    let host = server.url().trim_start_matches("http://");
    assert!(text.contains(&format!("machine {host}")), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&netrc).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(!String::from_utf8_lossy(&out.stdout).contains(server.api_key()));
    // a second login for the same host replaces the entry
    let other = "z".repeat(40);
    hermetic(tmp.path())
        .args(["login", "--host", server.url(), &other])
        .output()
        .unwrap();
    hermetic(tmp.path())
        .args(["login", "--host", server.url(), server.api_key()])
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&netrc).unwrap();
    assert_eq!(text.matches("machine").count(), 1, "{text}");

    let dir = minimal_run(tmp.path());
    let out = hermetic(tmp.path())
        .env("WANDB_BASE_URL", server.url())
        .args(["sync", "-e", "me"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.run("me", "fmt-test", "minrun01").unwrap().state(),
        "finished"
    );
}

#[test]
fn errors_are_clear() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = minimal_run(tmp.path());
    // no key anywhere
    let out = hermetic(tmp.path())
        .env("WANDB_BASE_URL", server.url())
        .args(["sync"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no W&B API key"), "{err}");
    // a bad key format at login
    let out = hermetic(tmp.path())
        .args(["login", "short"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid W&B API key"));
    // not a run directory
    let out = hermetic(tmp.path())
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .args(["sync"])
        .arg(tmp.path().join("nothing"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn sync_uploads_the_parts_of_a_resumed_run_in_start_order() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let part = |n: i64| {
        let opts = wandb_core::InitOptions::new()
            .dir(tmp.path())
            .mode(wandb_core::Mode::Offline)
            .project("p")
            .entity("e")
            .id("parts1")
            .resume(wandb_core::Resume::Allow)
            .console(wandb_core::Console::Off)
            .system_metrics(false)
            .environment([("HOME", tmp.path().join("home").display().to_string())]);
        let run = wandb_core::init(opts).unwrap();
        for _ in 0..n {
            run.log(serde_json::json!({"x": 1})).unwrap();
        }
        run.finish().unwrap();
        run.dir().to_path_buf()
    };
    let (first, second) = (part(3), part(2));
    // given in reverse order: sync sorts them by start time
    let out = hermetic(tmp.path())
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .arg("sync")
        .arg(&second)
        .arg(&first)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = server.run("e", "p", "parts1").unwrap();
    let steps: Vec<i64> = run
        .history()
        .iter()
        .map(|r| r["_step"].as_i64().unwrap())
        .collect();
    assert_eq!(steps, vec![0, 1, 2, 3, 4]);
    assert_eq!(run.state(), "finished");
}

#[test]
fn sync_timeout_values_never_panic() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = minimal_run(tmp.path());
    let sync = |timeout: &str| {
        hermetic(tmp.path())
            .env("WANDB_API_KEY", server.api_key())
            .env("WANDB_BASE_URL", server.url())
            .args(["sync", "--include-synced", "-e", "team", "-p", "t"])
            .arg(format!("--timeout={timeout}"))
            .arg(&dir)
            .output()
            .unwrap()
    };
    // huge and infinite: no limit
    for t in ["1e20", "inf", "1e400", "18446744073709551615", "30"] {
        let out = sync(t);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "--timeout={t}: {err}");
        assert!(!err.contains("panicked"), "--timeout={t}: {err}");
    }
    assert_eq!(
        server.run("team", "t", "minrun01").unwrap().state(),
        "finished"
    );
    // negative, NaN, zero, not a number: a clear usage error (exit code 2)
    for t in ["-1", "NaN", "-inf", "0", "abc", ""] {
        let out = sync(t);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--timeout={t}: {err}");
        assert!(err.contains("--timeout"), "--timeout={t}: {err}");
        assert!(!err.contains("panicked"), "--timeout={t}: {err}");
    }
}
