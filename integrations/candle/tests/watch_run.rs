//! `watch` of a candle `VarMap` against a real offline run, read back with
//! the official reader (`wandb leet inspect`): every named variable's
//! gradient and parameter histogram on every logging step, for f16, bf16,
//! f32 and f64 variables; the `graph_<n>` prefix, the filter and the cap.

use candle_core::{DType, Device, Tensor};
use candle_nn::{Init, VarMap};
use serde_json::Value as J;
use wandb_callbacks::TensorHistogram;
use wandb_candle::{to_host_f32, watch, WatchLog, WatchOptions};
use wandb_core::Row;
use wandb_test_support::ScratchDir;

fn offline_run(dir: &std::path::Path, project: &str) -> wandb_core::Run {
    wandb_core::init(
        wandb_core::InitOptions::new()
            .project(project)
            .dir(dir)
            .mode(wandb_core::Mode::Offline)
            .environment([("HOME", dir.join("home").display().to_string())]),
    )
    .expect("init")
}

/// The history items of the official reader, one map per row.
fn leet_history(file: &std::path::Path) -> Vec<serde_json::Map<String, J>> {
    wandb_test_support::leet_inspect(file)
        .into_iter()
        .filter(|r| r["type"] == "history")
        .map(|r| r["history"]["item"].as_object().cloned().expect("items"))
        .collect()
}

/// The histogram logged under `key` in an official reader row.
fn logged(row: &serde_json::Map<String, J>, key: &str) -> TensorHistogram {
    assert_eq!(row[&format!("{key}._type")], "histogram", "{key}: {row:?}");
    let values = row[&format!("{key}.values")]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().expect("integer count"))
        .collect();
    let bins = row[&format!("{key}.bins")]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    TensorHistogram { values, bins }
}

fn histogram(t: &Tensor) -> TensorHistogram {
    TensorHistogram::from_slice(&to_host_f32("t", t).unwrap(), 64).unwrap()
}

/// Variables of every float dtype: each `w_<dtype>` (4x8) and `b_<dtype>` (8),
/// with loss `sum(w^2) + sum(b^3)` (gradients `2w`, `3b^2`).
#[test]
fn every_dtype_logs_gradient_and_parameter_histograms_of_every_variable() {
    let scratch = ScratchDir::new("candle-watch-dtypes");
    let run = offline_run(scratch.path(), "candle-watch");
    let varmap = VarMap::new();
    let dtypes = [
        ("f16", DType::F16),
        ("bf16", DType::BF16),
        ("f32", DType::F32),
        ("f64", DType::F64),
    ];
    let init = Init::Randn {
        mean: 0.0,
        stdev: 1.0,
    };
    let mut vars = Vec::new();
    for (n, dtype) in dtypes {
        let w = varmap
            .get((4, 8), &format!("w_{n}"), init, dtype, &Device::Cpu)
            .unwrap();
        let b = varmap
            .get(8, &format!("b_{n}"), init, dtype, &Device::Cpu)
            .unwrap();
        vars.push((format!("w_{n}"), w, 32usize));
        vars.push((format!("b_{n}"), b, 8usize));
    }
    let watcher = watch(
        &run,
        &varmap,
        WatchOptions::new().log(WatchLog::All).log_freq(2),
    );
    let mut expected = Vec::new();
    for step in 0..4u64 {
        let mut loss = Tensor::new(0f64, &Device::Cpu).unwrap();
        for (name, t, _) in &vars {
            let term = if name.starts_with('w') {
                t.sqr().unwrap()
            } else {
                t.powf(3.0).unwrap()
            };
            let term = term.sum_all().unwrap().to_dtype(DType::F64).unwrap();
            loss = (loss + term).unwrap();
        }
        let grads = loss.backward().unwrap();
        let mut want = Vec::new();
        for (name, t, _) in &vars {
            let g = grads.get(t).expect("gradient");
            assert_eq!(g.dtype(), t.dtype());
            want.push((format!("parameters/{name}"), histogram(t)));
            want.push((format!("gradients/{name}"), histogram(g)));
        }
        let n = watcher.after_backward(&grads).unwrap();
        assert_eq!(n, if step % 2 == 1 { 16 } else { 0 }, "step {step}");
        expected.push((step % 2 == 1).then_some(want));
        // Change the variables so each logging step sees other values.
        for (_, t, _) in &vars {
            let v = varmap
                .data()
                .lock()
                .unwrap()
                .values()
                .find(|v| v.as_tensor().id() == t.id())
                .cloned()
                .unwrap();
            v.set(&(t * 0.5).unwrap()).unwrap();
        }
        run.log(Row::new().with("loss", step)).unwrap();
    }
    run.finish().unwrap();

    let rows = leet_history(run.wandb_file());
    assert_eq!(rows.len(), 4);
    for (row, want) in rows.iter().zip(&expected) {
        let hist_keys = row.keys().filter(|k| k.ends_with("._type")).count();
        match want {
            None => assert_eq!(hist_keys, 0, "{row:?}"),
            Some(want) => {
                assert_eq!(hist_keys, 16);
                for (key, h) in want {
                    let got = logged(row, key);
                    assert_eq!(&got, h, "{key}");
                    assert_eq!(got.values.len(), 64, "{key}");
                }
                for (name, _, numel) in &vars {
                    for kind in ["parameters", "gradients"] {
                        let h = logged(row, &format!("{kind}/{name}"));
                        assert_eq!(h.total(), *numel as u64);
                    }
                }
            }
        }
    }
    let summary = wandb_test_support::leet_summary(run.wandb_file());
    assert_eq!(summary["state"], "finished");
    assert_eq!(summary["summary"]["gradients/w_bf16"]["_type"], "histogram");
}

