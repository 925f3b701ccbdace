//! burn checkpoints as versions of the run's `model-<run id>` artifact: a
//! hand-written loop with `WandbCallback` + `burnpack_checkpoint` (every
//! epoch, `best` on the improving ones), read back with the official reader
//! (`wandb leet inspect`), each file loaded back by burn with the weights of
//! its epoch, and uploaded by the official `wandb sync` exactly as by
//! `wandb-rs sync`.

use std::path::Path;
use std::time::Duration;

use serde_json::Value as J;
use wandb_burn::burn;
use wandb_burn::{burnpack_checkpoint, save_module, ModelSlot, WandbCallback};
use wandb_callbacks::Mode;
use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_test_support::{assert_same_sync, leet_inspect, official_and_our_sync, ScratchDir};

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Device;

#[derive(Module, Debug)]
struct Net {
    fc: Linear,
}

fn weights(net: &Net) -> Vec<f32> {
    let mut v = net.fc.weight.val().into_data().try_to_vec::<f32>().unwrap();
    if let Some(b) = &net.fc.bias {
        v.extend(b.val().into_data().try_to_vec::<f32>().unwrap());
    }
    v
}

fn fresh(device: &Device) -> Net {
    Net {
        fc: LinearConfig::new(3, 2).init(device),
    }
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

fn strs(v: &J) -> Vec<String> {
    let mut s: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}

#[test]
fn hand_loop_burnpack_checkpoints_are_model_versions_synced_like_wandb_sync() {
    let scratch = ScratchDir::new("burn-ckpt");
    let root = scratch.path();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("burn-ckpt")
            .id("burnckpt1")
            .dir(root)
            .mode(wandb_core::Mode::Offline)
            .quiet(true)
            .console(wandb_core::Console::Off)
            .system_metrics(false)
            .environment([("HOME", root.join("home").display().to_string())]),
    )
    .unwrap();
    let device = Device::flex();
    let mut model = fresh(&device);
    let slot = ModelSlot::new();
    let ckpt_dir = root.join("ckpt");
    let mut cb = WandbCallback::new(&run).with_callback(
        burnpack_checkpoint(&slot, &ckpt_dir, "val_loss", Mode::Min).log_to_run(&run),
    );
    let val_losses = [0.5, 0.7, 0.3];
    let mut saved = Vec::new();
    cb.train_begin(Some(val_losses.len())).unwrap();
    for val in val_losses {
        cb.epoch_begin().unwrap();
        // "Training": shift every weight, so each epoch's file differs.
        model.fc.weight = model.fc.weight.map(|w| w.add_scalar(1.0));
        cb.batch_end(&[("loss", val * 2.0)]).unwrap();
        cb.validation_end(&[("loss", val)]).unwrap();
        slot.set(&model);
        saved.push(weights(&model));
        assert!(!cb.epoch_end().unwrap());
    }
    cb.train_end().unwrap();
    let dir = run.dir().to_path_buf();
    let file = run.wandb_file().to_path_buf();
    let name = format!("model-{}", run.id());
    run.finish().unwrap();

    // The official reader: one `model` version per epoch, the best ones
    // (epochs 0 and 2) aliased `best`, each holding its checkpoint file.
    let arts: Vec<J> = leet_inspect(&file)
        .into_iter()
        .filter(|r| r["type"] == "artifact")
        .collect();
    assert_eq!(arts.len(), 3, "{arts:?}");
    for (epoch, a) in arts.iter().enumerate() {
        let art = &a["artifact"];
        assert_eq!(art["name"], name.as_str(), "{a}");
        assert_eq!(art["type"], "model", "{a}");
        let mut want = vec!["latest".to_string(), format!("epoch_{epoch}")];
        if epoch != 1 {
            want.push("best".into());
        }
        want.sort();
        assert_eq!(strs(&art["aliases"]), want, "{a}");
        let meta: J = serde_json::from_str(art["metadata"].as_str().unwrap()).unwrap();
        assert_eq!(meta["score"], val_losses[epoch], "{meta}");
        assert_eq!(meta["epoch"], epoch as u64);
        let contents = art["manifest"]["contents"].as_array().unwrap();
        assert_eq!(contents.len(), 1, "{a}");
        let file_name = format!("model-epoch{epoch}.bpk");
        assert_eq!(contents[0]["path"], file_name.as_str());
        // burn loads the staged copy and the file in ckpt_dir back with the
        // weights of that epoch.
        let local = &contents[0]["localPath"];
        let local = local.as_str().or(contents[0]["local_path"].as_str());
        let staged = Path::new(local.unwrap_or_else(|| panic!("{}", contents[0])));
        for path in [staged, &ckpt_dir.join(&file_name)] {
            let loaded = fresh(&device).try_load_file(path).unwrap();
            assert_eq!(weights(&loaded), saved[epoch], "{}", path.display());
        }
    }

    // The official `wandb sync` and `wandb-rs sync` upload the same: the
    // three committed versions with their files.
    let (official, ours) = official_and_our_sync(&dir, our_sync);
    assert_same_sync(&official, &ours);
    let key = format!("model/{name}");
    let uploaded = official
        .artifacts
        .get(&key)
        .unwrap_or_else(|| panic!("no {key} in {:?}", official.artifacts.keys()));
    assert!(uploaded.committed);
    assert_eq!(
        uploaded.files.keys().cloned().collect::<Vec<_>>(),
        (0..3)
            .map(|e| format!("model-epoch{e}.bpk"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn an_empty_slot_or_a_missing_directory_is_an_error_not_a_panic() {
    let scratch = ScratchDir::new("burn-ckpt-err");
    let device = Device::flex();
    let err = save_module(&fresh(&device), scratch.path().join("missing/m.bpk")).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");

    let slot = ModelSlot::<Net>::new();
    let mut ckpt = burnpack_checkpoint(&slot, scratch.path(), "val_loss", Mode::Min);
    let mut driver = wandb_callbacks::CallbackDriver::new(
        &mut ckpt as &mut dyn wandb_callbacks::Callback,
        Some(1),
    );
    driver.train_begin().unwrap();
    driver.epoch_begin().unwrap();
    driver
        .validation_end(&wandb_callbacks::Metrics::from([("loss".to_string(), 0.1)]))
        .unwrap();
    let err = driver.epoch_end().unwrap_err();
    assert!(err.to_string().contains("ModelSlot::set"), "{err}");
}
