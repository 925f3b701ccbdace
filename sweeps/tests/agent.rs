//! The local agent end to end: this test binary is also the trial program
//! (`trial_child` does the work when the agent starts it), so each trial
//! is a real wandb-rs offline run whose metric the agent reads back.

use std::path::Path;
use std::time::Duration;

use wandb_core::proto::record::RecordType;
use wandb_sweeps::{run_sweep, sweep_params_from_env, AgentOptions, RunState, SweepConfig};

/// The trial: logs `loss` for `steps` steps from the sweep parameters.
#[test]
fn trial_child() {
    if std::env::var_os("WANDB_SWEEPS_TEST_CHILD").is_none() {
        return;
    }
    let options = wandb_core::InitOptions::new()
        .system_metrics(false)
        .quiet(true)
        .console(wandb_core::Console::Off)
        .flush_interval(Duration::from_millis(20));
    // `plain`: no `sweep_params_from_env`, `init` reads the sweep's
    // parameters itself (they win over the values given here).
    let plain = std::env::var_os("WANDB_SWEEPS_TEST_PLAIN").is_some();
    let options = if plain {
        options.config(&serde_json::json!({"quality": 999, "steps": 1}))
    } else {
        let params = sweep_params_from_env()
            .unwrap()
            .expect("WANDB_SWEEP_PARAM_PATH");
        options.config(&params)
    };
    let run = wandb_core::init(options).unwrap();
    let param = |k: &str| run.config().get(k).map(|v| v.to_serde_json());
    let quality = param("quality").and_then(|v| v.as_f64()).unwrap();
    let steps = param("steps").and_then(|v| v.as_u64()).unwrap_or(3);
    let pause = param("pause_ms").and_then(|v| v.as_u64()).unwrap_or(0);
    for step in 0..steps {
        let loss = quality * 10.0 / (step as f64 + 1.0);
        run.log(wandb_core::row! {"loss" => loss}).unwrap();
        std::thread::sleep(Duration::from_millis(pause));
    }
    run.finish().unwrap();
}

fn options(dir: &Path, jobs: usize) -> AgentOptions {
    let exe = std::env::current_exe().unwrap();
    AgentOptions {
        command: vec![
            exe.display().to_string(),
            "--exact".into(),
            "trial_child".into(),
            "--nocapture".into(),
        ],
        jobs,
        dir: dir.to_path_buf(),
        sweep_id: Some("swp00001".into()),
        poll: Duration::from_millis(50),
        kill_delay: Duration::from_secs(5),
        inherit_env: false,
        env: vec![
            ("WANDB_SWEEPS_TEST_CHILD".into(), "1".into()),
            ("HOME".into(), dir.join("home").display().to_string()),
            (
                "WANDB_DATA_DIR".into(),
                dir.join("data").display().to_string(),
            ),
            (
                "WANDB_CACHE_DIR".into(),
                dir.join("cache").display().to_string(),
            ),
            (
                "WANDB_CONFIG_DIR".into(),
                dir.join("config").display().to_string(),
            ),
            ("TMPDIR".into(), std::env::temp_dir().display().to_string()),
        ],
        ..AgentOptions::default()
    }
}

fn run_record(dir: &Path, id: &str) -> wandb_core::proto::RunRecord {
    let wandb = dir.join("wandb");
    let run_dir = std::fs::read_dir(&wandb)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .ends_with(&format!("-{id}"))
        })
        .expect("the trial's run directory");
    let out = wandb_core::store::read_file(&run_dir.join(format!("run-{id}.wandb"))).unwrap();
    out.records
        .into_iter()
        .find_map(|r| match r.record_type {
            Some(RecordType::Run(r)) => Some(r),
            _ => None,
        })
        .expect("a run record")
}