/// A second watched model gets `graph_1`; the filter and the cap hold; a
/// gradient-only watch logs no parameters; big tensors are binned in place.
#[test]
fn second_watch_prefix_filter_cap_and_large_tensors() {
    let scratch = ScratchDir::new("candle-watch-options");
    let run = offline_run(scratch.path(), "candle-watch");
    let first = VarMap::new();
    let second = VarMap::new();
    let init = Init::Const(0.5);
    // 300 x 300 = 90 000 values: more than DeferredHistogram::MAX_LEN.
    let big = first
        .get((300, 300), "big.weight", init, DType::F32, &Device::Cpu)
        .unwrap();
    let bias = first
        .get(3, "big.bias", init, DType::F32, &Device::Cpu)
        .unwrap();
    let names = ["a.weight", "b.weight", "c.bias", "d.weight"];
    let small: Vec<Tensor> = names
        .iter()
        .map(|n| second.get(5, n, init, DType::F32, &Device::Cpu).unwrap())
        .collect();
    let w1 = watch(&run, &first, WatchOptions::new().log_freq(1));
    let w2 = watch(
        &run,
        &second,
        WatchOptions::new()
            .log(WatchLog::All)
            .log_freq(1)
            .filter(|n| !n.ends_with(".bias"))
            .max_tensors_per_step(4),
    );
    assert_eq!((w1.inner().index(), w2.inner().index()), (0, 1));
    let ramp = Tensor::arange(0f32, 90_000f32, &Device::Cpu)
        .unwrap()
        .reshape((300, 300))
        .unwrap();
    let mut loss = (big * &ramp).unwrap().sum_all().unwrap();
    loss = (loss + bias.sum_all().unwrap()).unwrap();
    for t in &small {
        loss = (loss + t.sum_all().unwrap()).unwrap();
    }
    let grads = loss.backward().unwrap();
    assert_eq!(w1.after_backward(&grads).unwrap(), 2);
    // The cap counts histograms: a.weight and b.weight (2 each); c.bias is
    // filtered out, d.weight over the cap.
    assert_eq!(w2.after_backward(&grads).unwrap(), 4);
    run.log(Row::new().with("loss", 1)).unwrap();
    run.finish().unwrap();

    let rows = leet_history(run.wandb_file());
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let mut keys: Vec<&str> = row
        .keys()
        .filter_map(|k| k.strip_suffix("._type"))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "gradients/big.bias",
            "gradients/big.weight",
            "gradients/graph_1a.weight",
            "gradients/graph_1b.weight",
            "parameters/graph_1a.weight",
            "parameters/graph_1b.weight",
        ]
    );
    // The gradient of big.weight is the ramp 0..90000.
    assert_eq!(logged(row, "gradients/big.weight"), histogram(&ramp));
    let h = logged(row, "gradients/big.weight");
    assert_eq!(h.total(), 90_000);
    // Constant tensors: one bin [min, max].
    assert_eq!(logged(row, "parameters/graph_1a.weight").values, vec![5]);
    assert_eq!(logged(row, "gradients/big.bias").bins, vec![1.0f32, 1.0]);
}
