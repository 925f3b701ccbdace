//! The burn cell of the workflow matrix (`wandb_test_support::workflow`):
//! the `burn_regression` example (SupervisedTraining on the flex backend,
//! 2 epochs, `WandbMetricLogger` + `watch(log=all)`) at test size, offline
//! and online (the fake server). The official reader (`wandb leet inspect`)
//! must read back every metric row, every watch step's histograms of every
//! named parameter, the summary and the finished state; the offline run
//! must upload with the official `wandb sync` to the loopback reference mock
//! exactly as `wandb-rs sync` does (burn's checkpoints included, logged by
//! `LearnerCheckpoints` as `model-<run id>` versions), and the online run must reach the fake
//! server whole.

#[path = "../../../examples/burn_regression.rs"]
#[allow(dead_code)]
mod example;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_fake_server::FakeServer;
use wandb_test_support::workflow::{check_run_file, check_upload, Cell, Expected, RunMode};
use wandb_test_support::{assert_same_sync, official_and_our_sync, ScratchDir};

const PARAMS: [(&str, usize); 4] = [
    ("fc1.weight", 3 * 8),
    ("fc1.bias", 8),
    ("fc2.weight", 8),
    ("fc2.bias", 1),
];

fn our_sync(dir: &Path, url: &str, key: &str) {
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(url.into()),
        api_key: Some(key.into()),
        timeout: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(dir, &o, |_| {}).expect("wandb-rs sync");
    assert!(report.unsent.is_empty(), "{report:?}");
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// 2 epochs of 4 batches: 8 training rows (a histogram every second
/// step), one validation row per epoch.
fn expected() -> Expected {
    Expected {
        rows: 10,
        batch_marker: "train/Loss".into(),
        step_key: "global_step".into(),
        steps: 8,
        batch_metrics: strings(&["train/Loss", "epoch"]),
        epoch_marker: "valid/Loss".into(),
        epochs: vec![1, 2],
        epoch_metrics: strings(&["valid/Loss", "train_epoch/Loss", "global_step"]),
        params: PARAMS.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        kinds: strings(&["gradients", "parameters"]),
        watch_steps: vec![2, 4, 6, 8],
        media: vec![],
        summary_keys: strings(&["valid/Loss", "train/Loss", "epoch"]),
        config: vec![("framework".into(), json!("burn"))],
    }
}

fn workflow(mode: RunMode) {
    let cell = Cell::start("burn_regression", "burn", mode);
    let scratch = ScratchDir::new("workflow-burn");
    let root = scratch.path();
    let run_id = format!("burnreg-{}", mode.as_str());
    let server = (mode == RunMode::Online).then(FakeServer::start);
    let mut env = vec![("HOME".to_string(), root.join("home").display().to_string())];
    let mut options = wandb_core::InitOptions::new();
    if let Some(server) = &server {
        env.push(("WANDB_API_KEY".into(), server.api_key().into()));
        env.push(("WANDB_BASE_URL".into(), server.url().into()));
        options = options.entity("matrix");
    }
    let started = Instant::now();
    let run = wandb_core::init(
        options
            .project("workflows")
            .id(&run_id)
            .dir(root)
            .mode(match mode {
                RunMode::Offline => wandb_core::Mode::Offline,
                RunMode::Online => wandb_core::Mode::Online,
            })
            .quiet(true)
            .console(wandb_core::Console::Off)
            .system_metrics(false)
            .config(&json!({"framework": "burn"}))
            .environment(env),
    )
    .unwrap();
    let cfg = example::RegressionConfig {
        epochs: 2,
        train_size: 128,
        valid_size: 64,
        batch_size: 32,
        hidden: 8,
        watch_log_freq: 2,
        ..example::RegressionConfig::default()
    };
    let burn_dir = root.join("burn");
    example::train(Some(&run), &burn_dir, &cfg);
    // The model checkpoints burn wrote, logged as versions of model-<run id>.
    let mut ckpts = wandb_burn::LearnerCheckpoints::new(&run, &burn_dir);
    let logged = ckpts.log_new(|_| None).unwrap();
    let model = ckpts.manager().artifact_name().to_string();
    assert_eq!(model, format!("model-{run_id}"));
    let bpk: Vec<String> = logged
        .iter()
        .map(|c| {
            let a = &c.artifact.aliases;
            assert!(a.contains(&"latest".into()) && a.contains(&format!("epoch_{}", c.epoch)));
            format!("model-{}.bpk", c.epoch)
        })
        .collect();
    assert!(bpk.contains(&"model-2.bpk".to_string()), "{bpk:?}");
    assert!(ckpts.log_new(|_| None).unwrap().is_empty(), "logged twice");
    let dir = run.dir().to_path_buf();
    let file = run.wandb_file().to_path_buf();
    run.finish().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    // burn's checkpointer ran (it reads the valid loss through read_numeric).
    let ckpt = burn_dir.join("checkpoint").join("model-2.bpk");
    assert!(ckpt.exists(), "{} missing", ckpt.display());

    let exp = expected();
    let read = check_run_file(&file, &exp);
    // Each batch row: its epoch (1-based); each histogram joins the row of
    // its own training batch although burn hands the metrics to the logger
    // later, on another thread (check_run_file: only batch rows carry them).
    for (i, r) in read.batch_rows(&exp).iter().enumerate() {
        assert_eq!(r["epoch"], (i / 4 + 1) as u64);
    }
    let mut valid = Vec::new();
    for (e, r) in read.epoch_rows(&exp).iter().enumerate() {
        assert_eq!(r["global_step"], (4 * (e + 1)) as u64);
        assert!(r["train_epoch/Loss"].as_f64().unwrap() > 0.0);
        valid.push(r["valid/Loss"].as_f64().unwrap());
    }
    let s = &read.summary["summary"];
    assert_eq!(s["epoch"], 2);
    let min = valid.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(s["valid/Loss"]["min"].as_f64().unwrap(), min);

    match &server {
        None => {
            let (official, ours) = official_and_our_sync(&dir, our_sync);
            assert_same_sync(&official, &ours);
            check_upload(
                "official wandb sync",
                &official.history,
                &official.summary,
                official.exitcode,
                &read,
            );
            let uploaded = &official.artifacts[&format!("model/{model}")];
            assert!(uploaded.committed);
            assert_eq!(uploaded.files.keys().cloned().collect::<Vec<_>>(), bpk);
        }
        Some(server) => {
            let up = server
                .run("matrix", "workflows", &run_id)
                .expect("the run reached the fake server");
            check_upload(
                "fake server",
                &up.history(),
                &up.summary,
                up.exitcode,
                &read,
            );
            assert_eq!(up.state(), "finished");
            let models: Vec<_> = server
                .artifacts()
                .into_iter()
                .filter(|a| a.input["artifactCollectionName"] == model.as_str())
                .collect();
            assert!(
                models.len() == bpk.len() && models.iter().all(|a| a.committed),
                "model versions: {models:?}"
            );
        }
    }
    cell.pass(seconds, read.rows.len(), read.bytes);
}

#[test]
fn burn_regression_workflow_offline_read_back_and_synced_like_wandb_sync() {
    workflow(RunMode::Offline);
}

#[test]
fn burn_regression_workflow_online_read_back_and_on_the_server() {
    workflow(RunMode::Online);
}
