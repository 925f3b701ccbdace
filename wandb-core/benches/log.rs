//! `log()` cost on the caller's thread, sustained rows/s to disk, bytes/row.
//!
//! `cargo bench -p wandb-core --bench log`. Besides criterion's numbers it
//! prints p50/p99 of single `log()` calls and the bytes per row on disk.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use wandb_core::{init, row, InitOptions, Mode, Run};

fn new_run(dir: &std::path::Path) -> Run {
    init(
        InitOptions::new()
            .dir(dir)
            .mode(Mode::Offline)
            .system_metrics(false)
            .environment([("HOME", dir.display().to_string())]),
    )
    .expect("init")
}

/// Mean cost of back-to-back `log()` calls; once the queue is full this is
/// bounded by the writer thread's rate (back-pressure).
fn log_latency(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = new_run(tmp.path());
    let mut i = 0u64;
    c.bench_function("log_3_scalars", |b| {
        b.iter(|| {
            i += 1;
            let x = i as f64;
            run.log(row! {"loss" => 1.0 / x, "acc" => 1.0 - 1.0 / x, "lr" => 1e-3})
                .expect("log");
        })
    });
    run.finish().expect("finish");
    percentiles();
}

/// p50/p99 of individual calls (each timed on its own), with a stand-in for
/// a training step (~5 µs of work) between calls so the writer keeps up, as
/// in a real loop; back-to-back logging measures the writer's throughput
/// instead (see `sustained_to_disk`).
fn percentiles() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = new_run(tmp.path());
    const N: usize = 1_000_000;
    let mut samples = Vec::with_capacity(N);
    for i in 0..N {
        let x = i as f64 + 1.0;
        let busy = Instant::now();
        while busy.elapsed() < Duration::from_micros(5) {
            std::hint::spin_loop();
        }
        let t = Instant::now();
        run.log(row! {"loss" => 1.0 / x, "acc" => 1.0 - 1.0 / x, "lr" => 1e-3})
            .expect("log");
        samples.push(t.elapsed());
    }
    let t = Instant::now();
    run.finish().expect("finish");
    let finish = t.elapsed();
    samples.sort();
    let p = |q: f64| samples[((N as f64 * q) as usize).min(N - 1)];
    let bytes = std::fs::metadata(run.wandb_file())
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "log() of 3 scalars over {N} calls: p50 {:?}, p99 {:?}, p99.9 {:?}; finish {:?}; {:.1} bytes/row on disk",
        p(0.5),
        p(0.99),
        p(0.999),
        finish,
        bytes as f64 / N as f64
    );
}

fn sustained(c: &mut Criterion) {
    const ROWS: u64 = 200_000;
    let mut g = c.benchmark_group("sustained_to_disk");
    g.throughput(Throughput::Elements(ROWS));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("log_200k_rows_until_finish", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |tmp| {
                let run = new_run(tmp.path());
                for i in 0..ROWS {
                    let x = i as f64 + 1.0;
                    run.log(row! {"loss" => 1.0 / x, "acc" => 1.0 - 1.0 / x, "lr" => 1e-3})
                        .expect("log");
                }
                run.finish().expect("finish");
                tmp
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, log_latency, sustained);
criterion_main!(benches);
