//! The read API (`wandb_core::online::Api`) against the fake server, proven
//! against the official `wandb.Api` (wandb 0.31.0 from the oracle venv)
//! pointed at the same server: the same config, raw config, summary,
//! sampled history, scanned history, files (names, sizes, MD5s, downloaded
//! bytes) and filtered run lists. Then the typed errors.

use std::path::Path;
use std::process::Command;

use wandb_core::online::{Api, OnlineError};
use wandb_core::{init, row, Console, InitOptions, Map, Mode, Value};
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, oracle_python, ScratchDir};

fn env(server: &FakeServer, home: &Path) -> Vec<(String, String)> {
    vec![
        ("HOME".into(), home.display().to_string()),
        ("WANDB_API_KEY".into(), server.api_key().to_string()),
        ("WANDB_BASE_URL".into(), server.url().to_string()),
    ]
}

/// A finished run `id` with `lr`, 40 rows (`acc` on even steps only, a NaN
/// loss at step 5), a summary value and two saved files.
fn make_run(server: &FakeServer, dir: &Path, id: &str, lr: f64) {
    let cfg = serde_json::json!({"lr": lr, "layers": [8, 4], "opt": {"name": "adam", "beta": 0.9}});
    let run = init(
        InitOptions::new()
            .dir(dir)
            .mode(Mode::Online)
            .project("proj")
            .entity("me")
            .id(id)
            .tags(["t1"])
            .console(Console::Off)
            .system_metrics(false)
            .quiet(true)
            .config(&cfg)
            .environment(env(server, &dir.join("home"))),
    )
    .unwrap();
    for i in 0..40i64 {
        let loss = if i == 5 {
            f64::NAN
        } else {
            1.0 / (i as f64 + 1.0)
        };
        if i % 2 == 0 {
            run.log(row! {"loss" => loss, "acc" => i, "nested" => std::collections::BTreeMap::from([("a", i * 3)])})
                .unwrap();
        } else {
            run.log(row! {"loss" => loss}).unwrap();
        }
    }
    run.summary().set("best", 0.5).unwrap();
    std::fs::create_dir_all(dir.join("ckpt")).unwrap();
    std::fs::write(dir.join("ckpt/model.bin"), format!("weights of {id}")).unwrap();
    run.save("ckpt/model.bin", Some(dir), wandb_core::SavePolicy::End)
        .unwrap();
    run.finish().unwrap();
}

const SCRIPT: &str = r#"
import json, os, sys
import wandb
url, key, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
api = wandb.Api(overrides={"base_url": url}, api_key=key)
run = api.run("me/proj/r1")
files = []
for f in run.files():
    f.download(root=os.path.join(out_dir, "dl"), replace=True)
    with open(os.path.join(out_dir, "dl", f.name), "rb") as fh:
        files.append({"name": f.name, "size": f.size, "md5": f.md5, "content": fh.read().decode()})
out = {
    "state": run.state, "tags": run.tags, "name": run.name,
    "config": run.config, "rawconfig": run.rawconfig, "summary": run.summary_metrics,
    "history": run.history(samples=10, pandas=False),
    "history_all": run.history(samples=1000, pandas=False),
    "history_keys": run.history(keys=["acc", "nested"], samples=7, pandas=False),
    "scan": list(run.scan_history(page_size=7)),
    "scan_keys": list(run.scan_history(keys=["acc"], page_size=6)),
    "files": files,
    "runs": [r.id for r in api.runs("me/proj")],
    "runs_lr": [r.id for r in api.runs("me/proj", filters={"config.lr": {"$lt": 0.05}})],
    "runs_state": [r.id for r in api.runs("me/proj", filters={"$and": [{"state": "finished"}, {"tags": "t1"}]})],
    "runs_summary": [r.summary_metrics.get("best") for r in api.runs("me/proj")],
}
print(json.dumps(out))
"#;

fn py_value(v: &Value, key: &str) -> Value {
    v.as_map()
        .and_then(|m| m.get(key))
        .cloned()
        .unwrap_or_else(|| panic!("python output has no {key}"))
}

fn rows(v: Value) -> Vec<Value> {
    v.as_list().expect("a list of rows").to_vec()
}

fn row_of(items: &[(&str, i64)]) -> Value {
    Value::Map(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), Value::Int(*v)))
            .collect(),
    )
}

fn ours(rows: Vec<Map>) -> Vec<Value> {
    rows.into_iter().map(Value::Map).collect()
}

