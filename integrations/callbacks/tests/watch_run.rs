//! `watch` against a real offline run: the reference scenario of the
//! official client (log="all", log_freq=2, 4 steps each followed by a
//! committed `log`), the `graph_<n>` prefix, the name filter and the cap.

mod common;

use common::{history_rows, offline_run};
use serde_json::Value as J;
use wandb_callbacks::{watch, WatchLog, WatchOptions};
use wandb_core::Row;

/// The reference model's parameters: Sequential(Linear(3,4), ReLU, Linear(4,1)).
fn params(step: usize) -> Vec<(&'static str, Vec<f32>)> {
    let s = step as f32;
    vec![
        (
            "0.weight",
            (0..12)
                .map(|i| (i as f32 - 6.0) * 0.05 + s * 0.01)
                .collect(),
        ),
        ("0.bias", (0..4).map(|i| i as f32 * 0.1 - s).collect()),
        ("2.weight", (0..4).map(|i| 0.3 - i as f32 * 0.2).collect()),
        ("2.bias", vec![0.022_632_562]),
    ]
}

#[test]
fn reference_scenario_histograms_join_rows_of_steps_1_and_3() {
    let tmp = tempfile::tempdir().unwrap();
    let run = offline_run(tmp.path(), "watch-ref");
    let watcher = watch(&run, WatchOptions::new().log(WatchLog::All).log_freq(2));
    assert_eq!(watcher.prefix(), "");
    for step in 0..4 {
        let p = params(step);
        let logged = watcher
            .observe(|s| {
                for (name, values) in &p {
                    s.parameter(name, values);
                    let grads: Vec<f32> = values.iter().map(|v| v * 0.5).collect();
                    s.gradient(name, &grads);
                }
            })
            .unwrap();
        assert_eq!(logged, if step % 2 == 1 { 8 } else { 0 });
        run.log(Row::new().with("loss", 1.0 / (step as f64 + 1.0)))
            .unwrap();
    }
    run.finish().unwrap();

    let file = run.wandb_file().to_path_buf();
    let rows = history_rows(&file);
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["_step"], i as u64);
        let hist_keys: Vec<&String> = row.keys().filter(|k| k.ends_with("._type")).collect();
        if i % 2 == 1 {
            assert_eq!(hist_keys.len(), 8, "row {i}: {hist_keys:?}");
        } else {
            assert!(hist_keys.is_empty(), "row {i}: {hist_keys:?}");
        }
    }
    let r1 = &rows[1];
    for kind in ["gradients", "parameters"] {
        for (name, values) in params(1) {
            let key = format!("{kind}/{name}");
            assert_eq!(r1[&format!("{key}._type")], "histogram");
            let counts = r1[&format!("{key}.values")].as_array().unwrap();
            let bins = r1[&format!("{key}.bins")].as_array().unwrap();
            let total: u64 = counts
                .iter()
                .map(|c| c.as_u64().expect("integer count"))
                .sum();
            assert_eq!(total as usize, values.len(), "{key}");
            if values.len() == 1 {
                // min == max
                assert_eq!(counts.len(), 1);
                assert_eq!(bins.len(), 2);
                assert_eq!(bins[0], bins[1]);
            } else {
                assert_eq!(counts.len(), 64);
                assert_eq!(bins.len(), 65);
            }
        }
    }
    // The official reader sees the same keys, nested under the history key.
    let leet = wandb_test_support::leet_inspect(&file);
    let histories: Vec<&J> = leet.iter().filter(|r| r["type"] == "history").collect();
    assert_eq!(histories.len(), 4);
    let item = &histories[3]["history"]["item"];
    assert_eq!(item["gradients/0.weight._type"], "histogram");
    assert_eq!(item["parameters/2.bias.values"], serde_json::json!([1]));
    assert_eq!(item["loss"], 0.25);
    let summary = wandb_test_support::leet_summary(&file);
    assert_eq!(summary["summary"]["gradients/0.bias"]["_type"], "histogram");
    assert_eq!(summary["state"], "finished");
}

