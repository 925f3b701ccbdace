//! Histogram of a host `&[f32]` (the part of `watch` shared by every
//! framework). Target: 10M values in at most 20 ms.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wandb_callbacks::TensorHistogram;

fn data(n: usize) -> Vec<f32> {
    // Deterministic, roughly normal-looking values with a few non-finite ones.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if i % 1_000_003 == 0 {
                return f32::NAN;
            }
            let u = (state >> 40) as f32 / (1u64 << 24) as f32;
            let v = ((state >> 16) & 0xFF_FFFF) as f32 / (1u64 << 24) as f32;
            (u + v - 1.0) * 0.1
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram_f32");
    g.sample_size(20);
    for n in [1_000_000usize, 10_000_000] {
        let d = data(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &d, |b, d| {
            b.iter(|| TensorHistogram::from_slice(std::hint::black_box(d), 64))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
