//! What the official client (wandb 0.31.0, oracle venv) and wandb-rs send
//! for the same resume modes, both recorded by the loopback reference mock
//! (`tests/fixtures/oracle/mock_wandb_server.py`, extended with
//! `--existing-run`/`--existing-history` so RunResumeStatus can answer
//! "this run exists with N history lines").

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value as J};
use wandb_core::{init, row, Console, Error, InitOptions, Mode, Resume, ResumeConflict};
use wandb_test_support::{fixtures_dir, hermetic, oracle_python, ScratchDir};

const KEY: &str = "mockmockmockmockmockmockmockmockmockmock0123";

/// One reference mock on a free loopback port, killed when dropped.
struct Mock {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Mock {
    fn start(dir: &Path, existing: Option<(&str, u32)>) -> Mock {
        std::fs::create_dir_all(dir).unwrap();
        let ready = dir.join("ready");
        let log = dir.join("requests.jsonl");
        let mut cmd = Command::new(oracle_python());
        cmd.arg(fixtures_dir().join("oracle/mock_wandb_server.py"))
            .args(["--port", "0", "--log"])
            .arg(&log)
            .arg("--storage")
            .arg(dir.join("storage"))
            .arg("--ready-file")
            .arg(&ready)
            .stdout(Stdio::null());
        if let Some((id, n)) = existing {
            cmd.args(["--existing-run", id, "--existing-history", &n.to_string()]);
        }
        let child = cmd.spawn().expect("start the reference mock");
        let t = Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&ready) {
                if !p.trim().is_empty() {
                    break p.trim().to_string();
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "the mock did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Mock {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn requests(&self) -> Vec<J> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SCRIPT: &str = r#"
import sys, wandb
run = wandb.init(project="p", entity="mock-entity", id=sys.argv[1], resume=sys.argv[2],
                 config={"lr": 0.2})
for i in range(2):
    run.log({"x": i})
run.finish()
"#;

/// The official client's run; its exit status.
fn official(mock: &Mock, scratch: &Path, id: &str, mode: &str) -> bool {
    let mut cmd = Command::new(oracle_python());
    hermetic(&mut cmd, scratch)
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", KEY)
        .env("WANDB_BASE_URL", &mock.url)
        .args(["-c", SCRIPT, id, mode]);
    cmd.output().unwrap().status.success()
}

/// The same run with wandb-rs.
fn ours(mock: &Mock, dir: &Path, id: &str, mode: Resume) -> wandb_core::Result<()> {
    let run = init(
        InitOptions::new()
            .dir(dir)
            .mode(Mode::Online)
            .project("p")
            .entity("mock-entity")
            .id(id)
            .resume(mode)
            .config(&json!({"lr": 0.2}))
            .console(Console::Off)
            .system_metrics(false)
            .environment([
                ("HOME", dir.join("home").display().to_string()),
                ("WANDB_API_KEY", KEY.to_string()),
                ("WANDB_BASE_URL", mock.url.clone()),
                // file_stream requests every 0.05 s instead of 15 s
                ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".to_string()),
            ]),
    )?;
    for i in 0..2 {
        run.log(row! {"x" => i})?;
    }
    run.finish()
}

fn ops(reqs: &[J]) -> Vec<String> {
    reqs.iter()
        .filter_map(|r| r["op"].as_str().map(str::to_string))
        .collect()
}

fn op_vars<'a>(reqs: &'a [J], op: &str) -> Vec<&'a J> {
    reqs.iter()
        .filter(|r| r["op"] == op)
        .map(|r| &r["body"]["variables"])
        .collect()
}

/// `(offset, lines)` of every file_stream chunk of `file`.
fn chunks(reqs: &[J], file: &str) -> Vec<(u64, Vec<J>)> {
    reqs.iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/file_stream"))
        })
        .filter_map(|r| r["body"]["files"].get(file))
        .map(|c| {
            let lines = c["content"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| serde_json::from_str(l.as_str().unwrap()).unwrap())
                .collect();
            (c["offset"].as_u64().unwrap(), lines)
        })
        .collect()
}

fn plain_config(vars: &J) -> J {
    let mut c: J = serde_json::from_str(vars["config"].as_str().unwrap()).unwrap();
    c.as_object_mut().unwrap().remove("_wandb");
    c
}

