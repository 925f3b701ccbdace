//! The rest of the CLI: `sync --sync-all / --include-online / --clean`,
//! `login --verify`, `logout`, `status`, `tensorboard`, `completion`,
//! `--help` examples, exit codes, no progress bars without a terminal.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use wandb_fake_server::FakeServer;

/// A command with HOME, NETRC and the W&B variables pointed into `home`.
fn hermetic(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wandb-rs"));
    wandb_test_support::clear_wandb_env(&mut c)
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("NETRC", home.join(".netrc"))
        .env("WANDB_CONFIG_DIR", home.join(".config/wandb"))
        .current_dir(home)
        .stdin(Stdio::null());
    c
}

fn online(home: &Path, server: &FakeServer) -> Command {
    let mut c = hermetic(home);
    c.env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    // no progress bar or spinner without a terminal
    assert!(!text(&out.stderr).contains('\r'), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// Runs `cmd` with `input` on standard input.
fn with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
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

/// The minimal fixture run copied to `wandb/<name>`.
fn fixture_run(home: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/online/minimal_run/offline-run-20261121_235005-minrun01");
    let dest = home.join("wandb").join(name);
    copy_dir(&src, &dest);
    dest
}

#[test]
fn sync_all_include_online_and_clean() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let offline = fixture_run(home, "offline-run-20261121_235005-minrun01");
    let onl = fixture_run(home, "run-20261121_235006-minrun01");
    let marker = |d: &Path| d.join("run-minrun01.wandb.synced");

    let out = ok(online(home, &server)
        .args(["sync", "--sync-all", "-p", "all"])
        .output()
        .unwrap());
    assert!(
        out.contains("-> fmt-test/all/minrun01") || out.contains("/all/minrun01"),
        "{out}"
    );
    assert!(marker(&offline).exists());
    assert!(
        !marker(&onl).exists(),
        "online runs only with --include-online"
    );
    assert_eq!(server.run_count_in("all"), 1);
    assert_eq!(
        server
            .runs()
            .iter()
            .find(|r| r.project == "all")
            .unwrap()
            .history()
            .len(),
        4
    );

    let out = ok(online(home, &server)
        .args(["sync", "--sync-all", "-p", "all"])
        .output()
        .unwrap());
    assert!(out.contains("Skipping 1 run(s) already synced"), "{out}");
    assert!(out.contains("No runs to sync"), "{out}");

    let out = ok(online(home, &server)
        .args([
            "sync",
            "--sync-all",
            "--include-online",
            "--no-include-offline",
        ])
        .args(["-p", "onl"])
        .output()
        .unwrap());
    assert!(out.contains("/onl/minrun01"), "{out}");
    assert!(marker(&onl).exists());

    // --clean: too recent for 1 h; declined; then confirmed
    let out = ok(hermetic(home)
        .args(["sync", "--clean", "--clean-force", "--clean-old-hours", "1"])
        .output()
        .unwrap());
    assert!(out.contains("No synced runs older than 1 h"), "{out}");
    let out = with_stdin(
        {
            let mut c = hermetic(home);
            c.args(["sync", "--clean", "--clean-old-hours", "0"]);
            c
        },
        "n\n",
    );
    assert!(ok(out).contains("Nothing deleted"));
    assert!(offline.exists() && onl.exists());
    let unsynced = fixture_run(home, "offline-run-20261121_235007-minrun01");
    let out = with_stdin(
        {
            let mut c = hermetic(home);
            c.args(["sync", "--clean", "--clean-old-hours", "0"]);
            c
        },
        "y\n",
    );
    assert!(ok(out).contains("Deleted 2 synced run(s)"));
    assert!(!offline.exists() && !onl.exists());
    assert!(unsynced.exists(), "an unsynced run is never cleaned");
}

trait Count {
    fn run_count_in(&self, project: &str) -> usize;
}
impl Count for FakeServer {
    fn run_count_in(&self, project: &str) -> usize {
        self.runs().iter().filter(|r| r.project == project).count()
    }
}

#[test]
fn login_verify_logout_and_status() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let netrc = home.join(".netrc");

    // a key the server rejects: exit 1, nothing stored
    let bad = "x".repeat(40);
    let out = hermetic(home)
        .args(["login", "--verify", "--host", server.url(), &bad])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("rejected the API key") && err.contains("nothing was stored"),
        "{err}"
    );
    assert!(!netrc.exists());

    let out = ok(hermetic(home)
        .args([
            "login",
            "--verify",
            "--host",
            server.url(),
            server.api_key(),
        ])
        .output()
        .unwrap());
    assert!(
        out.contains("accepted the key (entity mock-entity)"),
        "{out}"
    );
    assert!(std::fs::read_to_string(&netrc)
        .unwrap()
        .contains(server.api_key()));
    assert!(server.ops().iter().any(|o| o == "GetDefaultEntity"));

    // status: values and sources, never the key
    std::fs::create_dir_all(home.join("wandb")).unwrap();
    std::fs::write(home.join("wandb/settings"), "[default]\nentity = team\n").unwrap();
    std::fs::create_dir_all(home.join(".config/wandb")).unwrap();
    std::fs::write(
        home.join(".config/wandb/settings"),
        "[default]\nproject = global-proj\nentity = ignored\n",
    )
    .unwrap();
    let out = ok(hermetic(home)
        .env("WANDB_BASE_URL", server.url())
        .arg("status")
        .output()
        .unwrap());
    assert!(
        out.contains(&format!(
            "base_url = {} (environment WANDB_BASE_URL)",
            server.url()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("api_key = set (netrc {})", netrc.display())),
        "{out}"
    );
    assert!(
        out.contains("entity = team (settings file ./wandb/settings)"),
        "{out}"
    );
    assert!(
        out.contains("project = global-proj (settings file "),
        "{out}"
    );
    assert!(
        out.contains("mode = online (default: an API key is set)"),
        "{out}"
    );
    assert!(!out.contains(server.api_key()));
    let out = ok(hermetic(home)
        .env("WANDB_MODE", "offline")
        .arg("status")
        .output()
        .unwrap());
    assert!(
        out.contains("mode = offline (environment WANDB_MODE)"),
        "{out}"
    );

    // logout removes the entry; a second logout finds none
    let out = ok(hermetic(home)
        .args(["logout", "--host", server.url()])
        .output()
        .unwrap());
    assert!(out.contains("Removed the API key"), "{out}");
    assert!(!std::fs::read_to_string(&netrc)
        .unwrap()
        .contains(server.api_key()));
    let out = ok(hermetic(home)
        .args(["logout", "--host", server.url()])
        .output()
        .unwrap());
    assert!(out.contains("No stored API key"), "{out}");
    let out = ok(hermetic(home)
        .env("WANDB_BASE_URL", server.url())
        .arg("status")
        .output()
        .unwrap());
    assert!(out.contains("api_key = not set"), "{out}");
    assert!(
        out.contains("mode = offline (default: no API key)"),
        "{out}"
    );
}

