//! A run started by a sweep agent (WANDB_SWEEP_ID, WANDB_SWEEP_PARAM_PATH,
//! WANDB_RUN_ID in its environment), as the official client handles it:
//! the run record carries the sweep id, the parameters override the
//! user's config and are locked, and `project`/`id` given to `init` are
//! ignored. Checked with the official reader.

use std::path::Path;

use serde_json::json;
use wandb_core::{init, Error, InitOptions, Mode};
use wandb_test_support::{leet_inspect, leet_summary, ScratchDir};

/// The parameter file as the official agent writes it
/// (`config_util.save_config_file_from_dict`, PyYAML block style).
const OFFICIAL_PARAMS: &str =
    "wandb_version: 1\n\nlr:\n  value: 0.1\nopt:\n  value: adam\nbatch_size:\n  value: 16\n";

fn sweep_opts(dir: &Path, params: &str) -> InitOptions {
    let path = dir.join("wandb/sweep-swp00001/config-swrun101.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, params).unwrap();
    InitOptions::new()
        .dir(dir)
        .quiet(true)
        .system_metrics(false)
        .environment([
            ("HOME", dir.join("home").display().to_string()),
            ("WANDB_SWEEP_ID", "swp00001".into()),
            ("WANDB_SWEEP_PARAM_PATH", path.display().to_string()),
            ("WANDB_RUN_ID", "swrun101".into()),
            ("WANDB_RUN_GROUP", "swp00001".into()),
            ("WANDB_MODE", "offline".into()),
        ])
}

#[test]
fn sweep_env_sets_sweep_id_and_locks_the_parameters() {
    let scratch = ScratchDir::new("sweep-run");
    let run = init(
        sweep_opts(scratch.path(), OFFICIAL_PARAMS)
            .project("ignored-project")
            .id("ignored1")
            .config(&json!({"lr": 999, "epochs": 3})),
    )
    .unwrap();
    assert_eq!(run.id(), "swrun101", "the agent's run id wins in a sweep");
    assert_eq!(run.project(), "uncategorized");
    assert_eq!(run.settings().sweep_id.as_deref(), Some("swp00001"));
    assert_eq!(run.settings().mode, Mode::Offline);
    assert_eq!(run.config().get("lr"), Some(0.1.into()));
    // locked: ignored with a warning, as the official client
    run.config().set("lr", 5).unwrap();
    run.config()
        .update(&json!({"opt": "sgd", "epochs": 4}))
        .unwrap();
    assert_eq!(run.config().get("lr"), Some(0.1.into()));
    assert_eq!(run.config().get("opt"), Some("adam".into()));
    assert_eq!(run.config().get("epochs"), Some(4.into()));
    run.log(json!({"loss": 0.5})).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    assert!(dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with("-swrun101"));

    let records = leet_inspect(&dir);
    let run_rec = &records.iter().find(|r| r["type"] == "run").unwrap()["run"];
    assert_eq!(run_rec["sweep_id"], json!("swp00001"), "{run_rec:#}");
    assert_eq!(run_rec["run_id"], json!("swrun101"));
    assert_eq!(run_rec["run_group"], json!("swp00001"));
    let first = &run_rec["config"]["update"];
    assert_eq!(
        first["lr"],
        json!(0.1),
        "the sweep value over the user's 999"
    );
    assert_eq!(first["opt"], json!("adam"));
    assert_eq!(first["batch_size"], json!(16));
    assert_eq!(first["epochs"], json!(3));
    // the only later config record is the unlocked `epochs`
    let updates: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["type"] == "config")
        .map(|r| &r["config"]["update"])
        .collect();
    assert_eq!(updates, [&json!({"epochs": 4})]);

    let s = leet_summary(&dir);
    let config = &s["config"];
    assert_eq!(config["lr"], json!(0.1), "{s:#}");
    assert_eq!(config["opt"], json!("adam"));
    assert_eq!(config["batch_size"], json!(16));
    assert_eq!(config["epochs"], json!(4));
}

#[test]
fn json_param_file_and_no_sweep_without_the_variables() {
    let scratch = ScratchDir::new("sweep-json");
    let run = init(sweep_opts(
        scratch.path(),
        r#"{"wandb_version": 1, "lr": {"value": 1e-05}, "layers": {"value": [64, 128]}}"#,
    ))
    .unwrap();
    assert_eq!(run.config().get("lr"), Some(1e-5.into()));
    assert_eq!(
        run.config().get("layers"),
        Some(wandb_core::Value::List(vec![64.into(), 128.into()]))
    );
    run.finish().unwrap();

    // Outside a sweep nothing changes: no sweep id, the user's id is kept.
    let plain = init(
        InitOptions::new()
            .dir(scratch.path())
            .quiet(true)
            .system_metrics(false)
            .mode(Mode::Offline)
            .id("plain001")
            .environment([("HOME", scratch.path().join("home").display().to_string())]),
    )
    .unwrap();
    assert_eq!(plain.id(), "plain001");
    assert_eq!(plain.settings().sweep_id, None);
    plain.finish().unwrap();
}

#[test]
fn block_lists_and_mappings_of_the_official_agent_are_read() {
    // PyYAML block style, as the official agent writes list and nested values
    let scratch = ScratchDir::new("sweep-block");
    let text = "wandb_version: 1\n\nlayers:\n  value:\n  - 64\n  - 128\nopt:\n  value:\n    beta: 0.9\n    name: adam\n";
    let run =
        init(sweep_opts(scratch.path(), text).config(&json!({"opt": {"eps": 1e-8}}))).unwrap();
    let get = |k: &str| run.config().get(k).unwrap().to_serde_json();
    assert_eq!(get("layers"), json!([64, 128]));
    // a mapping merges into the user's mapping, as `merge_locked`
    assert_eq!(
        get("opt"),
        json!({"eps": 1e-8, "beta": 0.9, "name": "adam"})
    );
    run.finish().unwrap();
}

#[test]
fn a_bad_parameter_file_is_a_typed_error() {
    let scratch = ScratchDir::new("sweep-bad");
    let err = init(sweep_opts(
        scratch.path(),
        "wandb_version: 1\n\nlr:\n  value: 'open\n",
    ))
    .unwrap_err();
    assert!(matches!(err, Error::InvalidSetting { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("WANDB_SWEEP_PARAM_PATH"), "{msg}");
    assert!(
        msg.contains("config-swrun101.yaml: line 4: unterminated quoted string 'open"),
        "{msg}"
    );
    assert!(
        !scratch.path().join("wandb").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("swrun101")),
        "no run directory is made"
    );
    let missing = init(sweep_opts(scratch.path(), "").environment([
        ("HOME", scratch.path().join("home").display().to_string()),
        ("WANDB_SWEEP_ID", "swp00001".into()),
        (
            "WANDB_SWEEP_PARAM_PATH",
            scratch.path().join("nope.yaml").display().to_string(),
        ),
    ]))
    .unwrap_err();
    assert!(missing.to_string().contains("nope.yaml"), "{missing}");
}