/// What one client sent when continuing `resA` (3 stored rows).
fn continued(reqs: &[J]) -> J {
    let names = ops(reqs);
    let rs = names.iter().position(|o| o == "RunResumeStatus").unwrap();
    let up = names.iter().position(|o| o == "UpsertBucket").unwrap();
    assert!(rs < up, "RunResumeStatus must come first: {names:?}");
    let query = reqs
        .iter()
        .find(|r| r["op"] == "RunResumeStatus")
        .and_then(|r| r["body"]["query"].as_str())
        .unwrap()
        .to_string();
    let upsert = op_vars(reqs, "UpsertBucket")[0].clone();
    let history = chunks(reqs, "wandb-history.jsonl");
    let rows: Vec<&J> = history.iter().flat_map(|(_, l)| l).collect();
    let summaries = chunks(reqs, "wandb-summary.json");
    let last_summary = &summaries.last().unwrap().1[0];
    json!({
        "resume_vars": op_vars(reqs, "RunResumeStatus"),
        "query_has_notes_and_t": query.contains("notes") && query.contains("wandbConfig(keys: [\"t\"])"),
        "upsert": {"id": upsert["id"], "name": upsert["name"], "project": upsert["project"],
                   "entity": upsert["entity"], "config": plain_config(&upsert)},
        "first_history_offset": history[0].0,
        "steps": rows.iter().map(|r| r["_step"].clone()).collect::<Vec<_>>(),
        "runtime_continues": rows.iter().all(|r| r["_runtime"].as_f64().unwrap() >= 5.0),
        "summary_best": last_summary["best"],
    })
}

#[test]
fn allow_sends_what_the_official_client_sends() {
    let scratch = ScratchDir::new("resume-official-allow");
    let mock_py = Mock::start(&scratch.path().join("mock-py"), Some(("resA", 3)));
    assert!(official(&mock_py, scratch.path(), "resA", "allow"));
    let mock_rs = Mock::start(&scratch.path().join("mock-rs"), Some(("resA", 3)));
    ours(&mock_rs, &scratch.path().join("rs"), "resA", Resume::Allow).unwrap();
    let py = continued(&mock_py.requests());
    let rs = continued(&mock_rs.requests());
    assert_eq!(
        py["resume_vars"],
        json!([{"project": "p", "entity": "mock-entity", "name": "resA"}])
    );
    assert_eq!(py["upsert"]["id"], json!("UnVuOm1vY2s="));
    assert_eq!(
        py["upsert"]["config"],
        json!({"lr": {"value": 0.2}, "bs": {"value": 32}})
    );
    assert_eq!(py["first_history_offset"], json!(3));
    assert_eq!(py["steps"], json!([3, 4]));
    assert_eq!(py["summary_best"], json!(7));
    assert_eq!(py["runtime_continues"], json!(true));
    assert_eq!(py["query_has_notes_and_t"], json!(true));
    assert_eq!(rs, py);
}

/// RunResumeStatus and nothing that creates or writes the run.
fn refused(reqs: &[J]) {
    let names = ops(reqs);
    assert!(names.contains(&"RunResumeStatus".to_string()), "{names:?}");
    assert!(!names.contains(&"UpsertBucket".to_string()), "{names:?}");
    assert!(
        !reqs.iter().any(|r| r["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("/file_stream"))),
        "{names:?}"
    );
}

fn no_run_dir(dir: &Path) {
    let found = std::fs::read_dir(dir.join("wandb"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(found, 0, "a refused run must write nothing");
}

#[test]
fn must_and_never_are_refused_like_the_official_client() {
    let scratch = ScratchDir::new("resume-official-refuse");
    for (mode, theirs, existing, expected) in [
        ("must", Resume::Must, None, ResumeConflict::MustButMissing),
        (
            "never",
            Resume::Never,
            Some(("resA", 3)),
            ResumeConflict::NeverButExists,
        ),
    ] {
        let base = scratch.path().join(mode);
        let mock_py = Mock::start(&base.join("mock-py"), existing);
        assert!(!official(&mock_py, &base, "resA", mode), "{mode} must fail");
        refused(&mock_py.requests());
        let mock_rs = Mock::start(&base.join("mock-rs"), existing);
        let err = ours(&mock_rs, &base.join("rs"), "resA", theirs).unwrap_err();
        match err {
            Error::Resume { conflict, .. } => assert_eq!(conflict, expected),
            other => panic!("{mode}: {other}"),
        }
        refused(&mock_rs.requests());
        no_run_dir(&base.join("rs"));
        let rs_vars = op_vars(&mock_rs.requests(), "RunResumeStatus")[0].clone();
        let py_vars = op_vars(&mock_py.requests(), "RunResumeStatus")[0].clone();
        assert_eq!(rs_vars, py_vars, "{mode}");
    }
}
