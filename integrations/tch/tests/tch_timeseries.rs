//! The tch cell of the workflow matrix (`wandb_test_support::workflow`):
//! the `tch_timeseries` example (an LSTM forecasting a noisy sine,
//! `WandbCallback` + `watch(log=all)` + `ModelCheckpoint` through
//! `CallbackDriver`, a line_series chart of predictions vs truth) at test
//! size, offline and online (the fake server). The official reader
//! (`wandb leet inspect`) must read back every metric row, every watch
//! step's histograms for every named parameter, the chart, the summary and
//! the finished state; the offline run must upload with the official
//! `wandb sync` to the loopback reference mock exactly as `wandb-rs sync`
//! does, and the online run must reach the fake server whole.

#[path = "../../../examples/tch_timeseries.rs"]
#[allow(dead_code)]
mod example;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value as J};
use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_fake_server::FakeServer;
use wandb_test_support::workflow::{check_run_file, check_upload, Cell, Expected, RunMode};
use wandb_test_support::{assert_same_sync, official_and_our_sync, ScratchDir};

/// The LSTM's and the head's parameters with their element counts (hidden 8).
const PARAMS: [(&str, usize); 6] = [
    ("head.bias", 1),
    ("head.weight", 8),
    ("lstm.bias_hh_l0", 32),
    ("lstm.bias_ih_l0", 32),
    ("lstm.weight_hh_l0", 32 * 8),
    ("lstm.weight_ih_l0", 32),
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

/// Equal up to serde_json's float parsing (not exact for 17-digit numbers).
fn same_f64(got: &J, want: f64) -> bool {
    got.as_f64()
        .is_some_and(|g| (g - want).abs() <= 4.0 * f64::EPSILON * want.abs())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Size 1: 3 epochs of 4 batches, watch every 2 steps; 12 batch rows,
/// 3 epoch rows, the chart row.
fn expected(cfg: &example::TimeseriesConfig) -> Expected {
    let steps = (cfg.epochs * cfg.batches_per_epoch()) as u64;
    Expected {
        rows: steps as usize + cfg.epochs + 1,
        batch_marker: "batch/loss".into(),
        step_key: "batch/step".into(),
        steps,
        batch_metrics: strings(&["batch/loss", "batch/learning_rate"]),
        epoch_marker: "epoch/val_loss".into(),
        epochs: (0..cfg.epochs as u64).collect(),
        epoch_metrics: strings(&["epoch/loss", "epoch/val_loss"]),
        params: PARAMS.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        kinds: strings(&["gradients", "parameters"]),
        watch_steps: (1..=steps)
            .filter(|s| s % cfg.watch_log_freq == 0)
            .collect(),
        media: vec![("predictions_table".into(), "table-file".into())],
        summary_keys: strings(&[
            "best_val_loss",
            "best_epoch",
            "final_val_loss",
            "epoch/val_loss",
        ]),
        config: vec![("framework".into(), json!("tch"))],
    }
}

fn workflow(mode: RunMode) {
    let cell = Cell::start("tch_timeseries", "tch", mode);
    let scratch = ScratchDir::new("workflow-tch");
    let root = scratch.path();
    let run_id = format!("tchts-{}", mode.as_str());
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
            .config(&json!({"framework": "tch"}))
            .environment(env),
    )
    .unwrap();
    let cfg = example::TimeseriesConfig {
        checkpoint_dir: Some(root.join("ckpt")),
        ..example::TimeseriesConfig::sized(1)
    };
    let epochs = cfg.epochs;
    assert_eq!((epochs, cfg.batches_per_epoch()), (3, 4));
    let out = example::train(Some(&run), &cfg).unwrap();
    let dir = run.dir().to_path_buf();
    let file = run.wandb_file().to_path_buf();
    let files_dir = run.files_dir().to_path_buf();
    run.finish().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        out.parameters,
        PARAMS.map(|(n, c)| (n.to_string(), c)).to_vec()
    );
    // It learns: the last validation MSE is well under the noise-free sine's variance (0.5).
    assert!(out.val_losses[epochs - 1] < 0.25, "{:?}", out.val_losses);

    let exp = expected(&cfg);
    let read = check_run_file(&file, &exp);
    for r in read.batch_rows(&exp) {
        assert_eq!(r["batch/learning_rate"], cfg.learning_rate);
    }
    for (e, r) in read.epoch_rows(&exp).iter().enumerate() {
        assert!(same_f64(&r["epoch/val_loss"], out.val_losses[e]), "{r:?}");
        assert!(r["epoch/loss"].as_f64().unwrap() > 0.0);
    }
    // The chart: its table holds (t, series, value) for truth and prediction.
    let chart_row = read.rows.last().unwrap();
    let table_path = files_dir.join(chart_row["predictions_table.path"].as_str().unwrap());
    let table: J = serde_json::from_slice(&std::fs::read(&table_path).unwrap()).unwrap();
    assert_eq!(table["columns"], json!(["step", "lineKey", "lineVal"]));
    let data = table["data"].as_array().unwrap();
    let n = cfg.valid_windows;
    assert_eq!(data.len(), 2 * n);
    for (series, values, offset) in [
        ("truth", &out.truth, 0),
        ("prediction", &out.predictions, n),
    ] {
        for (i, want) in values.iter().enumerate() {
            let cell = &data[offset + i];
            assert_eq!(cell[0], (cfg.train_windows + cfg.window + i) as u64);
            assert_eq!(cell[1], series);
            assert!(same_f64(&cell[2], *want), "{cell:?} != {want}");
        }
    }

    // Checkpoints: one per improving epoch, saved with `VarStore::save`
    // (loadable), each a version of the `model-<run id>` artifact.
    let mut best = f64::INFINITY;
    let improving: Vec<usize> = (0..epochs)
        .filter(|&e| {
            let better = out.val_losses[e] < best;
            best = best.min(out.val_losses[e]);
            better
        })
        .collect();
    let ckpts: Vec<String> = improving
        .iter()
        .map(|e| format!("model-epoch{e}.safetensors"))
        .collect();
    for c in &ckpts {
        let tensors = tch::Tensor::read_safetensors(root.join("ckpt").join(c)).unwrap();
        let mut names: Vec<(String, usize)> = tensors
            .iter()
            .map(|(n, t)| (n.clone(), t.numel()))
            .collect();
        names.sort();
        assert_eq!(names, out.parameters, "{c}");
    }
    let model = format!("model-{run_id}");
    let versions: Vec<Vec<String>> = read
        .records
        .iter()
        .filter(|r| r["type"] == "artifact" && r["artifact"]["name"] == model.as_str())
        .map(|v| {
            assert_eq!(v["artifact"]["type"], "model", "{v}");
            v["artifact"]["manifest"]["contents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["path"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(
        versions,
        ckpts.iter().map(|c| vec![c.clone()]).collect::<Vec<_>>()
    );

    let s = &read.summary["summary"];
    let min = out.val_losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(same_f64(&s["best_val_loss"], min));
    assert_eq!(s["best_epoch"], *improving.last().unwrap() as u64);
    assert!(same_f64(&s["epoch/val_loss"]["min"], min));
    assert!(same_f64(&s["final_val_loss"], out.val_losses[epochs - 1]));

    match &server {
        None => {
            // The official `wandb sync` and `wandb-rs sync` send the mock the same.
            let (official, ours) = official_and_our_sync(&dir, our_sync);
            assert_same_sync(&official, &ours);
            check_upload(
                "official wandb sync",
                &official.history,
                &official.summary,
                official.exitcode,
                &read,
            );
            assert!(
                official
                    .artifacts
                    .keys()
                    .any(|k| k.contains("predictions_table")),
                "{:?}",
                official.artifacts.keys()
            );
            let uploaded = official
                .artifacts
                .get(&format!("model/{model}"))
                .unwrap_or_else(|| panic!("no model artifact in {:?}", official.artifacts.keys()));
            assert!(uploaded.committed);
            // Every version's file, by name (the capture keeps them all).
            assert_eq!(
                uploaded.files.keys().collect::<Vec<_>>(),
                ckpts.iter().collect::<Vec<_>>()
            );
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
                !models.is_empty() && models.iter().all(|a| a.committed),
                "model versions: {models:?}"
            );
        }
    }
    cell.pass(seconds, read.rows.len(), read.bytes);
}

#[test]
fn timeseries_workflow_offline_read_back_and_synced_like_wandb_sync() {
    workflow(RunMode::Offline);
}

#[test]
fn timeseries_workflow_online_read_back_and_on_the_server() {
    workflow(RunMode::Online);
}
