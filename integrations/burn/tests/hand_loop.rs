//! A hand-written burn loop with `wandb_burn::WandbCallback` (callbacks +
//! watch) and the stateless `wandb_burn::watch`.

use serde_json::{Map, Value as J};
use wandb_burn::burn;
use wandb_burn::{configure_watch, WandbCallback, WatchLog, WatchOptions};
use wandb_callbacks::{EarlyStopping, Mode};
use wandb_core::proto::record::RecordType;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};

#[derive(Module, Debug)]
struct Net {
    layers: Vec<Linear>,
}

fn rows(file: &std::path::Path) -> Vec<Map<String, J>> {
    wandb_core::store::read_file(file)
        .unwrap()
        .records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::History(h)) => Some(
                h.item
                    .into_iter()
                    .map(|i| {
                        let k = if i.nested_key.is_empty() {
                            i.key
                        } else {
                            i.nested_key.join(".")
                        };
                        (k, serde_json::from_str(&i.value_json).unwrap())
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn hand_written_loop_logs_metrics_and_vec_module_histograms() {
    let tmp = tempfile::tempdir().unwrap();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("burn-hand")
            .dir(tmp.path())
            .mode(wandb_core::Mode::Offline)
            // no WANDB_* variable or settings file of the machine
            .environment([("HOME", tmp.path().join("home").display().to_string())]),
    )
    .unwrap();
    let device = Device::flex().autodiff();
    let mut model = Net {
        layers: vec![
            LinearConfig::new(2, 4).init(&device),
            LinearConfig::new(4, 1).init(&device),
        ],
    };
    let mut optim: ModuleOptimizer = SgdConfig::new().init();
    let x = Tensor::<2>::from_data(
        TensorData::new(vec![0.5f32, -1.0, 1.5, 2.0], [2, 2]),
        &device,
    );
    let y = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, -1.0], [2, 1]), &device);

    let mut cb = WandbCallback::new(&run)
        .with_callback(EarlyStopping::new("val_loss", Mode::Min).patience(5))
        .watch(WatchOptions::new().log(WatchLog::All).log_freq(3));
    // The stateless form on a second key space: every 2nd step, gradients only.
    configure_watch(&run, WatchOptions::new().log_freq(2).idx(1));
    cb.train_begin(Some(2)).unwrap();
    let mut step = 0u64;
    let mut logged = 0;
    for _epoch in 0..2 {
        cb.epoch_begin().unwrap();
        for _batch in 0..3 {
            let out = model.layers[1].forward(model.layers[0].forward(x.clone()));
            let loss = (out - y.clone()).powi_scalar(2).mean();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            logged += cb.observe(&model, &grads).unwrap();
            wandb_burn::watch(&run, &model, &grads, step).unwrap();
            step += 1;
            model = optim.step(0.05, model, grads);
            cb.batch_end_loss(loss, Some(0.05)).unwrap();
        }
        cb.validation_end(&[("loss", 0.5)]).unwrap();
        assert!(!cb.epoch_end().unwrap());
    }
    let report = cb.train_end().unwrap();
    assert_eq!((report.epochs_run, report.global_step), (2, 6));
    assert_eq!(logged, 2 * 8, "steps 3 and 6, 4 tensors x 2 kinds");
    run.finish().unwrap();

    let rows = rows(run.wandb_file());
    let batches: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("batch/loss"))
        .collect();
    assert_eq!(batches.len(), 6);
    assert!(batches.iter().all(|r| r["batch/learning_rate"] == 0.05));
    let epochs: Vec<_> = rows
        .iter()
        .filter(|r| r.contains_key("epoch/val_loss"))
        .collect();
    assert_eq!(epochs.len(), 2);
    // Vec modules are named by index: layers.0.weight, ...
    let all_keys: Vec<&String> = rows.iter().flat_map(|r| r.keys()).collect();
    for name in [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ] {
        for kind in ["gradients", "parameters"] {
            let key = format!("{kind}/{name}._type");
            assert!(all_keys.iter().any(|k| **k == key), "{key} missing");
        }
        // the stateless watch: index 1 -> graph_1 prefix, gradients only
        assert!(all_keys
            .iter()
            .any(|k| **k == format!("gradients/graph_1{name}._type")));
        assert!(!all_keys
            .iter()
            .any(|k| **k == format!("parameters/graph_1{name}._type")));
    }
}
