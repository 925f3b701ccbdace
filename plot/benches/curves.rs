//! Speed of the native ROC / PR / confusion-matrix tables.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use wandb_plot::CurveOptions;

fn inputs(n: usize, k: usize) -> (Vec<usize>, Vec<Vec<f64>>) {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let y = (0..n).map(|_| (next() % k as u64) as usize).collect();
    let p = (0..n)
        .map(|_| {
            let raw: Vec<f64> = (0..k).map(|_| (next() % 10_000 + 1) as f64).collect();
            let s: f64 = raw.iter().sum();
            raw.iter().map(|v| v / s).collect()
        })
        .collect();
    (y, p)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("plot");
    for &(n, k) in &[(1_000usize, 2usize), (10_000, 10)] {
        let (y, p) = inputs(n, k);
        let opts = CurveOptions::new();
        let id = format!("{n}x{k}");
        g.bench_with_input(BenchmarkId::new("roc_curve_data", &id), &(), |b, _| {
            b.iter(|| wandb_plot::roc_curve_data(&y, &p, &opts).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("pr_curve_data", &id), &(), |b, _| {
            b.iter(|| wandb_plot::pr_curve_data(&y, &p, &opts).unwrap())
        });
        g.bench_with_input(
            BenchmarkId::new("confusion_matrix_from_probs", &id),
            &(),
            |b, _| {
                b.iter(|| {
                    wandb_plot::confusion_matrix_from_probs::<_, _, &str>(&y, &p, None).unwrap()
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
