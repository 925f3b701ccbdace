//! Histogram binning and summary statistics against numpy in the oracle venv
//! (`numpy.histogram`, `numpy.percentile`, `numpy.var`), bit for bit.

use wandb_data_types::{numpy_histogram, Histogram};
use wandb_test_support::{oracle_python_run, ScratchDir};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const PY: &str = r#"
import sys, json, numpy as np
out = []
for path, dt, bins in json.loads(sys.argv[1]):
    a = np.fromfile(path, dtype=dt)
    a = a[np.isfinite(a)]
    c, e = np.histogram(a, bins=bins)
    out.append({"counts": c.tolist(), "edges": [float(x).hex() for x in e]})
print(json.dumps(out))
"#;

fn f64_from_hex(s: &str) -> f64 {
    // Python float.hex(): [-]0x1.<hex>p<exp> or 0x0.0p+0
    let neg = s.starts_with('-');
    let s = s.trim_start_matches('-').trim_start_matches("0x");
    let (mant, exp) = s.split_once('p').unwrap();
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut m = u64::from_str_radix(int, 16).unwrap() as f64;
    let mut scale = 1.0 / 16.0;
    for ch in frac.chars() {
        m += ch.to_digit(16).unwrap() as f64 * scale;
        scale /= 16.0;
    }
    let v = m * 2f64.powi(exp.parse::<i32>().unwrap());
    if neg {
        -v
    } else {
        v
    }
}

#[test]
fn numpy_histogram_matches_numpy_bit_for_bit() {
    let scratch = ScratchDir::new("dt-numpy");
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut f32_sets: Vec<(Vec<f32>, usize)> = vec![
        (
            (0..100_000)
                .map(|_| rng.unit() as f32 * 4.0 - 2.0)
                .collect(),
            64,
        ),
        // Normal-ish, many values near bin edges.
        (
            (0..50_000)
                .map(|_| ((rng.unit() + rng.unit() + rng.unit()) * 10.0).round() as f32 / 10.0)
                .collect(),
            64,
        ),
        // Large offset, tiny range: coarse f32 edges.
        (
            (0..20_000)
                .map(|_| 1000.0 + rng.unit() as f32 * 0.01)
                .collect(),
            64,
        ),
        (
            (0..20_000)
                .map(|_| (rng.unit() as f32 - 0.5) * 1e-30)
                .collect(),
            512,
        ),
        ((0..1000).map(|i| i as f32).collect(), 7),
        (vec![3.0; 10], 64),
        (
            vec![1.0, f32::NAN, 2.0, f32::INFINITY, -f32::INFINITY, 2.0],
            3,
        ),
    ];
    f32_sets.push((
        (0..30_000)
            .map(|_| (rng.next() % 64) as f32 / 16.0 - 2.0)
            .collect(),
        64,
    ));
    let f64_sets: Vec<(Vec<f64>, usize)> = vec![
        (
            (0..100_000).map(|_| rng.unit() * 200.0 - 100.0).collect(),
            64,
        ),
        (
            (0..10_000)
                .map(|_| (rng.next() % 100) as f64 * 0.1)
                .collect(),
            32,
        ),
        ((0..10_000).map(|_| 1e9 + rng.unit() * 1e-5).collect(), 64),
        (vec![1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 10.0], 64),
    ];
    let mut spec = Vec::new();
    let mut ours: Vec<(Vec<u64>, Vec<f64>)> = Vec::new();
    for (i, (v, bins)) in f32_sets.iter().enumerate() {
        let p = scratch.path().join(format!("f32_{i}.bin"));
        std::fs::write(
            &p,
            v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
        )
        .unwrap();
        spec.push(serde_json::json!([p, "<f4", bins]));
        let (c, e, _) = numpy_histogram(v, *bins);
        ours.push((c, e.into_iter().map(f64::from).collect()));
    }
    for (i, (v, bins)) in f64_sets.iter().enumerate() {
        let p = scratch.path().join(format!("f64_{i}.bin"));
        std::fs::write(
            &p,
            v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
        )
        .unwrap();
        spec.push(serde_json::json!([p, "<f8", bins]));
        let (c, e, _) = numpy_histogram(v, *bins);
        ours.push((c, e));
    }
    let out = oracle_python_run(
        PY,
        &[&serde_json::to_string(&spec).unwrap()],
        scratch.path(),
    );
    let theirs: Vec<serde_json::Value> = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(theirs.len(), ours.len());
    for (i, (t, (c, e))) in theirs.iter().zip(&ours).enumerate() {
        let tc: Vec<u64> = t["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        let te: Vec<f64> = t["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| f64_from_hex(x.as_str().unwrap()))
            .collect();
        assert_eq!(&te, e, "edges of set {i}");
        assert_eq!(&tc, c, "counts of set {i}");
    }
    // The public type drops non-finite values and says how many.
    let h = Histogram::from_f32_bins(&f32_sets[6].0, 3).unwrap();
    assert_eq!(h.dropped_non_finite(), 3);
}