#[test]
fn second_model_gets_graph_prefix_filter_and_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let run = offline_run(tmp.path(), "watch-prefix");
    let first = watch(&run, WatchOptions::new().log_freq(1));
    let second = watch(
        &run,
        WatchOptions::new()
            .log(WatchLog::Parameters)
            .log_freq(1)
            .filter(|n| n.starts_with("fc"))
            .max_tensors_per_step(2),
    );
    assert_eq!((first.index(), second.index()), (0, 1));
    assert_eq!(second.prefix(), "graph_1");
    let v = [1.0f32, 2.0, 3.0];
    let n1 = first
        .observe(|s| {
            assert!(s.wants_gradients() && !s.wants_parameters());
            assert!(!s.parameter("fc.weight", &v));
            assert!(s.gradient("fc.weight", &v));
        })
        .unwrap();
    let n2 = second
        .observe(|s| {
            assert!(!s.parameter("emb.weight", &v), "filtered out");
            assert!(s.parameter("fc.weight", &v));
            assert!(s.parameter_with("fc.bias", || Some(vec![0.5])));
            // the cap of 2 is reached: the closure must not even run
            assert!(!s.parameter_with("fc2.weight", || panic!("fetched past the cap")));
        })
        .unwrap();
    assert_eq!((n1, n2), (1, 2));
    run.log(Row::new().with("loss", 0.5)).unwrap();
    run.finish().unwrap();

    let rows = history_rows(run.wandb_file());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["gradients/fc.weight._type"], "histogram");
    assert_eq!(r["parameters/graph_1fc.weight._type"], "histogram");
    assert_eq!(
        r["parameters/graph_1fc.bias.values"],
        serde_json::json!([1])
    );
    assert!(!r.keys().any(|k| k.contains("emb") || k.contains("fc2")));
}

#[test]
fn steps_without_logging_and_all_non_finite_tensors_log_nothing() {
    let (run, capture) =
        wandb_testkit::capture_run(wandb_core::InitOptions::new().project("watch-quiet")).unwrap();
    let w = watch(
        &run,
        WatchOptions::new().log(WatchLog::All).log_freq(3).idx(0),
    );
    assert!(w.step().is_none());
    assert!(w.step().is_none());
    let mut s = w.step().expect("third step logs");
    assert!(!s.gradient("x", &[f32::NAN, f32::INFINITY]));
    assert!(s.is_empty());
    assert_eq!(s.commit().unwrap(), 0);
    assert!(w.step_at(0).is_none() && w.step_at(2).is_some());
    assert_eq!(w.steps(), 3);
    run.finish().unwrap();
    assert!(capture.history().is_empty());
    // the run itself ran: its records end with a clean exit
    assert_eq!(capture.exit_code(), Some(0));
}

#[test]
fn owned_tensors_give_the_same_rows_as_slices_small_ones_computed_on_the_writer() {
    // Small (deferred to the writer thread), mixed with non-finite values,
    // one value, and larger than the deferral limit (computed at once).
    let big = wandb_callbacks::DeferredHistogram::MAX_LEN + 3;
    let tensors: Vec<(&str, Vec<f32>)> = vec![
        ("a", (0..300).map(|i| (i as f32 * 0.37).sin()).collect()),
        ("b", vec![f32::NAN, 1.5, f32::NEG_INFINITY, -2.0, 0.25]),
        ("c", vec![7.0]),
        (
            "d",
            (0..big).map(|i| (i % 1000) as f32 * 1e-3 - 0.5).collect(),
        ),
    ];
    let write = |owned: bool| {
        let tmp = tempfile::tempdir().unwrap();
        let run = offline_run(tmp.path(), if owned { "owned" } else { "sliced" });
        let w = watch(&run, WatchOptions::new().log(WatchLog::All).log_freq(1));
        let n = w
            .observe(|s| {
                for (name, v) in &tensors {
                    if owned {
                        assert!(s.parameter_with(name, || Some(v.clone())));
                        assert!(s.gradient_with(name, || Some(v.iter().map(|x| x * 2.0).collect())));
                    } else {
                        assert!(s.parameter(name, v));
                        let g: Vec<f32> = v.iter().map(|x| x * 2.0).collect();
                        assert!(s.gradient(name, &g));
                    }
                }
                // No finite value: no histogram, either way.
                assert!(!s.gradient_with("nan", || Some(vec![f32::NAN; 4])));
            })
            .unwrap();
        assert_eq!(n, 8);
        run.log(Row::new().with("loss", 0.5)).unwrap();
        run.finish().unwrap();
        let mut rows = history_rows(run.wandb_file());
        for r in rows.iter_mut() {
            r.remove("_runtime");
            r.remove("_timestamp");
        }
        let summary = wandb_test_support::leet_summary(run.wandb_file());
        (rows, summary["summary"]["parameters/a"].clone())
    };
    let (sliced, sliced_summary) = write(false);
    let (owned, owned_summary) = write(true);
    assert_eq!(owned, sliced);
    assert_eq!(
        owned[0]["parameters/b.values"].as_array().unwrap().len(),
        64
    );
    assert_eq!(owned[0]["parameters/c.values"], serde_json::json!([1]));
    assert!(!owned[0].keys().any(|k| k.contains("nan")));
    assert_eq!(owned_summary, sliced_summary);
    assert_eq!(owned_summary["_type"], "histogram");
}