#[test]
fn grid_sweep_runs_every_point_as_grouped_offline_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = SweepConfig::from_yaml(
        "method: grid\nmetric: {name: loss, goal: minimize}\nparameters:\n  quality: {values: [3, 1, 2]}\n  steps: {value: 2}\n",
    )
    .unwrap();
    let mut seen = Vec::new();
    let trials = run_sweep(cfg, &options(tmp.path(), 2), |t| {
        seen.push(t.run_id.clone())
    })
    .unwrap();
    assert_eq!(trials.len(), 3);
    assert_eq!(seen.len(), 3);
    let mut qualities: Vec<i64> = trials
        .iter()
        .map(|t| t.params["quality"].as_i64().unwrap())
        .collect();
    qualities.sort();
    assert_eq!(qualities, vec![1, 2, 3]);
    for t in &trials {
        assert_eq!(t.state, RunState::Finished, "{t:?}");
        assert_eq!(t.exit_code, Some(0));
        // Best loss over 2 steps: quality*10/2.
        let q = t.params["quality"].as_f64().unwrap();
        assert_eq!(t.metric, Some(q * 5.0), "{t:?}");
        let rec = run_record(tmp.path(), &t.run_id);
        assert_eq!(rec.run_id, t.run_id);
        assert_eq!(rec.run_group, "swp00001");
        assert_eq!(rec.sweep_id, "swp00001");
        let cfg = rec.config.expect("config");
        let quality = cfg
            .update
            .iter()
            .find(|i| i.key == "quality")
            .expect("quality in config");
        assert_eq!(quality.value_json, t.params["quality"].to_string());
        let param_file = tmp
            .path()
            .join(format!("wandb/sweep-swp00001/config-{}.yaml", t.run_id));
        let text = std::fs::read_to_string(param_file).unwrap();
        assert!(text.starts_with("wandb_version: 1\n\n"), "{text}");
        assert!(text.contains("quality:\n  value: "), "{text}");
    }
}

#[test]
fn hyperband_stops_the_worse_running_trials() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = SweepConfig::from_yaml(
        "method: grid\nmetric: {name: loss}\nearly_terminate: {type: hyperband, min_iter: 2, eta: 2}\n\
         parameters:\n  quality: {values: [1, 2, 3, 4]}\n  steps: {value: 40}\n  pause_ms: {value: 100}\n",
    )
    .unwrap();
    let trials = run_sweep(cfg, &options(tmp.path(), 4), |_| {}).unwrap();
    assert_eq!(trials.len(), 4);
    let state = |q: i64| {
        trials
            .iter()
            .find(|t| t.params["quality"] == q)
            .unwrap()
            .state
    };
    assert_eq!(state(1), RunState::Finished, "{trials:?}");
    assert_eq!(state(4), RunState::Killed, "{trials:?}");
    let killed = trials
        .iter()
        .filter(|t| t.state == RunState::Killed)
        .count();
    assert!(killed >= 2, "{trials:?}");
}

#[test]
fn random_sweep_stops_at_count() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = SweepConfig::from_yaml(
        "method: random\nmetric: {name: loss}\nparameters:\n  quality: {min: 0.5, max: 2.0}\n  steps: {value: 1}\n",
    )
    .unwrap();
    let opts = AgentOptions {
        count: Some(3),
        ..options(tmp.path(), 3)
    };
    let trials = run_sweep(cfg, &opts, |_| {}).unwrap();
    assert_eq!(trials.len(), 3);
    for t in trials {
        let q = t.params["quality"].as_f64().unwrap();
        assert!((0.5..=2.0).contains(&q));
        let m = t.metric.expect("metric read back");
        assert!((m - q * 10.0).abs() <= 1e-12 * m, "{m} vs {}", q * 10.0);
    }
}

#[test]
fn a_command_that_cannot_start_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg =
        SweepConfig::from_yaml("method: grid\nparameters:\n  quality: {values: [1, 2]}\n").unwrap();
    let opts = AgentOptions {
        command: vec![tmp.path().join("no-such-program").display().to_string()],
        ..options(tmp.path(), 2)
    };
    let err = run_sweep(cfg, &opts, |_| {}).unwrap_err();
    assert!(err.to_string().contains("no-such-program"), "{err}");
}

#[test]
fn trials_with_a_plain_init_get_their_parameters_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = SweepConfig::from_yaml(
        "method: grid\nmetric: {name: loss}\nparameters:\n  quality: {values: [1, 2]}\n  steps: {value: 2}\n",
    )
    .unwrap();
    let mut opts = options(tmp.path(), 2);
    opts.env
        .push(("WANDB_SWEEPS_TEST_PLAIN".into(), "1".into()));
    let trials = run_sweep(cfg, &opts, |_| {}).unwrap();
    assert_eq!(trials.len(), 2);
    for t in &trials {
        assert_eq!(t.state, RunState::Finished, "{t:?}");
        let q = t.params["quality"].as_f64().unwrap();
        // 2 steps from the sweep, not the trial's 999 and 1
        assert_eq!(t.metric, Some(q * 5.0), "{t:?}");
        let rec = run_record(tmp.path(), &t.run_id);
        assert_eq!(rec.sweep_id, "swp00001");
        let config = rec.config.expect("config");
        let value = |k: &str| {
            config
                .update
                .iter()
                .find(|i| i.key == k)
                .map(|i| i.value_json.clone())
        };
        assert_eq!(value("quality"), Some(t.params["quality"].to_string()));
        assert_eq!(value("steps").as_deref(), Some("2"));
    }
}
