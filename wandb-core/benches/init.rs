//! Offline `init` + `finish` of an empty run, with the default settings
//! (system metrics and console capture on, header and footer off as with
//! `WANDB_SILENT`). Target: p50 ≤ 10 ms (the official client takes about
//! 0.5 s).
//!
//! `cargo bench -p wandb-core --bench init`. Besides criterion's numbers it
//! prints the p50/p90/p99 of 200 runs measured one by one.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use wandb_core::{init, InitOptions, Mode};

fn init_finish(dir: &std::path::Path) -> Duration {
    let t = Instant::now();
    let run = init(
        InitOptions::new()
            .dir(dir)
            .mode(Mode::Offline)
            .quiet(true)
            .environment([("HOME", dir.display().to_string())]),
    )
    .expect("init");
    run.finish().expect("finish");
    t.elapsed()
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    c.bench_function("offline_init_finish", |b| {
        b.iter(|| init_finish(tmp.path()))
    });
    let mut times: Vec<Duration> = (0..200).map(|_| init_finish(tmp.path())).collect();
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "offline init+finish: p50 {:?}  p90 {:?}  p99 {:?}",
        p(0.5),
        p(0.9),
        p(0.99)
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
