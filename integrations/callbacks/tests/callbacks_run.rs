//! The callbacks against a real offline run, read back with wandb-core's
//! reader and the official `wandb leet inspect`.

mod common;

use std::sync::{Arc, Mutex};

use common::{artifact_records, file_records, history_rows, metric_records, offline_run};
use wandb_callbacks::{
    fit, BoxError, CallbackList, EarlyStopping, LearningRateLogger, Metrics, Mode, ModelCheckpoint,
    TrainState, TrainTask, WandbCallback,
};

/// 3 batches per epoch; the validation loss improves for two epochs, then worsens.
struct Scripted {
    left: usize,
    val: Vec<f64>,
}

impl TrainTask for Scripted {
    type Batch = f64;

    fn begin_epoch(&mut self, _: &TrainState) -> Result<(), BoxError> {
        self.left = 3;
        Ok(())
    }

    fn next_batch(&mut self, state: &TrainState) -> Option<f64> {
        (self.left > 0).then(|| {
            self.left -= 1;
            1.0 / (1.0 + state.global_step as f64)
        })
    }

    fn train_step(&mut self, loss: f64, _: &mut TrainState) -> Result<Metrics, BoxError> {
        Ok(Metrics::from([
            ("loss".to_owned(), loss),
            ("acc".to_owned(), 1.0 - loss),
        ]))
    }

    fn validate(&mut self, state: &mut TrainState) -> Result<Option<Metrics>, BoxError> {
        Ok(Some(Metrics::from([(
            "loss".to_owned(),
            self.val[state.epoch],
        )])))
    }

    fn learning_rate(&self, state: &TrainState) -> Option<f64> {
        Some(0.1 * 0.5f64.powi(state.epoch as i32))
    }
}

#[test]
fn fit_logs_batches_epochs_best_checkpoints_and_stops_early() {
    let tmp = tempfile::tempdir().unwrap();
    let run = offline_run(tmp.path(), "callbacks-fit");
    let ckpt_dir = tmp.path().join("ckpt");
    std::fs::create_dir_all(&ckpt_dir).unwrap();
    let restored = Arc::new(Mutex::new(None));
    let restored2 = restored.clone();

    let mut callbacks = CallbackList::new()
        .with(LearningRateLogger::new(&run))
        .with(WandbCallback::new(&run).log_freq(2))
        .with(
            ModelCheckpoint::new("val_loss", Mode::Min, move |req| {
                let path = ckpt_dir.join(format!("model-{}.bin", req.epoch));
                std::fs::write(&path, format!("weights of epoch {}", req.epoch))?;
                Ok(Some(path))
            })
            .save_best_only(true)
            .log_to_run(&run),
        )
        .with(
            EarlyStopping::new("val_loss", Mode::Auto)
                .patience(2)
                .restore_best(move |epoch| {
                    *restored2.lock().unwrap() = Some(epoch);
                    Ok(())
                }),
        );
    let mut task = Scripted {
        left: 0,
        val: vec![1.0, 0.5, 0.6, 0.7, 0.8, 0.9],
    };
    let report = fit(&mut task, 6, &mut callbacks).unwrap();
    assert_eq!(
        report.epochs_run, 4,
        "stopped after two epochs without improvement"
    );
    assert_eq!(report.global_step, 12);
    assert!(report
        .stopped_early
        .as_deref()
        .unwrap()
        .contains("val_loss"));
    assert_eq!(*restored.lock().unwrap(), Some(1));
    assert_eq!(report.history[1]["val_loss"], 0.5);
    assert!((report.history[0]["loss"] - (1.0 + 0.5 + 1.0 / 3.0) / 3.0).abs() < 1e-12);
    run.finish().unwrap();

    let file = run.wandb_file().to_path_buf();
    let rows = history_rows(&file);
    // Batch rows every 2 batches, with the global step and the learning rate.
    let batch: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("batch/loss"))
        .collect();
    assert_eq!(batch.len(), 6);
    for (i, r) in batch.iter().enumerate() {
        assert_eq!(r["batch/step"], (2 * (i + 1)) as u64);
        assert!(r.contains_key("batch/acc"));
        assert!(r["batch/learning_rate"].as_f64().unwrap() > 0.0);
        // The LearningRateLogger's commit=false value joined the same row.
        assert_eq!(r["lr"], r["batch/learning_rate"]);
    }
    // One row per epoch, with `epoch` and the val_ metrics.
    let epochs: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("epoch/loss"))
        .collect();
    assert_eq!(epochs.len(), 4);
    for (e, r) in epochs.iter().enumerate() {
        assert_eq!(r["epoch"], e as u64);
        assert_eq!(r["epoch/val_loss"], task.val[e]);
        assert_eq!(r["epoch/learning_rate"], 0.1 * 0.5f64.powi(e as i32));
    }
    // epoch/* uses `epoch` as its x axis; the monitored metric has the min summary and goal.
    let metrics = metric_records(&file);
    let glob = metrics.iter().find(|m| m.glob_name == "epoch/*").unwrap();
    assert_eq!(glob.step_metric, "epoch");
    let mon = metrics.iter().find(|m| m.name == "epoch/val_loss").unwrap();
    assert!(mon.summary.as_ref().unwrap().min);
    assert_eq!(
        mon.goal,
        wandb_core::proto::metric_record::MetricGoal::GoalMinimize as i32
    );
    // Best checkpoints (epochs 0 and 1) were logged as versions of the
    // run's `model` artifact, with the score in the metadata.
    let arts = artifact_records(&file);
    assert_eq!(arts.len(), 2, "{arts:?}");
    let name = format!("model-{}", run.id());
    for (e, a) in arts.iter().enumerate() {
        assert_eq!(
            (a.name.as_str(), a.r#type.as_str()),
            (name.as_str(), "model")
        );
        let mut aliases = a.aliases.clone();
        aliases.sort();
        assert_eq!(aliases, ["best", format!("epoch_{e}").as_str(), "latest"]);
        let meta: serde_json::Value = serde_json::from_str(&a.metadata).unwrap();
        assert_eq!(meta["score"], task.val[e]);
        assert_eq!(meta["epoch"], e as u64);
        assert_eq!(meta["monitor"], "val_loss");
        assert_eq!(meta["mode"], "min");
        assert_eq!(meta["original_filename"], format!("model-{e}.bin"));
        let m = a.manifest.as_ref().unwrap();
        assert_eq!(m.contents.len(), 1);
        let entry = &m.contents[0];
        assert_eq!(entry.path, format!("model-{e}.bin"));
        let staged = std::fs::read(&entry.local_path).unwrap();
        assert_eq!(staged, format!("weights of epoch {e}").as_bytes());
        assert_eq!(entry.digest, wandb_core::artifact::digest::b64_md5(&staged));
        assert_eq!(
            a.digest,
            wandb_core::artifact::digest::manifest_digest(&[(&entry.path, &entry.digest)])
        );
    }
    // no plain run-file copies any more
    assert!(!file_records(&file)
        .iter()
        .any(|f| f.starts_with("checkpoints/")));

    // The official reader agrees.
    let summary = wandb_test_support::leet_summary(&file);
    assert_eq!(summary["state"], "finished");
    let s = &summary["summary"];
    assert_eq!(s["best_val_loss"], 0.5);
    assert_eq!(s["best_epoch"], 1);
    assert_eq!(s["epoch/val_loss"]["min"], 0.5);
    assert_eq!(s["epoch"], 3);
}

