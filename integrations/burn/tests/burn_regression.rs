//! End to end: the `burn_regression` example (SupervisedTraining on the flex
//! backend, 2 epochs, WandbMetricLogger + watch(log=all)) writes a run that
//! wandb-core's reader and the official `wandb leet inspect` both read back
//! with every metric and histogram in place.

#[path = "../../../examples/burn_regression.rs"]
#[allow(dead_code)]
mod example;

use serde_json::{Map, Value as J};
use wandb_core::proto::record::RecordType;

fn history_rows(run_file: &std::path::Path) -> Vec<Map<String, J>> {
    let out = wandb_core::store::read_file(run_file).expect("read .wandb");
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    out.records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::History(h)) => Some(
                h.item
                    .into_iter()
                    .map(|i| {
                        let key = if i.nested_key.is_empty() {
                            i.key
                        } else {
                            i.nested_key.join(".")
                        };
                        (key, serde_json::from_str(&i.value_json).unwrap_or(J::Null))
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

const PARAMS: [(&str, usize); 4] = [
    ("fc1.weight", 3 * 8),
    ("fc1.bias", 8),
    ("fc2.weight", 8),
    ("fc2.bias", 1),
];

#[test]
fn supervised_training_run_has_metrics_histograms_and_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("burn-e2e")
            .dir(tmp.path())
            .mode(wandb_core::Mode::Offline)
            // no WANDB_* variable or settings file of the machine
            .environment([("HOME", tmp.path().join("home").display().to_string())]),
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
    let burn_dir = tmp.path().join("burn");
    example::train(Some(&run), &burn_dir, &cfg);
    run.finish().unwrap();
    // burn's checkpointer ran (it reads the valid loss through read_numeric).
    let ckpt = burn_dir.join("checkpoint").join("model-2.bpk");
    assert!(ckpt.exists(), "{} missing", ckpt.display());
    let file = run.wandb_file().to_path_buf();

    let rows = history_rows(&file);
    // One loss per training batch (4 batches x 2 epochs), with a global step and the epoch.
    let train: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("train/Loss"))
        .collect();
    assert_eq!(train.len(), 8);
    for (i, r) in train.iter().enumerate() {
        assert_eq!(r["global_step"], (i + 1) as u64);
        assert_eq!(r["epoch"], (i / 4 + 1) as u64);
        assert!(r["train/Loss"].as_f64().unwrap().is_finite());
    }
    // One validation loss and one training epoch loss per epoch.
    let epochs: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("valid/Loss"))
        .collect();
    assert_eq!(epochs.len(), 2);
    for (e, r) in epochs.iter().enumerate() {
        assert_eq!(r["epoch"], (e + 1) as u64);
        assert_eq!(r["global_step"], (4 * (e + 1)) as u64);
        assert!(r["train_epoch/Loss"].as_f64().unwrap() > 0.0);
    }
    let valid: Vec<f64> = epochs
        .iter()
        .map(|r| r["valid/Loss"].as_f64().unwrap())
        .collect();

    // Histograms: log_freq 2 over 8 steps logs 4 times; every named
    // parameter has a gradient and a parameter histogram in the official shape.
    let with_hist: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("gradients/fc1.weight._type"))
        .collect();
    // Each joins the row of its own training batch, although burn hands the
    // metrics to the logger later, on another thread.
    let hist_steps: Vec<_> = with_hist
        .iter()
        .map(|r| r["global_step"].as_u64())
        .collect();
    assert_eq!(hist_steps, [Some(2), Some(4), Some(6), Some(8)]);
    for r in &with_hist {
        assert!(r.contains_key("train/Loss"), "{r:?}");
    }
    for r in &with_hist {
        for (name, numel) in PARAMS {
            for kind in ["gradients", "parameters"] {
                let key = format!("{kind}/{name}");
                assert_eq!(r[&format!("{key}._type")], "histogram", "{key}");
                let counts = r[&format!("{key}.values")].as_array().unwrap();
                let bins = r[&format!("{key}.bins")].as_array().unwrap();
                let total: u64 = counts.iter().map(|c| c.as_u64().expect("int")).sum();
                assert_eq!(total as usize, numel, "{key}");
                if counts.len() == 1 {
                    assert_eq!(bins.len(), 2, "{key}: min == max");
                } else {
                    assert_eq!((counts.len(), bins.len()), (64, 65), "{key}");
                    let b: Vec<f64> = bins.iter().map(|b| b.as_f64().unwrap()).collect();
                    assert!(b.windows(2).all(|w| w[0] <= w[1]), "{key}: sorted edges");
                }
            }
        }
    }

    // The official reader: same history, finished state, epoch summary.
    let leet = wandb_test_support::leet_inspect(&file);
    let leet_train = leet
        .iter()
        .filter(|r| r["type"] == "history" && r["history"]["item"].get("train/Loss").is_some())
        .count();
    assert_eq!(leet_train, 8);
    let summary = wandb_test_support::leet_summary(&file);
    assert_eq!(summary["state"], "finished");
    assert_eq!(summary["exit_code"], 0);
    let s = &summary["summary"];
    assert_eq!(s["epoch"], 2);
    assert_eq!(s["global_step"], 8);
    let min = valid.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(s["valid/Loss"]["min"].as_f64().unwrap(), min);
    for (name, _) in PARAMS {
        assert_eq!(s[&format!("gradients/{name}")]["_type"], "histogram");
        assert_eq!(s[&format!("parameters/{name}")]["_type"], "histogram");
    }
}
