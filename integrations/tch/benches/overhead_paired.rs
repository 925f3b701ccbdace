//! Paired measurement of the `wandb-tch` overhead on the `tch_timeseries`
//! training loop (`TimeseriesConfig::benchmark`: 2 epochs of 100 batches of
//! 64 windows of 32 points, LSTM with 128 hidden units, CPU, one libtorch
//! thread; a step takes a few ms). Runs of the two variants alternate (and
//! which goes first alternates), so slow phases of a noisy machine hit both
//! alike; prints both medians and the median of the per-pair relative
//! differences with a bootstrap 95 % interval
//! (`wandb_test_support::paired`). Target: at most 2 % more wall time.
//!
//! What each side does, in the timed part and outside it:
//! - both: build the data and the `VarStore`, train, predict the validation
//!   range (the whole of `example::train`, timed);
//! - the wandb side also has a run: `init` (offline, scratch dir) before the
//!   timer starts and `finish` after it stops, so init and finish are
//!   excluded but the run's threads (writer, console capture, system
//!   metrics, including what they do right after `init`) work during the
//!   loop, as in real use; inside the loop it logs one row per batch and per
//!   epoch through `WandbCallback`, the `watch` histograms (log = all,
//!   12 histograms, on steps 100 and 200) and, at the end, the prediction
//!   chart and a summary value.
//!
//! `cargo bench --manifest-path integrations/tch/Cargo.toml --bench overhead_paired -- [pairs]`
//! (default 100).
//! - `WATCH_LOG_FREQ=n` changes the `watch` frequency.
//! - `BASELINE` picks what the wandb side is compared with: `none` (the
//!   default: no run at all), `run` (a live run the loop does not use: the
//!   cost of the integration alone) or `logger` (`WandbCallback` and a
//!   `watch` that never logs: the cost of the histograms alone).

#[path = "../../../examples/tch_timeseries.rs"]
#[allow(dead_code)]
mod example;

use std::time::Instant;

use wandb_test_support::{paired::measure_pairs, ScratchDir};

/// What one timed training run has of wandb.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// No run at all.
    None,
    /// A live run the loop does not log to.
    Run,
    /// `WandbCallback` + `watch` every `n` steps.
    Wandb(u64),
}

/// Wall time of one training run.
fn one(variant: Variant) -> f64 {
    let scratch = ScratchDir::new("tch-bench");
    let run = (variant != Variant::None).then(|| {
        wandb_core::init(
            wandb_core::InitOptions::new()
                .project("tch-bench")
                .dir(scratch.path())
                .mode(wandb_core::Mode::Offline)
                .environment([("HOME", scratch.path().join("home").display().to_string())]),
        )
        .expect("init")
    });
    let cfg = match variant {
        Variant::Wandb(freq) => example::TimeseriesConfig::benchmark(Some(freq)),
        _ => example::TimeseriesConfig::benchmark(None),
    };
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
        .unwrap_or(100)
        .max(1);
    let freq = std::env::var("WATCH_LOG_FREQ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let baseline = std::env::var("BASELINE").unwrap_or_else(|_| "none".into());
    let base = match baseline.as_str() {
        "run" => Variant::Run,
        // A frequency no run reaches: the callback alone.
        "logger" => Variant::Wandb(u64::MAX),
        _ => Variant::None,
    };
    // One intra-op thread: on a small shared machine libtorch's thread pool
    // contending with the run's threads and other processes dominates the
    // noise; both variants run alike.
    tch::set_num_threads(1);
    let report = measure_pairs(pairs, 3, || one(base), || one(Variant::Wandb(freq)));
    println!("tch_timeseries, baseline {baseline}, watch log_freq {freq}: {report}; target <= 2 %");
}
