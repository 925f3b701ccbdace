//! Cost of one system-metrics sample (what the monitor thread does once per
//! `stats_sampling_interval`, 15 s by default).
//!
//! Per-interval CPU share = time of one sample / interval; see
//! docs/system-metrics.md for the measured numbers.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::SystemTime;
use wandb_core::console::{ConsoleLog, Stream};
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

/// The console path after the pipe: rendering lines, appending them to
/// output.log and building one output_raw record per line.
fn console(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = ConsoleLog::open(&dir.path().join("output.log"), |_r| true).unwrap();
    let mut chunk = Vec::new();
    for i in 0..800 {
        chunk.extend_from_slice(
            format!("epoch {i:>4} | loss 0.{i:04} | lr 1e-3 | \x1b[32mok\x1b[0m ........\n")
                .as_bytes(),
        );
    }
    let mut g = c.benchmark_group("console");
    g.throughput(Throughput::Bytes(chunk.len() as u64));
    g.bench_function("feed_800_lines", |b| {
        b.iter(|| log.feed(Stream::Stdout, &chunk))
    });
    let mut bar = Vec::new();
    for i in 0..1000 {
        bar.extend_from_slice(format!("\r[{:<50}] {i}/1000", "#".repeat(i / 20)).as_bytes());
    }
    bar.push(b'\n');
    g.throughput(Throughput::Bytes(bar.len() as u64));
    g.bench_function("progress_bar_1000_redraws", |b| {
        b.iter(|| log.feed(Stream::Stderr, &bar))
    });
    g.finish();
}

criterion_group!(benches, bench, console);
criterion_main!(benches);