#[test]
fn the_read_api_gives_what_the_official_api_gives() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    make_run(&server, &tmp.path().join("a"), "r1", 0.1);
    make_run(&server, &tmp.path().join("b"), "r2", 0.01);

    let scratch = ScratchDir::new("public-api");
    let mut cmd = Command::new(oracle_python());
    hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .arg("-c")
        .arg(SCRIPT)
        .arg(server.url())
        .arg(server.api_key())
        .arg(scratch.path());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "official wandb.Api failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py = wandb_core::json::parse(String::from_utf8_lossy(&out.stdout).trim()).unwrap();

    let api = Api::from_environment(env(&server, &tmp.path().join("home"))).unwrap();
    let run = api.run("me/proj/r1").unwrap();
    assert_eq!(Value::Str(run.state.clone()), py_value(&py, "state"));
    assert_eq!(run.state, "finished");
    assert_eq!(Value::from(run.tags.clone()), py_value(&py, "tags"));
    assert_eq!(Value::Map(run.config().clone()), py_value(&py, "config"));
    assert_eq!(run.config()["lr"], Value::Float(0.1));
    assert_eq!(run.config()["opt"]["name"], Value::from("adam"));
    assert_eq!(
        Value::Map(run.raw_config().clone()),
        py_value(&py, "rawconfig")
    );
    assert!(run.raw_config().contains_key("_wandb"));
    assert_eq!(Value::Map(run.summary().clone()), py_value(&py, "summary"));
    assert_eq!(run.summary()["best"], Value::Float(0.5));

    // sampled history: 10 of 40 rows, the same rows as the official client
    let sampled = ours(run.history(&[], 10).unwrap());
    assert_eq!(sampled.len(), 10);
    assert_eq!(sampled, rows(py_value(&py, "history")));
    let all = ours(run.history(&[], 1000).unwrap());
    assert_eq!(all.len(), 40);
    assert_eq!(all, rows(py_value(&py, "history_all")));
    assert!(all[5]["loss"].as_f64().unwrap().is_nan(), "NaN survives");
    let by_keys = ours(run.history(&["acc", "nested"], 7).unwrap());
    assert_eq!(by_keys.len(), 7);
    assert_eq!(by_keys, rows(py_value(&py, "history_keys")));

    // the streaming scan: every row, in step order, a page of 7 steps at a time
    let before = server.ops().iter().filter(|o| *o == "HistoryPage").count();
    let scan = run.scan_history(&[], 7).unwrap();
    assert_eq!(scan.max_step(), 39);
    let scanned: Vec<Value> = scan.map(|r| Value::Map(r.unwrap())).collect();
    assert_eq!(scanned.len(), 40);
    for (i, r) in scanned.iter().enumerate() {
        assert_eq!(r["_step"], Value::Int(i as i64));
    }
    assert_eq!(scanned, rows(py_value(&py, "scan")));
    let pages = server.ops().iter().filter(|o| *o == "HistoryPage").count() - before;
    assert_eq!(pages, 6, "40 steps in pages of 7");
    let scan_keys: Vec<Value> = run
        .scan_history(&["acc"], 6)
        .unwrap()
        .map(|r| Value::Map(r.unwrap()))
        .collect();
    assert_eq!(scan_keys.len(), 20);
    assert_eq!(scan_keys[3], row_of(&[("_step", 6), ("acc", 6)]));
    assert_eq!(scan_keys, rows(py_value(&py, "scan_keys")));

    // files: the same list, and the same bytes downloaded
    let files = run.files().unwrap();
    let py_files = rows(py_value(&py, "files"));
    assert_eq!(files.len(), py_files.len());
    assert!(files.iter().any(|f| f.name == "ckpt/model.bin"));
    let dl = tmp.path().join("dl");
    for (f, p) in files.iter().zip(&py_files) {
        assert_eq!(Value::from(f.name.as_str()), p["name"]);
        assert_eq!(Value::UInt(f.size), p["size"]);
        assert_eq!(Value::from(f.md5.clone()), p["md5"]);
        let path = f.download(&dl, false).unwrap();
        assert_eq!(path, dl.join(&f.name));
        let bytes = std::fs::read_to_string(&path).unwrap();
        assert_eq!(Value::from(bytes), p["content"], "{}", f.name);
        // a second download without replace is refused, with replace it works
        assert!(matches!(
            f.download(&dl, false),
            Err(OnlineError::FileExists { .. })
        ));
        f.download(&dl, true).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(dl.join("ckpt/model.bin")).unwrap(),
        "weights of r1"
    );

    // run lists with filters
    let ids = |filters: Option<serde_json::Value>| -> Vec<Value> {
        api.runs("me/proj", filters.as_ref())
            .unwrap()
            .map(|r| Value::from(r.unwrap().id))
            .collect()
    };
    assert_eq!(ids(None), rows(py_value(&py, "runs")));
    assert_eq!(ids(None), vec![Value::from("r1"), Value::from("r2")]);
    let lr = ids(Some(serde_json::json!({"config.lr": {"$lt": 0.05}})));
    assert_eq!(lr, vec![Value::from("r2")]);
    assert_eq!(lr, rows(py_value(&py, "runs_lr")));
    let st = ids(Some(
        serde_json::json!({"$and": [{"state": "finished"}, {"tags": "t1"}]}),
    ));
    assert_eq!(st, rows(py_value(&py, "runs_state")));
    assert_eq!(st.len(), 2);
    let best: Vec<Value> = api
        .runs("me/proj", None)
        .unwrap()
        .map(|r| r.unwrap().summary()["best"].clone())
        .collect();
    assert_eq!(best, rows(py_value(&py, "runs_summary")));
}

#[test]
fn errors_are_typed_and_say_what_to_do() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let api = Api::from_environment(env(&server, tmp.path())).unwrap();
    let err = api.run("me/proj/nope").unwrap_err();
    assert!(matches!(err, OnlineError::RunNotFound { ref path } if path == "me/proj/nope"));
    assert!(err
        .to_string()
        .contains("check the entity, project and run id"));
    assert!(matches!(
        api.run("a/b/c/d/e"),
        Err(OnlineError::InvalidPath { .. })
    ));
    // `project/id` takes the API key's default entity
    let err = api.run("proj/nope").unwrap_err();
    assert!(
        matches!(err, OnlineError::RunNotFound { ref path } if path == "mock-entity/proj/nope"),
        "{err}"
    );
    // a wrong key is rejected with a hint
    let bad = Api::new(server.url(), &"x".repeat(40)).unwrap();
    assert!(matches!(
        bad.run("me/proj/r"),
        Err(OnlineError::Rejected { status: 401, .. })
    ));
    // an unreachable server fails at the timeout instead of hanging
    let gone = Api::new("http://127.0.0.1:9", server.api_key())
        .unwrap()
        .with_timeout(std::time::Duration::from_millis(300));
    assert!(matches!(
        gone.run("me/proj/r"),
        Err(OnlineError::Unreachable { .. })
    ));
}
