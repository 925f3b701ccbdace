//! The `watch` histogram of a 10M-value candle tensor on the CPU, from the
//! tensor (target: at most 20 ms including the copy to the host):
//! - `in_place/f32`: what `watch` does for a large contiguous f32 CPU
//!   tensor (its storage is binned where it lies, no copy);
//! - `host_copy/<dtype>`: copy to the host and conversion to f32 into the
//!   buffer the watcher reuses from one logging step to the next, then
//!   binning (the path of every other tensor: f16, bf16, f64, strided,
//!   non-CPU devices);
//! - `fresh_alloc/F32`: the same into a new `Vec` each time (the first
//!   logging step; the page faults of 40 MB cost more than the copy).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wandb_callbacks::TensorHistogram;
use wandb_candle::candle_core::{DType, Device, Tensor};

const N: usize = 10_000_000;

fn tensor() -> Tensor {
    // Deterministic, roughly normal-looking values (as the callbacks bench).
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let v: Vec<f32> = (0..N)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 40) as f32 / (1u64 << 24) as f32;
            let w = ((state >> 16) & 0xFF_FFFF) as f32 / (1u64 << 24) as f32;
            (u + w - 1.0) * 0.1
        })
        .collect();
    Tensor::from_vec(v, (1000, 10_000), &Device::Cpu).expect("tensor")
}

fn bench(c: &mut Criterion) {
    let t = tensor();
    let mut g = c.benchmark_group("candle_histogram_10M");
    g.sample_size(20);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("in_place/f32", |b| {
        b.iter(|| wandb_candle::tensor_histogram(std::hint::black_box(&t), 64))
    });
    for dtype in [DType::F32, DType::BF16, DType::F16, DType::F64] {
        let td = t.to_dtype(dtype).expect("dtype");
        let mut buf = Vec::new();
        g.bench_with_input(
            BenchmarkId::new("host_copy", format!("{dtype:?}")),
            &td,
            |b, td| {
                b.iter(|| {
                    wandb_candle::read_f32_into("w", std::hint::black_box(td), &mut buf)
                        .expect("copy");
                    TensorHistogram::from_slice(&buf, 64)
                })
            },
        );
    }
    g.bench_function("fresh_alloc/F32", |b| {
        b.iter(|| {
            let v = wandb_candle::to_host_f32("w", std::hint::black_box(&t)).expect("copy");
            TensorHistogram::from_slice(&v, 64)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
