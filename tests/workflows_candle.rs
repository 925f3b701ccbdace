//! The candle cell of the workflow matrix (`wandb_test_support::workflow`):
//! the `candle_cnn` example (a CNN on synthetic images, trained by a
//! hand-written candle loop with `wandb_candle::WandbCallback`,
//! `watch(log=all)`, early stopping, a safetensors checkpoint, a predictions
//! Table and a confusion matrix) at test size, offline and online (the fake
//! server). The official reader (`wandb leet inspect`) must read back every
//! metric row, every watch step's histograms of every named variable with
//! exact counts, the table and the chart, the summary and the finished
//! state; the offline run must upload with the official `wandb sync` to the
//! loopback reference mock exactly as `wandb-rs sync` does, and the online
//! run must reach the fake server whole.
#![cfg(feature = "candle")]

#[path = "../examples/candle_cnn.rs"]
#[allow(dead_code)]
mod example;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value as J};
use wandb::online::{sync_run_dir, SyncOptions};
use wandb_fake_server::FakeServer;
use wandb_test_support::workflow::{
    check_run_file, check_upload, Cell, Expected, ReadBack, RunMode,
};
use wandb_test_support::{assert_same_sync, official_and_our_sync, ScratchDir};

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

/// What the test-size run must hold: 3 epochs of 6 batches, watch every
/// 3 steps, no early stop; 18 batch rows, 3 epoch rows, the final row.
fn expected(cfg: &example::CnnConfig) -> Expected {
    let steps = (cfg.epochs * cfg.batches_per_epoch()) as u64;
    Expected {
        rows: steps as usize + cfg.epochs + 1,
        batch_marker: "batch/loss".into(),
        step_key: "batch/step".into(),
        steps,
        batch_metrics: strings(&["batch/loss", "batch/acc", "batch/learning_rate"]),
        epoch_marker: "epoch/loss".into(),
        epochs: (0..cfg.epochs as u64).collect(),
        epoch_metrics: strings(&[
            "epoch/acc",
            "epoch/val_loss",
            "epoch/val_acc",
            "epoch/learning_rate",
        ]),
        params: example::variables(cfg.channels),
        kinds: strings(&["gradients", "parameters"]),
        watch_steps: (1..=steps)
            .filter(|s| s % cfg.watch_log_freq == 0)
            .collect(),
        media: vec![
            ("predictions".into(), "table-file".into()),
            ("confusion_matrix_table".into(), "table-file".into()),
        ],
        summary_keys: strings(&[
            "best_val_loss",
            "best_epoch",
            "final_val_acc",
            "epoch/val_loss",
        ]),
        config: vec![("framework".into(), json!("candle"))],
    }
}

/// The workflow's own checks: batch and epoch values, the table, the
/// confusion matrix, the checkpoints and the summary's best values.
fn check_candle(
    read: &ReadBack,
    exp: &Expected,
    cfg: &example::CnnConfig,
    report: &example::CnnReport,
    run_id: &str,
    files_dir: &Path,
    ckpt_dir: &Path,
) -> String {
    assert_eq!(
        (report.fit.epochs_run, report.fit.global_step),
        (cfg.epochs, exp.steps)
    );
    assert_eq!(report.fit.stopped_early, None);
    assert_eq!(report.predictions.len(), cfg.valid_size);
    let batches = read.batch_rows(exp);
    for r in &batches {
        assert_eq!(r["batch/learning_rate"], cfg.learning_rate);
        let acc = r["batch/acc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc), "{acc}");
    }
    let per_epoch = cfg.batches_per_epoch();
    let mut val_losses = Vec::new();
    for (e, r) in read.epoch_rows(exp).iter().enumerate() {
        // The epoch's training metrics are the means of its batch rows.
        let mean: f64 = batches[e * per_epoch..(e + 1) * per_epoch]
            .iter()
            .map(|b| b["batch/loss"].as_f64().unwrap())
            .sum::<f64>()
            / per_epoch as f64;
        assert!((r["epoch/loss"].as_f64().unwrap() - mean).abs() < 1e-12);
        val_losses.push(r["epoch/val_loss"].as_f64().unwrap());
    }

    // The final row: the predictions Table and the confusion matrix.
    let last = read.rows.last().unwrap();
    assert_eq!(last["predictions.nrows"], cfg.table_rows as u64);
    let load = |key: &str| -> J {
        let path = last[&format!("{key}.path")].as_str().unwrap();
        serde_json::from_slice(&std::fs::read(files_dir.join(path)).unwrap()).unwrap()
    };
    let table = load("predictions");
    assert_eq!(
        table["columns"],
        json!(["image", "truth", "prediction", "correct"])
    );
    let data = table["data"].as_array().unwrap();
    assert_eq!(data.len(), cfg.table_rows);
    for (i, row) in data.iter().enumerate() {
        // The run-file copy names media cells by class, as the official client does.
        assert_eq!(row[0], "Image", "{row}");
        let truth = example::CLASSES[report.labels[i] as usize];
        let pred = example::CLASSES[report.predictions[i] as usize];
        assert_eq!(
            (row[1].as_str(), row[2].as_str()),
            (Some(truth), Some(pred))
        );
        assert_eq!(row[3], truth == pred);
    }
    let cm = load("confusion_matrix_table");
    assert_eq!(
        cm["columns"],
        json!(["Actual", "Predicted", "nPredictions"])
    );
    let cells = cm["data"].as_array().unwrap();
    assert_eq!(cells.len(), 16);
    // Counts are floats, as the official client writes them.
    let total: f64 = cells.iter().map(|c| c[2].as_f64().unwrap()).sum();
    assert_eq!(total, cfg.valid_size as f64);
    let correct = report
        .predictions
        .iter()
        .zip(&report.labels)
        .filter(|(p, l)| p == l)
        .count();
    let diagonal: f64 = cells
        .iter()
        .filter(|c| c[0] == c[1])
        .map(|c| c[2].as_f64().unwrap())
        .sum();
    assert_eq!(diagonal, correct as f64);

    // The checkpoint of the best epoch, saved with VarMap::save; each
    // improving epoch is a version of the `model-<run id>` artifact, the
    // last version tagged `best` holds the best epoch's file.
    let best_epoch = val_losses
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(e, _)| e)
        .unwrap();
    let ckpt = format!("model-epoch{best_epoch}.safetensors");
    assert!(ckpt_dir.join(&ckpt).is_file(), "{ckpt}");
    let versions: Vec<&J> = read
        .records
        .iter()
        .filter(|r| r["type"] == "artifact" && r["artifact"]["name"] == format!("model-{run_id}"))
        .collect();
    assert!(!versions.is_empty(), "no model artifact recorded");
    assert!(versions.iter().all(|v| v["artifact"]["type"] == "model"));
    let best = versions
        .iter()
        .rev()
        .find(|v| {
            v["artifact"]["aliases"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "best"))
        })
        .expect("a version aliased best");
    let contents: Vec<&str> = best["artifact"]["manifest"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(contents, [ckpt.as_str()], "{best}");

    let s = &read.summary["summary"];
    let min = val_losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(s["best_val_loss"].as_f64().unwrap(), min);
    assert_eq!(s["best_epoch"], best_epoch as u64);
    assert_eq!(s["epoch/val_loss"]["min"].as_f64().unwrap(), min);
    assert_eq!(s["final_val_acc"].as_f64().unwrap(), report.val_acc);
    ckpt
}

