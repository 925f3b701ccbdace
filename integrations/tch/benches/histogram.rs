//! The gradient histogram `watch` computes from a tch tensor of 10M values:
//! reading it on the host (detach, cast to f32 by libtorch when needed,
//! borrowed in place) plus the 64-bin histogram, for each float dtype.
//! Target: at most 20 ms for f32.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tch::{Device, Kind, Tensor};
use wandb_callbacks::TensorHistogram;
use wandb_tch::host::{to_host_f32, with_host_f32, with_host_f32_in};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tch_gradient_histogram");
    g.sample_size(20);
    let n: i64 = 10_000_000;
    tch::manual_seed(0);
    let base = Tensor::randn([n], (Kind::Float, Device::Cpu)) * 0.1;
    for kind in [Kind::Float, Kind::BFloat16, Kind::Half, Kind::Double] {
        let t = base.to_kind(kind);
        g.throughput(Throughput::Elements(n as u64));
        let mut scratch = Vec::new();
        g.bench_with_input(BenchmarkId::new(format!("{kind:?}"), n), &t, |b, t| {
            // What `watch` does with a tensor this large (its buffer reused).
            b.iter(|| {
                with_host_f32_in(std::hint::black_box(t), &mut scratch, |v| {
                    TensorHistogram::from_slice(v, 64)
                })
                .unwrap()
                .unwrap()
            })
        });
    }
    // bf16 with a fresh buffer each time (a watcher's first logging step).
    let bf16 = base.to_kind(Kind::BFloat16);
    g.bench_with_input(
        BenchmarkId::new("BFloat16_fresh_buffer", n),
        &bf16,
        |b, t| {
            b.iter(|| {
                with_host_f32(std::hint::black_box(t), |v| {
                    TensorHistogram::from_slice(v, 64)
                })
                .unwrap()
                .unwrap()
            })
        },
    );
    // The copy alone, for the split of the time.
    g.bench_with_input(BenchmarkId::new("Float_copy_only", n), &base, |b, t| {
        b.iter(|| to_host_f32(std::hint::black_box(t)).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("Float_borrow_only", n), &base, |b, t| {
        b.iter(|| with_host_f32(std::hint::black_box(t), |v| v.len()).unwrap())
    });
    // The whole `after_backward` of a VarStore with one 10M-value parameter
    // (gradient histogram only, every step) logging to an offline run.
    let scratch = wandb_test_support::ScratchDir::new("tch-hist-bench");
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("tch-bench")
            .dir(scratch.path())
            .mode(wandb_core::Mode::Offline)
            .environment([("HOME", scratch.path().join("home").display().to_string())]),
    )
    .unwrap();
    let vs = tch::nn::VarStore::new(Device::Cpu);
    let w = vs.root().randn("w", &[n], 0.0, 1.0);
    (&w * &w).sum(Kind::Float).backward(); // gradient 2w: normal values
    let watcher = wandb_tch::watch(&run, &vs, wandb_tch::WatchOptions::new().log_freq(1));
    g.bench_function(BenchmarkId::new("watch_after_backward", n), |b| {
        b.iter(|| watcher.after_backward().unwrap())
    });
    g.finish();
    run.finish().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
