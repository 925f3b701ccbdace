//! `VarStore` checkpoints: `var_store_checkpoint` through the callback
//! protocol (every epoch, best only, each a version of the run's `model` artifact) and
//! `save_var_store` in both of `vs.save`'s formats, loaded back by tch.

#[path = "../../callbacks/tests/common/mod.rs"]
mod common;

use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};
use wandb_callbacks::{Callback, CallbackDriver, Metrics};
use wandb_tch::{save_var_store, var_store_checkpoint, Mode};
use wandb_test_support::ScratchDir;

fn store() -> (VarStore, Tensor) {
    let vs = VarStore::new(Device::Cpu);
    let w = (vs.root() / "fc").randn("weight", &[3, 2], 0.0, 1.0);
    let _ = (vs.root() / "bn").zeros_no_train("running_mean", &[2]);
    (vs, w)
}

fn load(path: &std::path::Path) -> VarStore {
    let mut vs = VarStore::new(Device::Cpu);
    let _ = (vs.root() / "fc").zeros("weight", &[3, 2]);
    let _ = (vs.root() / "bn").zeros_no_train("running_mean", &[2]);
    vs.load(path).unwrap();
    vs
}

fn weight(vs: &VarStore) -> Tensor {
    vs.variables()["fc.weight"].shallow_clone()
}

#[test]
fn save_var_store_writes_both_formats_tch_loads() {
    let scratch = ScratchDir::new("tch-save");
    let (vs, w) = store();
    for name in ["m.safetensors", "m.ot"] {
        let path = scratch.path().join(name);
        save_var_store(&vs, &path).unwrap();
        assert!(weight(&load(&path)).equal(&w), "{name}");
    }
    // A directory that does not exist is an error, not a panic.
    let err = save_var_store(&vs, scratch.path().join("missing/m.safetensors")).unwrap_err();
    assert!(!err.to_string().is_empty());
}

#[test]
fn best_only_checkpoints_are_the_improving_epochs_logged_as_model_versions() {
    let scratch = ScratchDir::new("tch-ckpt");
    let run = common::offline_run(scratch.path(), "tch-ckpt");
    let (vs, mut w) = store();
    let ckpt_dir = scratch.path().join("ckpt");
    let mut ckpt = var_store_checkpoint(&vs, &ckpt_dir, "val_loss", Mode::Min)
        .save_best_only(true)
        .log_to_run(&run);
    let mut saved_weights = Vec::new();
    {
        let mut driver = CallbackDriver::new(&mut ckpt as &mut dyn Callback, Some(4));
        driver.train_begin().unwrap();
        for (epoch, val) in [0.5, 0.7, 0.3, 0.4].into_iter().enumerate() {
            driver.epoch_begin().unwrap();
            tch::no_grad(|| {
                let _ = w.f_add_scalar_(1.0).unwrap();
            });
            saved_weights.push((epoch, w.copy()));
            driver
                .validation_end(&Metrics::from([("loss".to_string(), val)]))
                .unwrap();
            driver.epoch_end().unwrap();
        }
        driver.train_end().unwrap();
    }
    let saved: Vec<usize> = ckpt.saved().iter().map(|s| s.epoch).collect();
    assert_eq!(saved, [0, 2]);
    assert_eq!(ckpt.best(), Some((0.3, 2)));
    let run_file = run.wandb_file().to_path_buf();
    let name = format!("model-{}", run.id());
    // Each saved checkpoint is a version of the run's `model-<run id>`
    // artifact; the staged copy and the file in `ckpt_dir` load back as the
    // weights of their epoch.
    run.finish().unwrap();
    let arts = common::artifact_records(&run_file);
    let mut versions = Vec::new();
    for a in &arts {
        assert_eq!(
            (a.name.as_str(), a.r#type.as_str()),
            (name.as_str(), "model")
        );
        let m = a.manifest.as_ref().unwrap();
        assert_eq!(m.contents.len(), 1, "{a:?}");
        let entry = &m.contents[0];
        let epoch = entry.path["model-epoch".len()..]
            .trim_end_matches(".safetensors")
            .parse::<usize>()
            .unwrap();
        let want = &saved_weights[epoch].1;
        // tch picks the format by extension; the staged copy has none.
        let staged = scratch.path().join(format!("staged-{}", entry.path));
        std::fs::copy(&entry.local_path, &staged).unwrap();
        for path in [staged, ckpt_dir.join(&entry.path)] {
            let got = weight(&load(&path));
            assert_eq!(got.kind(), Kind::Float);
            assert!(got.equal(want), "{}", path.display());
        }
        versions.push(entry.path.clone());
    }
    assert_eq!(
        versions,
        ["model-epoch0.safetensors", "model-epoch2.safetensors"]
    );
}
