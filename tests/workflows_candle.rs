//! End-to-end workflow: the `candle_cnn` example (a CNN on synthetic images,
//! trained by a hand-written candle loop with `wandb_candle::WandbCallback`,
//! `watch(log=all)`, early stopping, a safetensors checkpoint, a predictions
//! Table and a confusion matrix) run offline at test size, then read back
//! with the official reader (`wandb leet inspect`): every metric row, every
//! watch step's histograms of every named variable with exact counts, the
//! table and the chart, the summary and the finished state. The official
//! `wandb sync` and `wandb-rs sync` then upload the run to the loopback
//! reference mock and must send the same.
#![cfg(feature = "candle")]

#[path = "../examples/candle_cnn.rs"]
#[allow(dead_code)]
mod example;

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value as J};
use wandb::online::{sync_run_dir, SyncOptions};
use wandb_test_support::{assert_same_sync, official_and_our_sync, ScratchDir};

type Item = Map<String, J>;

/// The official reader's history rows and its other records.
fn leet(file: &Path) -> (Vec<Item>, Vec<J>) {
    let records = wandb_test_support::leet_inspect(file);
    let rows = records
        .iter()
        .filter(|r| r["type"] == "history")
        .map(|r| r["history"]["item"].as_object().cloned().expect("items"))
        .collect();
    (rows, records)
}

/// Counts and edges of the histogram under `key`, checked for shape.
fn histogram(row: &Item, key: &str) -> (Vec<u64>, Vec<f64>) {
    assert_eq!(row[&format!("{key}._type")], "histogram", "{key}");
    let counts: Vec<u64> = row[&format!("{key}.values")]
        .as_array()
        .expect("values")
        .iter()
        .map(|c| c.as_u64().expect("integer count"))
        .collect();
    let bins: Vec<f64> = row[&format!("{key}.bins")]
        .as_array()
        .expect("bins")
        .iter()
        .map(|b| b.as_f64().expect("edge"))
        .collect();
    if counts.len() == 1 {
        assert_eq!(bins.len(), 2, "{key}: min == max");
    } else {
        assert_eq!((counts.len(), bins.len()), (64, 65), "{key}");
        assert!(bins.windows(2).all(|w| w[0] <= w[1]), "{key}: sorted edges");
    }
    (counts, bins)
}

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

