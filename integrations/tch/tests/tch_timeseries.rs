//! End to end: the `tch_timeseries` example (an LSTM forecasting a noisy
//! sine, `WandbCallback` + `watch(log=all)` + `ModelCheckpoint` through
//! `CallbackDriver`, a line_series chart of predictions vs truth) writes an
//! offline run that the official reader reads back with every metric row,
//! every watch step's histograms for every named parameter, the chart, the
//! summary and the finished state; and the official `wandb sync` and
//! `wandb-rs sync` send the loopback reference mock the same.

#[path = "../../../examples/tch_timeseries.rs"]
#[allow(dead_code)]
mod example;

#[path = "../../callbacks/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Duration;

use common::{file_records, history_rows};
use serde_json::Value as J;
use wandb_core::online::{sync_run_dir, SyncOptions};
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

fn f64s(v: &J) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn timeseries_run_has_every_metric_histogram_chart_and_syncs_like_wandb_sync() {
    let scratch = ScratchDir::new("tch-timeseries");
    let root = scratch.path();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("tch-e2e")
            .id("tchts001")
            .dir(root)
            .mode(wandb_core::Mode::Offline)
            .console(wandb_core::Console::Off)
            .system_metrics(false)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    let cfg = example::TimeseriesConfig {
        checkpoint_dir: Some(root.join("ckpt")),
        ..example::TimeseriesConfig::sized(1)
    };
    let (epochs, batches) = (cfg.epochs, cfg.batches_per_epoch());
    assert_eq!((epochs, batches), (3, 4));
    let out = example::train(Some(&run), &cfg).unwrap();
    let dir = run.dir().to_path_buf();
    let file = run.wandb_file().to_path_buf();
    let files_dir = run.files_dir().to_path_buf();
    run.finish().unwrap();
    assert_eq!(
        out.parameters,
        PARAMS.map(|(n, c)| (n.to_string(), c)).to_vec()
    );
    // It learns: the last validation MSE is well under the noise-free sine's variance (0.5).
    assert!(out.val_losses[epochs - 1] < 0.25, "{:?}", out.val_losses);

    let rows = history_rows(&file);
    assert_eq!(
        rows.len(),
        epochs * batches + epochs + 1,
        "batch rows, epoch rows, chart row"
    );
    // Every training batch: one row with its loss, step and learning rate.
    let batch_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("batch/loss"))
        .collect();
    assert_eq!(batch_rows.len(), epochs * batches);
    for (i, r) in batch_rows.iter().enumerate() {
        let step = (i + 1) as u64;
        assert_eq!(r["batch/step"], step);
        assert_eq!(r["batch/learning_rate"], cfg.learning_rate);
        assert!(r["batch/loss"].as_f64().unwrap().is_finite());
        // watch(log_freq=2): every second step carries all 12 histograms.
        let hists: Vec<&String> = r.keys().filter(|k| k.ends_with("._type")).collect();
        if step.is_multiple_of(cfg.watch_log_freq) {
            assert_eq!(hists.len(), 2 * PARAMS.len(), "step {step}: {hists:?}");
            for (name, numel) in PARAMS {
                for kind in ["gradients", "parameters"] {
                    let key = format!("{kind}/{name}");
                    assert_eq!(r[&format!("{key}._type")], "histogram", "{key}");
                    let counts: Vec<u64> = r[&format!("{key}.values")]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_u64().expect("integer count"))
                        .collect();
                    let bins = f64s(&r[&format!("{key}.bins")]);
                    assert_eq!(
                        counts.iter().sum::<u64>(),
                        numel as u64,
                        "step {step} {key}"
                    );
                    if counts.len() == 1 {
                        assert_eq!(bins.len(), 2, "{key}: min == max");
                    } else {
                        assert_eq!((counts.len(), bins.len()), (64, 65), "{key}");
                        assert!(bins.windows(2).all(|w| w[0] <= w[1]), "{key}: sorted edges");
                    }
                }
            }
        } else {
            assert!(hists.is_empty(), "step {step}: {hists:?}");
        }
    }
    // Every epoch: training average and validation loss, by `epoch`.
    let epoch_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("epoch/val_loss"))
        .collect();
    assert_eq!(epoch_rows.len(), epochs);
    for (e, r) in epoch_rows.iter().enumerate() {
        assert_eq!(r["epoch"], e as u64);
        assert!(same_f64(&r["epoch/val_loss"], out.val_losses[e]), "{r:?}");
        assert!(r["epoch/loss"].as_f64().unwrap() > 0.0);
    }
    // The chart: its table holds (t, series, value) for truth and prediction.
    let chart_row = rows.last().unwrap();
    assert_eq!(chart_row["predictions_table._type"], "table-file");
    let table_path = files_dir.join(chart_row["predictions_table.path"].as_str().unwrap());
    let table: J = serde_json::from_slice(&std::fs::read(&table_path).unwrap()).unwrap();
    assert_eq!(
        table["columns"],
        serde_json::json!(["step", "lineKey", "lineVal"])
    );
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

    // Checkpoints: one per improving epoch, copied into the run and loadable.
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
        .map(|e| format!("checkpoints/model-epoch{e}.safetensors"))
        .collect();
    let recorded: Vec<String> = file_records(&file)
        .into_iter()
        .filter(|f| f.starts_with("checkpoints/"))
        .collect();
    assert_eq!(recorded, ckpts);
    for c in &ckpts {
        let tensors = tch::Tensor::read_safetensors(files_dir.join(c)).unwrap();
        let mut names: Vec<(String, usize)> = tensors
            .iter()
            .map(|(n, t)| (n.clone(), t.numel()))
            .collect();
        names.sort();
        assert_eq!(names, out.parameters, "{c}");
    }

    // The official reader: every row, the histograms of every watch step,
    // the finished state and the summary.
    let leet = wandb_test_support::leet_inspect(&file);
    let items: Vec<&J> = leet
        .iter()
        .filter(|r| r["type"] == "history")
        .map(|r| &r["history"]["item"])
        .collect();
    assert_eq!(items.len(), rows.len());
    let watched: Vec<u64> = items
        .iter()
        .filter(|i| i.get("gradients/lstm.weight_hh_l0._type").is_some())
        .map(|i| i["batch/step"].as_u64().unwrap())
        .collect();
    assert_eq!(watched, [2, 4, 6, 8, 10, 12]);
    for item in items
        .iter()
        .filter(|i| i.get("gradients/head.bias._type").is_some())
    {
        for (name, numel) in PARAMS {
            for kind in ["gradients", "parameters"] {
                let total: u64 = item[&format!("{kind}/{name}.values")]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_u64().unwrap())
                    .sum();
                assert_eq!(total, numel as u64, "official reader: {kind}/{name}");
            }
        }
    }
    let summary = wandb_test_support::leet_summary(&file);
    assert_eq!(summary["state"], "finished");
    assert_eq!(summary["exit_code"], 0);
    let s = &summary["summary"];
    let min = out.val_losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(same_f64(&s["best_val_loss"], min));
    assert_eq!(s["best_epoch"], *improving.last().unwrap() as u64);
    assert!(same_f64(&s["epoch/val_loss"]["min"], min));
    assert!(same_f64(&s["final_val_loss"], out.val_losses[epochs - 1]));
    assert_eq!(s["batch/step"], (epochs * batches) as u64);
    assert_eq!(s["predictions_table"]["_type"], "table-file");
    for (name, _) in PARAMS {
        assert_eq!(s[&format!("gradients/{name}")]["_type"], "histogram");
        assert_eq!(s[&format!("parameters/{name}")]["_type"], "histogram");
    }

    // The official `wandb sync` and `wandb-rs sync` send the mock the same.
    let (official, ours) = official_and_our_sync(&dir, our_sync);
    assert_same_sync(&official, &ours);
    assert_eq!(official.history.len(), rows.len());
    assert_eq!(official.exitcode, Some(0));
    for c in &ckpts {
        assert!(
            official.files.contains_key(c),
            "{c} not uploaded: {:?}",
            official.files.keys()
        );
    }
    assert!(
        official
            .artifacts
            .keys()
            .any(|k| k.contains("predictions_table")),
        "{:?}",
        official.artifacts.keys()
    );
}
