//! `WandbCallback` driving the existing callbacks from a hand-written candle
//! loop: batch and epoch rows, the learning rate, `watch` histograms in the
//! rows of their own batches, safetensors checkpoints through
//! `VarMap::save`, and early stopping that restores the best weights.

use candle_core::{DType, Device, Tensor};
use candle_nn::{Module, Optimizer, VarBuilder, VarMap};
use serde_json::Value as J;
use wandb_callbacks::{EarlyStopping, LearningRateLogger, Mode};
use wandb_candle::{
    restore_best_weights, safetensors_checkpoint, WandbCallback, WatchLog, WatchOptions,
};
use wandb_test_support::ScratchDir;

fn snapshot(varmap: &VarMap) -> Vec<(String, Vec<f32>)> {
    let mut v: Vec<_> = varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let values = v
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            (k.clone(), values)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn hand_written_loop_logs_rows_checkpoints_and_restores_the_best_epoch() {
    let scratch = ScratchDir::new("candle-callback");
    let root = scratch.path();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("candle-callback")
            .dir(root)
            .mode(wandb_core::Mode::Offline)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let fc1 = candle_nn::linear(3, 4, vb.pp("fc1")).unwrap();
    let fc2 = candle_nn::linear(4, 1, vb.pp("fc2")).unwrap();
    let lr = 0.05;
    let mut opt = candle_nn::SGD::new(varmap.all_vars(), lr).unwrap();
    let x = Tensor::new(&[[0.5f32, -1.0, 2.0], [1.0, 0.0, -0.5]], &dev).unwrap();
    let y = Tensor::new(&[[1.0f32], [-1.0]], &dev).unwrap();
    let ckpt_dir = root.join("ckpt");
    let mut cb = WandbCallback::new(&run)
        .with_callback(LearningRateLogger::new(&run))
        .with_callback(restore_best_weights(
            EarlyStopping::new("val_loss", Mode::Min).patience(2),
            &varmap,
        ))
        .with_callback(safetensors_checkpoint(
            &varmap,
            &ckpt_dir,
            "val_loss",
            Mode::Min,
        ))
        .watch(&varmap, WatchOptions::new().log(WatchLog::All).log_freq(2));
    // Validation losses chosen by the test: best at epoch 1, then worse.
    let val = [1.0, 0.5, 0.7, 0.8, 0.9, 1.0];
    let mut weights_at_epoch_end = Vec::new();
    cb.train_begin(Some(val.len())).unwrap();
    let mut logged = Vec::new();
    for v in val {
        cb.epoch_begin().unwrap();
        for _batch in 0..3 {
            let out = fc2
                .forward(&fc1.forward(&x).unwrap().relu().unwrap())
                .unwrap();
            let loss = (out - &y).unwrap().sqr().unwrap().mean_all().unwrap();
            let grads = loss.backward().unwrap();
            logged.push(cb.after_backward(&grads).unwrap());
            opt.step(&grads).unwrap();
            cb.batch_end_loss(&loss, Some(lr)).unwrap();
        }
        cb.validation_end(&[("loss", v)]).unwrap();
        weights_at_epoch_end.push(snapshot(&varmap));
        if cb.epoch_end().unwrap() {
            break;
        }
    }
    let report = cb.train_end().unwrap();
    // Patience 2 after the best epoch 1: stopped at the end of epoch 3.
    assert_eq!(report.epochs_run, 4);
    assert_eq!(report.global_step, 12);
    assert!(report.stopped_early.is_some());
    // Histograms on batches 2, 4, ..., 12: 4 variables x 2 kinds.
    let want: Vec<usize> = (1..=12).map(|s| if s % 2 == 0 { 8 } else { 0 }).collect();
    assert_eq!(logged, want);
    // restore_best_weights put epoch 1's weights back.
    assert_eq!(snapshot(&varmap), weights_at_epoch_end[1]);
    assert_ne!(weights_at_epoch_end[3], weights_at_epoch_end[1]);
    // A checkpoint per epoch, written with VarMap::save: load them back.
    for (epoch, want) in weights_at_epoch_end.iter().enumerate() {
        let path = ckpt_dir.join(format!("model-epoch{epoch}.safetensors"));
        let mut loaded = VarMap::new();
        let vb = VarBuilder::from_varmap(&loaded, DType::F32, &dev);
        candle_nn::linear(3, 4, vb.pp("fc1")).unwrap();
        candle_nn::linear(4, 1, vb.pp("fc2")).unwrap();
        loaded.load(&path).unwrap();
        assert_eq!(&snapshot(&loaded), want, "{}", path.display());
    }
    run.finish().unwrap();

    let rows: Vec<serde_json::Map<String, J>> = wandb_test_support::leet_inspect(run.wandb_file())
        .into_iter()
        .filter(|r| r["type"] == "history")
        .map(|r| r["history"]["item"].as_object().cloned().unwrap())
        .collect();
    let batches: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("batch/loss"))
        .collect();
    assert_eq!(batches.len(), 12);
    for (i, r) in batches.iter().enumerate() {
        let step = i as u64 + 1;
        assert_eq!(r["batch/step"], step);
        assert_eq!(r["lr"], lr);
        assert_eq!(r["batch/learning_rate"], lr);
        for name in ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] {
            for kind in ["gradients", "parameters"] {
                let key = format!("{kind}/{name}._type");
                assert_eq!(
                    r.contains_key(&key),
                    step.is_multiple_of(2),
                    "{key} at {step}"
                );
            }
        }
    }
    let epochs: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("epoch/loss"))
        .collect();
    assert_eq!(epochs.len(), 4);
    for (e, r) in epochs.iter().enumerate() {
        assert_eq!(r["epoch"], e as u64);
        assert_eq!(r["epoch/val_loss"], val[e]);
    }
    let summary = wandb_test_support::leet_summary(run.wandb_file());
    assert_eq!(summary["summary"]["best_val_loss"], 0.5);
    assert_eq!(summary["summary"]["best_epoch"], 1);
    assert_eq!(summary["state"], "finished");
}
