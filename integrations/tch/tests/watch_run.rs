//! `wandb_tch::watch` against a real offline run: which steps log, the keys
//! (variable names, `graph_<n>` prefix), exact counts, the histograms of
//! the gradients and parameters that were current at that step, buffers
//! and gradient-less parameters, filter and cap, every float dtype.

#[path = "../../callbacks/tests/common/mod.rs"]
mod common;

use common::{history_rows, offline_run};
use serde_json::{Map, Value as J};
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Tensor};
use wandb_callbacks::TensorHistogram;
use wandb_core::Row;
use wandb_tch::{watch, WatchLog, WatchOptions};

/// Sequential(Linear(3,4), ReLU, Linear(4,1)) as in the official reference
/// scenario, named `0.*` and `2.*`.
struct Mlp {
    l0: nn::Linear,
    l2: nn::Linear,
}

impl Mlp {
    fn new(vs: &nn::VarStore) -> Self {
        let root = vs.root();
        Mlp {
            l0: nn::linear(&root / "0", 3, 4, Default::default()),
            l2: nn::linear(&root / "2", 4, 1, Default::default()),
        }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.l2.forward(&self.l0.forward(x).relu())
    }
}

const PARAMS: [(&str, usize); 4] = [
    ("0.bias", 4),
    ("0.weight", 12),
    ("2.bias", 1),
    ("2.weight", 4),
];

fn batch(kind: Kind) -> (Tensor, Tensor) {
    let x = Tensor::from_slice(&[0.5f32, -1.0, 1.5, 2.0, 0.1, -0.3]).reshape([2, 3]);
    let y = Tensor::from_slice(&[1.0f32, -1.0]).reshape([2, 1]);
    (x.to_kind(kind), y.to_kind(kind))
}

/// Counts and edges of a histogram (edges as the `f32` they stand for:
/// the file writes the shortest decimal that reads back as that `f32`).
type Hist = (Vec<u64>, Vec<f32>);

/// The histogram `watch` must log for `t`.
fn expected(t: &Tensor) -> Hist {
    let f = Vec::<f32>::try_from(&t.to_kind(Kind::Float).reshape([-1])).unwrap();
    let h = TensorHistogram::from_slice(&f, 64).unwrap();
    (h.values, h.bins)
}

/// The histogram logged under `key` in `row`.
fn hist(row: &Map<String, J>, key: &str) -> Hist {
    assert_eq!(row[&format!("{key}._type")], "histogram", "{key}");
    let list = |k: &str| row[&format!("{key}.{k}")].as_array().unwrap().clone();
    (
        list("values")
            .iter()
            .map(|c| c.as_u64().expect("integer count"))
            .collect(),
        list("bins")
            .iter()
            .map(|b| b.as_f64().unwrap() as f32)
            .collect(),
    )
}

#[test]
fn log_all_every_second_step_logs_exact_histograms_of_that_step() {
    tch::manual_seed(0);
    let tmp = wandb_test_support::ScratchDir::new("tch-watch");
    let run = offline_run(tmp.path(), "tch-watch");
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Mlp::new(&vs);
    let mut opt = nn::Sgd::default().build(&vs, 0.1).unwrap();
    let watcher = watch(
        &run,
        &vs,
        WatchOptions::new().log(WatchLog::All).log_freq(2),
    );
    assert_eq!(watcher.inner().prefix(), "");
    let names: Vec<String> = watcher.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, PARAMS.map(|(n, _)| n.to_string()));
    let (x, y) = batch(Kind::Float);
    let mut want = Vec::new();
    for step in 0..4 {
        let loss = net.forward(&x).mse_loss(&y, tch::Reduction::Mean);
        opt.zero_grad();
        loss.backward();
        // What the histograms must show: the values before the update.
        let snapshot: Vec<(String, Hist, Hist)> = watcher
            .parameters()
            .iter()
            .map(|(n, t)| (n.clone(), expected(t), expected(&t.grad())))
            .collect();
        let logged = watcher.after_backward().unwrap();
        assert_eq!(logged, if step % 2 == 1 { 8 } else { 0 }, "step {step}");
        if step % 2 == 1 {
            want.push(snapshot);
        }
        opt.step();
        run.log(Row::new().with("loss", loss.double_value(&[])))
            .unwrap();
    }
    run.finish().unwrap();

    let rows = history_rows(run.wandb_file());
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["_step"], i as u64);
        let n = row.keys().filter(|k| k.ends_with("._type")).count();
        assert_eq!(n, if i % 2 == 1 { 8 } else { 0 }, "row {i}");
    }
    for (row, snapshot) in [&rows[1], &rows[3]].into_iter().zip(&want) {
        for ((name, numel), (sname, params, grads)) in PARAMS.iter().zip(snapshot) {
            assert_eq!(name, sname);
            for (kind, expect) in [("parameters", params), ("gradients", grads)] {
                let key = format!("{kind}/{name}");
                let got = hist(row, &key);
                assert_eq!(&got, expect, "{key}");
                assert_eq!(got.0.iter().sum::<u64>(), *numel as u64, "{key}");
            }
        }
    }
    // The official reader sees the same histograms in the same rows.
    let leet = wandb_test_support::leet_inspect(run.wandb_file());
    let items: Vec<&J> = leet
        .iter()
        .filter(|r| r["type"] == "history")
        .map(|r| &r["history"]["item"])
        .collect();
    assert_eq!(items.len(), 4);
    for (i, snapshot) in [(1, &want[0]), (3, &want[1])] {
        for (name, params, grads) in snapshot {
            for (kind, expect) in [("parameters", params), ("gradients", grads)] {
                let key = format!("{kind}/{name}");
                let counts: Vec<u64> = items[i][&format!("{key}.values")]
                    .as_array()
                    .unwrap_or_else(|| panic!("row {i}: {key} missing"))
                    .iter()
                    .map(|c| c.as_u64().unwrap())
                    .collect();
                assert_eq!(counts, expect.0, "official reader, row {i}: {key}");
            }
        }
    }
    assert_eq!(
        wandb_test_support::leet_summary(run.wandb_file())["state"],
        "finished"
    );
}