/// Read back with `wandb-testkit`'s in-memory capture: no run directory.
#[test]
fn wandb_callback_monitors_max_metrics_and_falls_back_to_loss() {
    let (run, capture) =
        wandb_testkit::capture_run(wandb_core::InitOptions::new().project("callbacks-monitor"))
            .unwrap();
    struct NoVal(usize);
    impl TrainTask for NoVal {
        type Batch = ();
        fn begin_epoch(&mut self, _: &TrainState) -> Result<(), BoxError> {
            self.0 = 2;
            Ok(())
        }
        fn next_batch(&mut self, _: &TrainState) -> Option<()> {
            (self.0 > 0).then(|| self.0 -= 1)
        }
        fn train_step(&mut self, _: (), s: &mut TrainState) -> Result<Metrics, BoxError> {
            let loss = [0.9, 0.3, 0.5][s.epoch];
            Ok(Metrics::from([
                ("loss".to_owned(), loss),
                ("accuracy".to_owned(), 1.0 - loss),
            ]))
        }
    }
    let mut default_monitor = WandbCallback::new(&run).log_freq(0);
    fit(&mut NoVal(0), 3, &mut default_monitor).unwrap();
    assert_eq!(default_monitor.best(), Some((0.3, 1)));

    let mut acc = WandbCallback::new(&run)
        .log_freq(0)
        .monitor("accuracy", Mode::Auto);
    fit(&mut NoVal(0), 3, &mut acc).unwrap();
    assert_eq!(acc.best(), Some((0.7, 1)));
    run.finish().unwrap();

    let rows = capture.history();
    // 3 epochs of each fit, one row each; log_freq 0: no batch rows.
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(rows.iter().all(|r| !r.contains_key("batch/loss")));
    let losses: Vec<f64> = capture
        .scalars("epoch/loss")
        .iter()
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(losses, [0.9, 0.3, 0.5, 0.9, 0.3, 0.5]);
    let metrics = capture.metric_definitions();
    let acc_def = metrics.iter().find(|m| m.name == "epoch/accuracy").unwrap();
    assert!(acc_def.summary.as_ref().unwrap().max);
    assert_eq!(
        acc_def.goal,
        wandb_core::proto::metric_record::MetricGoal::GoalMaximize as i32
    );
    assert!(metrics.iter().any(|m| m.name == "epoch/loss"));
}

#[test]
fn errors_end_training_but_reach_on_train_end() {
    struct Failing;
    impl TrainTask for Failing {
        type Batch = ();
        fn next_batch(&mut self, s: &TrainState) -> Option<()> {
            (s.batch < 2).then_some(())
        }
        fn train_step(&mut self, _: (), s: &mut TrainState) -> Result<Metrics, BoxError> {
            if s.global_step == 1 {
                return Err("exploding gradient".into());
            }
            Ok(Metrics::new())
        }
    }
    struct Ended(bool);
    impl wandb_callbacks::Callback for Ended {
        fn on_train_end(
            &mut self,
            _: &mut TrainState,
            _: &Metrics,
        ) -> Result<(), wandb_callbacks::CallbackError> {
            self.0 = true;
            Ok(())
        }
    }
    let mut ended = Ended(false);
    let err = fit(&mut Failing, 3, &mut ended).unwrap_err();
    assert!(ended.0);
    let msg = err.to_string();
    assert!(
        msg.contains("epoch 0") && msg.contains("exploding gradient"),
        "{msg}"
    );
}
