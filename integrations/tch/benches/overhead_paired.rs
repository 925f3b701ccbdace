//! Paired measurement of the `wandb-tch` overhead on the `tch_timeseries`
//! training loop: runs with and without `WandbCallback` +
//! `watch(log=all, log_freq=100)` alternate; prints both medians and the
//! median of the per-pair differences with a bootstrap 95 % interval
//! (`wandb_test_support::paired`). Target: at most 2 % more wall time.
//!
//! The timed part is the training loop. With wandb, the run is created
//! before it and finished after it, so its threads (writer, console capture,
//! system metrics) work during the loop, as in real use.
//!
//! `cargo bench --manifest-path integrations/tch/Cargo.toml --bench overhead_paired -- [pairs]`
//! (default 50). `WATCH_LOG_FREQ=n` changes the `watch` frequency. libtorch
//! runs on one intra-op thread here.

#[path = "../../../examples/tch_timeseries.rs"]
#[allow(dead_code)]
mod example;

use std::time::Instant;

use wandb_test_support::{paired::measure_pairs, ScratchDir};

/// Wall time of one training run, with wandb (`Some(watch_log_freq)`) or without.
fn one(watch_log_freq: Option<u64>) -> f64 {
    let scratch = ScratchDir::new("tch-bench");
    let run = watch_log_freq.map(|_| {
        wandb_core::init(
            wandb_core::InitOptions::new()
                .project("tch-bench")
                .dir(scratch.path())
                .mode(wandb_core::Mode::Offline)
                .environment([("HOME", scratch.path().join("home").display().to_string())]),
        )
        .expect("init")
    });
    let cfg = example::TimeseriesConfig::benchmark(watch_log_freq);
    let start = Instant::now();
    example::train(run.as_ref(), &cfg).expect("train");
    let secs = start.elapsed().as_secs_f64();
    if let Some(run) = run {
        run.finish().expect("finish");
    }
    secs
}

fn main() {
    let pairs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let freq = std::env::var("WATCH_LOG_FREQ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    // One intra-op thread: on a small shared machine libtorch's thread pool
    // contending with the run's threads and other processes dominates the
    // noise; both variants run alike.
    tch::set_num_threads(1);
    let report = measure_pairs(pairs, 3, || one(None), || one(Some(freq)));
    println!("tch_timeseries, watch log_freq {freq}: {report}; target <= 2 %");
}
