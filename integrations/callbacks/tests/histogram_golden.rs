//! The watch histograms of the official client (wandb 0.31.0, torch 2.x),
//! reproduced from inputs rebuilt out of the reference histograms.
//!
//! The reference run (tests/fixtures/watch, from `make_watch_run.py`) does not
//! store the raw tensors, but each histogram fixes them closely enough: its
//! first and last edges are the exact min and max, and every other element
//! lies somewhere in its bin. An input with the min, the max and the other
//! elements at their bin centres must give back the same counts and, bit for
//! bit, the same 65 edges (torch.linspace's float32 rule).

use wandb_callbacks::TensorHistogram;
use wandb_core::Value;

/// Fixtures are parsed with wandb-core's JSON parser, which reads every
/// number exactly (float32 edges must round-trip bit for bit).
fn fixture(name: &str) -> Value {
    let path = wandb_test_support::fixtures_dir().join("watch").join(name);
    let text = std::fs::read_to_string(&path).expect("read fixture");
    wandb_core::json::parse(&text).expect("parse fixture")
}

fn get<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.as_map()
        .and_then(|m| m.get(key))
        .unwrap_or_else(|| panic!("no key {key}"))
}

fn list(v: &Value) -> &[Value] {
    match v {
        Value::List(l) => l,
        other => panic!("not a list: {other:?}"),
    }
}

fn counts_of(v: &Value) -> Vec<u64> {
    list(v).iter().map(|c| c.as_f64().unwrap() as u64).collect()
}

fn edges_of(v: &Value) -> Vec<f32> {
    list(v)
        .iter()
        .map(|b| {
            let f = b.as_f64().unwrap();
            let g = f as f32;
            assert_eq!(f64::from(g), f, "edges are float32 values");
            g
        })
        .collect()
}

/// (key, step, counts, edges as f32) of every histogram in the reference history.
fn reference_histograms() -> Vec<(String, u64, Vec<u64>, Vec<f32>)> {
    let rows = fixture("watch_history_rows.json");
    let mut out = Vec::new();
    for row in list(&rows) {
        let step = get(row, "_step").as_f64().unwrap() as u64;
        for (k, v) in row.as_map().unwrap() {
            if v.as_map()
                .and_then(|m| m.get("_type"))
                .and_then(Value::as_str)
                != Some("histogram")
            {
                continue;
            }
            out.push((
                k.clone(),
                step,
                counts_of(get(v, "values")),
                edges_of(get(v, "bins")),
            ));
        }
    }
    out
}

/// An input consistent with a histogram: min, max, others at bin centres.
fn rebuild_input(counts: &[u64], edges: &[f32]) -> Vec<f32> {
    let mut data = Vec::new();
    if counts.len() == 1 {
        return vec![edges[0]; counts[0] as usize];
    }
    for (i, &c) in counts.iter().enumerate() {
        let centre = ((f64::from(edges[i]) + f64::from(edges[i + 1])) / 2.0) as f32;
        data.extend(std::iter::repeat_n(centre, c as usize));
    }
    let last = data.len() - 1;
    data[0] = edges[0]; // the first bin holds the minimum
    data[last] = *edges.last().unwrap(); // the last bin holds the maximum
    data
}

#[test]
fn every_reference_histogram_is_reproduced() {
    let hists = reference_histograms();
    // 4 parameters x (gradients, parameters) x steps 1 and 3
    assert_eq!(hists.len(), 16);
    let mut single_bin = 0;
    for (key, step, counts, edges) in &hists {
        let mut input = rebuild_input(counts, edges);
        // Non-finite values are dropped before anything else.
        input.push(f32::NAN);
        input.insert(1, f32::INFINITY);
        let h = TensorHistogram::from_slice(&input, 64).expect("finite values");
        assert_eq!(&h.values, counts, "{key} at step {step}: counts");
        assert_eq!(&h.bins, edges, "{key} at step {step}: edges");
        if counts.len() == 1 {
            single_bin += 1;
        }
    }
    // 2.bias has one element: the min == max case, for parameters and gradients at both steps.
    assert_eq!(single_bin, 4);
}

#[test]
fn official_json_shape() {
    let golden = fixture("watch_gradient_histogram.json");
    let value = get(&golden, "value");
    let (counts, edges) = (
        counts_of(get(value, "values")),
        edges_of(get(value, "bins")),
    );
    let h = TensorHistogram::from_slice(&rebuild_input(&counts, &edges), 64).unwrap();
    let ours_text = wandb_core::json::to_json_string(&h.to_value()).unwrap();
    // Key order and types as the Python SDK sends the value: `_type`, then
    // integer counts, then float32 edges in their shortest float64 form.
    assert!(
        ours_text.starts_with(r#"{"_type":"histogram","values":[1,0,0,"#),
        "{ours_text}"
    );
    let ours = wandb_core::json::parse(&ours_text).unwrap();
    let official =
        wandb_core::json::parse(get(&golden, "python_sdk_value_json").as_str().unwrap()).unwrap();
    assert_eq!(get(&ours, "bins"), get(&official, "bins"));
    assert_eq!(get(&ours, "values"), get(&official, "values")); // 1 == 1.0 numerically
    for c in list(get(&ours, "values")) {
        assert!(
            matches!(c, Value::Int(_) | Value::UInt(_)),
            "counts are integers, as wandb-core stores them"
        );
    }
    // The items wandb-core wrote to the .wandb file for this key hold the same text.
    for item in list(get(&golden, "wandb_record_items")) {
        let nested = list(get(item, "nested_key"));
        let field = nested[1].as_str().unwrap();
        let theirs = get(item, "value_json").as_str().unwrap();
        let ours_field = wandb_core::json::to_json_string(get(&ours, field)).unwrap();
        assert_eq!(ours_field, theirs, "field {field}");
    }
}

#[test]
fn torch_histc_hand_computed_cases() {
    // torch.histc(torch.tensor([0., 1., 1., 2., 10.]), bins=64, min=0, max=10):
    // bin = trunc(x * 64 / 10): 0 -> 0, 1 -> 6, 2 -> 12, 10 -> 63 (right edge closed)
    let h = TensorHistogram::from_slice(&[0.0, 1.0, 1.0, 2.0, 10.0], 64).unwrap();
    let mut expected = vec![0u64; 64];
    expected[0] = 1;
    expected[6] = 2;
    expected[12] = 1;
    expected[63] = 1;
    assert_eq!(h.values, expected);
    assert_eq!(h.bins.len(), 65);
    assert_eq!((h.bins[0], h.bins[64]), (0.0, 10.0));
    // torch.linspace(0, 10, 65)[1] == 0.15625 exactly
    assert_eq!(h.bins[1], 0.15625);
    // Only non-finite values: nothing is logged.
    assert!(TensorHistogram::from_slice(&[f32::NAN, f32::INFINITY], 64).is_none());
    // min == max: one bin with every finite element.
    let h = TensorHistogram::from_slice(&[-3.5, -3.5, f32::NAN], 64).unwrap();
    assert_eq!((h.values, h.bins), (vec![2], vec![-3.5, -3.5]));
}
