//! Cost of one system-metrics sample (what the monitor thread does once per
//! `stats_sampling_interval`, 15 s by default).
//!
//! Per-interval CPU share = time of one sample / interval; see
//! docs/system-metrics.md for the measured numbers.

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::SystemTime;
use wandb_core::system::{default_disk_paths, HostSource, MetricSource, Sample};

fn bench(c: &mut Criterion) {
    let mut host = HostSource::new(std::process::id(), default_disk_paths())
        .expect("sysinfo works on this platform");
    c.bench_function("system/host_sample", |b| {
        b.iter(|| {
            let mut s = Sample::new();
            host.sample(&mut s);
            s
        })
    });
    c.bench_function("system/host_sample_to_record", |b| {
        b.iter(|| {
            let mut s = Sample::new();
            host.sample(&mut s);
            s.to_record(SystemTime::now())
        })
    });
    #[cfg(feature = "gpu")]
    if let Some(mut gpu) = wandb_core::system::gpu::NvmlSource::new(std::process::id()) {
        c.bench_function("system/nvml_sample", |b| {
            b.iter(|| {
                let mut s = Sample::new();
                gpu.sample(&mut s);
                s
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