#[test]
fn buffers_are_not_watched_and_parameters_without_gradient_log_no_gradient() {
    let tmp = wandb_test_support::ScratchDir::new("tch-watch");
    let run = offline_run(tmp.path(), "tch-watch-buffers");
    let vs = nn::VarStore::new(Device::Cpu);
    let root = vs.root();
    let used = root.ones("used", &[3]);
    let _unused = root.zeros("unused", &[2]);
    let _running_mean = root.zeros_no_train("running_mean", &[5]);
    let watcher = watch(
        &run,
        &vs,
        WatchOptions::new().log(WatchLog::All).log_freq(1),
    );
    let names: Vec<String> = watcher.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["unused", "used"]);
    (&used * 2.0).sum(Kind::Float).backward();
    assert_eq!(watcher.after_backward().unwrap(), 3);
    run.log(Row::new().with("loss", 1.0)).unwrap();
    // Frozen parameters stay watched (their values), as named_parameters().
    let mut vs = vs;
    vs.freeze();
    assert_eq!(watcher.parameters().len(), 2);
    run.finish().unwrap();
    let rows = history_rows(run.wandb_file());
    let keys: Vec<&String> = rows[0].keys().filter(|k| k.ends_with("._type")).collect();
    assert_eq!(
        keys,
        [
            "gradients/used._type",
            "parameters/unused._type",
            "parameters/used._type"
        ]
    );
    assert_eq!(hist(&rows[0], "gradients/used"), (vec![3], vec![2.0, 2.0]));
}

#[test]
fn second_watch_is_prefixed_and_filter_and_cap_apply() {
    let tmp = wandb_test_support::ScratchDir::new("tch-watch");
    let run = offline_run(tmp.path(), "tch-watch-opts");
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Mlp::new(&vs);
    let first = watch(
        &run,
        &vs,
        WatchOptions::new()
            .filter(|n| n.ends_with(".weight"))
            .log_freq(1),
    );
    let second = watch(
        &run,
        &vs,
        WatchOptions::new()
            .log(WatchLog::Parameters)
            .max_tensors_per_step(3)
            .log_freq(1),
    );
    assert_eq!(second.inner().prefix(), "graph_1");
    let (x, y) = batch(Kind::Float);
    net.forward(&x)
        .mse_loss(&y, tch::Reduction::Mean)
        .backward();
    assert_eq!(first.after_backward().unwrap(), 2);
    assert_eq!(second.after_backward().unwrap(), 3);
    run.log(Row::new().with("loss", 0.5)).unwrap();
    run.finish().unwrap();
    let rows = history_rows(run.wandb_file());
    let mut keys: Vec<&str> = rows[0]
        .keys()
        .filter_map(|k| k.strip_suffix("._type"))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "gradients/0.weight",
            "gradients/2.weight",
            "parameters/graph_10.bias",
            "parameters/graph_10.weight",
            "parameters/graph_12.bias",
        ]
    );
}

#[test]
fn half_bfloat16_and_double_stores_are_binned_as_their_float32_cast() {
    for kind in [Kind::Half, Kind::BFloat16, Kind::Double] {
        tch::manual_seed(3);
        let tmp = wandb_test_support::ScratchDir::new("tch-watch");
        let run = offline_run(tmp.path(), "tch-watch-dtypes");
        let mut vs = nn::VarStore::new(Device::Cpu);
        let net = Mlp::new(&vs);
        vs.set_kind(kind);
        let watcher = watch(
            &run,
            &vs,
            WatchOptions::new().log(WatchLog::All).log_freq(1),
        );
        let (x, y) = batch(kind);
        net.forward(&x)
            .mse_loss(&y, tch::Reduction::Mean)
            .backward();
        let snapshot: Vec<(String, Hist, Hist)> = watcher
            .parameters()
            .iter()
            .map(|(n, t)| {
                assert_eq!(t.kind(), kind);
                (n.clone(), expected(t), expected(&t.grad()))
            })
            .collect();
        assert_eq!(watcher.after_backward().unwrap(), 8, "{kind:?}");
        run.log(Row::new().with("loss", 0.5)).unwrap();
        run.finish().unwrap();
        let rows = history_rows(run.wandb_file());
        for (name, params, grads) in &snapshot {
            assert_eq!(
                &hist(&rows[0], &format!("parameters/{name}")),
                params,
                "{kind:?} {name}"
            );
            assert_eq!(
                &hist(&rows[0], &format!("gradients/{name}")),
                grads,
                "{kind:?} {name}"
            );
        }
    }
}