fn workflow(mode: RunMode) {
    let cell = Cell::start("candle_cnn", "candle", mode);
    let scratch = ScratchDir::new("workflow-candle");
    let root = scratch.path();
    let run_id = format!("candlecnn-{}", mode.as_str());
    let server = (mode == RunMode::Online).then(FakeServer::start);
    let mut env = vec![("HOME".to_string(), root.join("home").display().to_string())];
    if let Some(server) = &server {
        env.push(("WANDB_API_KEY".into(), server.api_key().into()));
        env.push(("WANDB_BASE_URL".into(), server.url().into()));
    }
    let started = Instant::now();
    // Offline, `wandb sync -e` moves the run to its entity while the model
    // artifacts keep this one, in both sync clients.
    let run = wandb::init(
        wandb::InitOptions::new()
            .entity("matrix")
            .dir(root)
            .mode(match mode {
                RunMode::Offline => wandb::Mode::Offline,
                RunMode::Online => wandb::Mode::Online,
            })
            .project("workflows")
            .id(&run_id)
            .quiet(true)
            .console(wandb::Console::Off)
            .system_metrics(false)
            .config(&json!({"framework": "candle"}))
            .environment(env),
    )
    .unwrap();
    let cfg = example::CnnConfig {
        checkpoint_dir: Some(root.join("ckpt")),
        ..example::CnnConfig::default()
    };
    let report = example::train(Some(&run), &cfg).unwrap();
    let dir = run.dir().to_path_buf();
    let file = run.wandb_file().to_path_buf();
    let files_dir = run.files_dir().to_path_buf();
    run.finish().unwrap();
    let seconds = started.elapsed().as_secs_f64();

    let exp = expected(&cfg);
    let read = check_run_file(&file, &exp);
    let ckpt = check_candle(
        &read,
        &exp,
        &cfg,
        &report,
        &run_id,
        &files_dir,
        &root.join("ckpt"),
    );

    match &server {
        None => {
            // Both sync clients send the reference mock the same run.
            let (official, ours) = official_and_our_sync(&dir, our_sync);
            assert_same_sync(&official, &ours);
            check_upload(
                "official wandb sync",
                &official.history,
                &official.summary,
                official.exitcode,
                &read,
            );
            // The confusion matrix's chart spec reaches the server in the config.
            let visualize = &official.config["_wandb"]["value"]["visualize"];
            assert!(
                visualize["confusion_matrix"].is_object(),
                "{}",
                official.config
            );
            let model = official
                .artifacts
                .get(&format!("model/model-{run_id}"))
                .unwrap_or_else(|| panic!("no model artifact in {:?}", official.artifacts.keys()));
            assert!(model.committed);
            assert_eq!(
                model.files.keys().collect::<Vec<_>>(),
                [&ckpt],
                "the last version uploads the best checkpoint"
            );
            // The table's artifact carries the images of its rows.
            let (name, table) = official
                .artifacts
                .iter()
                .find(|(k, _)| k.contains("predictions"))
                .unwrap_or_else(|| {
                    panic!("no predictions artifact in {:?}", official.artifacts.keys())
                });
            assert!(table.committed, "{name}");
            assert!(
                table.files.keys().any(|f| f.ends_with(".png")),
                "{name}: {:?}",
                table.files.keys()
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
            let visualize = &up.config["_wandb"]["value"]["visualize"];
            assert!(visualize["confusion_matrix"].is_object(), "{}", up.config);
            let models: Vec<_> = server
                .artifacts()
                .into_iter()
                .filter(|a| a.input["artifactCollectionName"] == format!("model-{run_id}"))
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
fn candle_cnn_workflow_offline_read_back_and_synced_like_wandb_sync() {
    workflow(RunMode::Offline);
}

#[test]
fn candle_cnn_workflow_online_read_back_and_on_the_server() {
    workflow(RunMode::Online);
}