#[test]
fn candle_cnn_workflow_offline_read_back_and_synced_like_wandb_sync() {
    let scratch = ScratchDir::new("workflow-candle");
    let root = scratch.path();
    let run = wandb::init(
        wandb::InitOptions::new()
            .dir(root)
            .mode(wandb::Mode::Offline)
            .project("workflows")
            .id("candlecnn1")
            .console(wandb::Console::Off)
            .system_metrics(false)
            .config(&serde_json::json!({"framework": "candle"}))
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    let cfg = example::CnnConfig {
        checkpoint_dir: Some(root.join("ckpt")),
        ..example::CnnConfig::default()
    };
    let started = std::time::Instant::now();
    let report = example::train(Some(&run), &cfg).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let dir = run.dir().to_path_buf();
    let file = run.wandb_file().to_path_buf();
    let files_dir = run.files_dir().to_path_buf();
    run.finish().unwrap();

    // The test size: 3 epochs of 6 batches, watch every 3 steps, no early stop.
    let per_epoch = cfg.batches_per_epoch();
    let steps = (cfg.epochs * per_epoch) as u64;
    assert_eq!(
        (report.fit.epochs_run, report.fit.global_step),
        (cfg.epochs, steps)
    );
    assert_eq!(report.fit.stopped_early, None);
    assert_eq!(report.predictions.len(), cfg.valid_size);
    let vars = example::variables(cfg.channels);

    let (rows, records) = leet(&file);
    // 18 batch rows, 3 epoch rows, the final table + chart row.
    assert_eq!(rows.len(), steps as usize + cfg.epochs + 1, "{rows:?}");
    let batches: Vec<&Item> = rows
        .iter()
        .filter(|r| r.contains_key("batch/loss"))
        .collect();
    assert_eq!(batches.len() as u64, steps);
    let mut watch_steps = Vec::new();
    for (i, r) in batches.iter().enumerate() {
        let step = i as u64 + 1;
        assert_eq!(r["batch/step"], step);
        assert_eq!(r["batch/learning_rate"], cfg.learning_rate);
        assert!(r["batch/loss"].as_f64().unwrap().is_finite());
        let acc = r["batch/acc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc), "{acc}");
        let hist_keys = r.keys().filter(|k| k.ends_with("._type")).count();
        if !step.is_multiple_of(cfg.watch_log_freq) {
            assert_eq!(hist_keys, 0, "step {step}");
            continue;
        }
        watch_steps.push(step);
        // Every variable, both kinds, exact element counts.
        assert_eq!(hist_keys, 2 * vars.len(), "step {step}");
        for (name, numel) in &vars {
            for kind in ["gradients", "parameters"] {
                let (counts, _) = histogram(r, &format!("{kind}/{name}"));
                assert_eq!(counts.iter().sum::<u64>(), *numel as u64, "{kind}/{name}");
            }
        }
    }
    assert_eq!(watch_steps, [3, 6, 9, 12, 15, 18]);
    let epochs: Vec<&Item> = rows
        .iter()
        .filter(|r| r.contains_key("epoch/loss"))
        .collect();
    assert_eq!(epochs.len(), cfg.epochs);
    let mut val_losses = Vec::new();
    for (e, r) in epochs.iter().enumerate() {
        assert_eq!(r["epoch"], e as u64);
        for key in [
            "epoch/acc",
            "epoch/val_loss",
            "epoch/val_acc",
            "epoch/learning_rate",
        ] {
            assert!(r[key].as_f64().unwrap().is_finite(), "{key}");
        }
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
    let last = rows.last().unwrap();
    assert_eq!(last["predictions._type"], "table-file");
    assert_eq!(last["predictions.nrows"], cfg.table_rows as u64);
    assert_eq!(last["confusion_matrix_table._type"], "table-file");
    let table: J = {
        let path = last["predictions.path"].as_str().unwrap();
        serde_json::from_slice(&std::fs::read(files_dir.join(path)).unwrap()).unwrap()
    };
    assert_eq!(
        table["columns"],
        serde_json::json!(["image", "truth", "prediction", "correct"])
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
    let cm: J = {
        let path = last["confusion_matrix_table.path"].as_str().unwrap();
        serde_json::from_slice(&std::fs::read(files_dir.join(path)).unwrap()).unwrap()
    };
    assert_eq!(
        cm["columns"],
        serde_json::json!(["Actual", "Predicted", "nPredictions"])
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
        .count() as f64;
    let diagonal: f64 = cells
        .iter()
        .filter(|c| c[0] == c[1])
        .map(|c| c[2].as_f64().unwrap())
        .sum();
    assert_eq!(diagonal, correct);

    // The checkpoint of the best epoch, saved with VarMap::save and recorded.
    let best_epoch = val_losses
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(e, _)| e)
        .unwrap();
    let ckpt = format!("model-epoch{best_epoch}.safetensors");
    assert!(root.join("ckpt").join(&ckpt).is_file(), "{ckpt}");
    // Each improving epoch is a version of the `model-<run id>` artifact;
    // the last version tagged `best` holds the best epoch's file.
    let versions: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["type"] == "artifact" && r["artifact"]["name"] == "model-candlecnn1")
        .collect();
    assert!(!versions.is_empty(), "no model artifact recorded");
    for v in &versions {
        assert_eq!(v["artifact"]["type"], "model", "{v}");
    }
    let best = versions
        .iter()
        .rev()
        .find(|v| v["artifact"]["aliases"].as_array().is_some_and(|a| a.iter().any(|x| x == "best")))
        .expect("a version aliased best");
    let contents: Vec<&str> = best["artifact"]["manifest"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(contents, [ckpt.as_str()], "{best}");

    // Summary and final state.
    let summary = wandb_test_support::leet_summary(&file);
    assert_eq!(summary["state"], "finished");
    assert_eq!(summary["exit_code"], 0);
    let s = &summary["summary"];
    let min = val_losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(s["best_val_loss"].as_f64().unwrap(), min);
    assert_eq!(s["best_epoch"], best_epoch as u64);
    assert_eq!(s["epoch/val_loss"]["min"].as_f64().unwrap(), min);
    assert_eq!(s["final_val_acc"].as_f64().unwrap(), report.val_acc);
    assert_eq!(s["batch/step"], steps);
    for (name, _) in &vars {
        assert_eq!(s[&format!("gradients/{name}")]["_type"], "histogram");
        assert_eq!(s[&format!("parameters/{name}")]["_type"], "histogram");
    }
    assert_eq!(s["predictions"]["_type"], "table-file");
    assert_eq!(summary["config"]["framework"], "candle");

    // Both sync clients send the mock the same run.
    let (official, ours) = official_and_our_sync(&dir, our_sync);
    assert_same_sync(&official, &ours);
    assert_eq!(official.history.len(), rows.len());
    assert_eq!(official.exitcode, Some(0));
    // The confusion matrix's chart spec reaches the server in the config.
    let visualize = &official.config["_wandb"]["value"]["visualize"];
    assert!(
        visualize["confusion_matrix"].is_object(),
        "{}",
        official.config
    );
    let model = official
        .artifacts
        .get("model/model-candlecnn1")
        .unwrap_or_else(|| panic!("no model artifact in {:?}", official.artifacts.keys()));
    assert!(model.committed);
    assert_eq!(
        model.files.keys().collect::<Vec<_>>(),
        [&ckpt],
        "the last version uploads the best checkpoint"
    );
    // The table's artifact carries the images of its rows.
    let (name, table_artifact) = official
        .artifacts
        .iter()
        .find(|(k, _)| k.contains("predictions"))
        .unwrap_or_else(|| panic!("no predictions artifact in {:?}", official.artifacts.keys()));
    assert!(table_artifact.committed, "{name}");
    let pngs = table_artifact
        .files
        .keys()
        .filter(|f| f.ends_with(".png"))
        .count();
    assert!(pngs >= 1, "{name}: {:?}", table_artifact.files.keys());
    eprintln!(
        "workflow candle_cnn x candle x offline: pass, {seconds:.2} s, {} rows, {} bytes",
        rows.len(),
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0)
    );
}