#[test]
fn tensorboard_mirrors_an_event_directory_into_a_new_run() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let logdir = home.join("tb");
    let writer = wandb_tensorboard::SummaryWriter::new(&logdir).unwrap();
    for step in 0..5 {
        writer
            .add_scalar("loss", 1.0 / (step as f32 + 1.0), step)
            .unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let out = ok(hermetic(home)
        .args(["tensorboard", "tb", "--mode", "offline", "--project", "tbp"])
        .output()
        .unwrap());
    assert!(out.contains("Mirrored 1 event file(s)"), "{out}");
    let run_dir = std::fs::read_dir(home.join("wandb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("offline-run-")
        })
        .expect("an offline run directory");
    let jsonl = home.join("h.jsonl");
    ok(hermetic(home)
        .arg("export")
        .arg(&run_dir)
        .args(["--format", "jsonl", "-o"])
        .arg(&jsonl)
        .output()
        .unwrap());
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // TensorBoard scalars are f32, written with f32 shortest formatting
    let losses: Vec<f32> = rows
        .iter()
        .filter_map(|r| r["loss"].as_f64().map(|x| x as f32))
        .collect();
    let want: Vec<f32> = (0..5).map(|s| 1.0 / (s as f32 + 1.0)).collect();
    assert_eq!(losses, want, "{rows:?}");
    let steps: Vec<i64> = rows
        .iter()
        .filter_map(|r| r["global_step"].as_i64())
        .collect();
    assert_eq!(steps, vec![0, 1, 2, 3, 4]);

    // a missing directory is an error (exit 1), not a new empty run
    let out = hermetic(home)
        .args(["tensorboard", "nope", "--mode", "offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a directory"));
}

#[test]
fn completion_help_examples_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = ok(hermetic(tmp.path())
            .args(["completion", shell])
            .output()
            .unwrap());
        for word in ["wandb-rs", "tensorboard", "sync-all", "logout"] {
            assert!(out.contains(word), "{shell}: {word}");
        }
    }
    for cmd in [
        "sync",
        "inspect",
        "export",
        "login",
        "logout",
        "status",
        "tensorboard",
        "completion",
    ] {
        let out = ok(hermetic(tmp.path()).args([cmd, "--help"]).output().unwrap());
        assert!(
            out.contains("Example"),
            "{cmd} --help has an example:\n{out}"
        );
        assert!(out.contains("wandb-rs "), "{cmd}");
    }
    let top = ok(hermetic(tmp.path()).arg("--help").output().unwrap());
    assert!(top.contains("Exit codes: 0 success, 1 the operation failed, 2 usage error"));
    // usage errors exit 2
    for args in [
        &["sync"][..],
        &["completion", "nosuchshell"],
        &["nosuchcommand"],
    ] {
        let out = hermetic(tmp.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
