//! Paired measurement of the `wandb-burn` overhead on the `burn_regression`
//! training loop: runs with and without `WandbMetricLogger` +
//! `watch(log=all, log_freq=100)` alternate, so slow phases of a noisy
//! machine hit both variants alike; prints both medians and the median of
//! the per-pair differences with a bootstrap 95 % interval. Target: at most
//! 2 % more wall time.
//!
//! The timed part is the training loop. With wandb, the run is created
//! before it and finished after it, so its threads (writer, console capture,
//! system metrics) work during the loop, as in real use.
//!
//! `cargo bench -p wandb-burn --bench overhead_paired -- [pairs]` (default 200).
//! - `WATCH_LOG_FREQ=n` changes the `watch` frequency.
//! - `BASELINE` picks what the wandb variant is compared with: `none` (the
//!   default: no wandb at all), `run` (a live run the loop does not use:
//!   the cost of the integration alone) or `logger` (the logger without
//!   `watch`: the cost of `watch` alone).

#[path = "../../../examples/burn_regression.rs"]
#[allow(dead_code)]
mod example;

use std::time::Instant;

/// What one timed training run has of wandb.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// No run at all.
    None,
    /// A live run the loop does not log to.
    Run,
    /// `WandbMetricLogger` + `watch` every `n` steps.
    Wandb { watch_log_freq: u64 },
}

impl Variant {
    fn from_env() -> (Variant, Variant) {
        let freq = std::env::var("WATCH_LOG_FREQ")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        let base = match std::env::var("BASELINE").as_deref() {
            Ok("run") => Variant::Run,
            // A frequency no run reaches: the logger alone.
            Ok("logger") => Variant::Wandb {
                watch_log_freq: u64::MAX,
            },
            _ => Variant::None,
        };
        (
            base,
            Variant::Wandb {
                watch_log_freq: freq,
            },
        )
    }
}

/// Wall time of one training run.
fn one(variant: Variant) -> f64 {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = (variant != Variant::None).then(|| {
        wandb_core::init(
            wandb_core::InitOptions::new()
                .project("burn-bench")
                .dir(tmp.path())
                .mode(wandb_core::Mode::Offline),
        )
        .expect("init")
    });
    let cfg = match variant {
        Variant::Wandb { watch_log_freq } => {
            example::RegressionConfig::benchmark(true, watch_log_freq)
        }
        _ => example::RegressionConfig::benchmark(false, 0),
    };
    let start = Instant::now();
    example::train(run.as_ref(), &tmp.path().join("burn"), &cfg);
    let secs = start.elapsed().as_secs_f64();
    if let Some(run) = run {
        run.finish().expect("finish");
    }
    secs
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let pairs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let (base_variant, with_variant) = Variant::from_env();
    // Warm-up (page cache, allocator, CPU frequency).
    for _ in 0..5 {
        one(base_variant);
        one(with_variant);
    }
    let (mut base, mut with, mut rel) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        // Alternate which variant goes first.
        let (b, w) = if i % 2 == 0 {
            let b = one(base_variant);
            (b, one(with_variant))
        } else {
            let w = one(with_variant);
            (one(base_variant), w)
        };
        base.push(b);
        with.push(w);
        rel.push(w / b - 1.0);
    }
    // Bootstrap the median of the paired relative differences.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut boots = Vec::with_capacity(1000);
    let mut sample = vec![0.0; rel.len()];
    for _ in 0..1000 {
        for s in sample.iter_mut() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *s = rel[(seed % rel.len() as u64) as usize];
        }
        boots.push(median(&mut sample));
    }
    boots.sort_by(f64::total_cmp);
    let (lo, hi) = (boots[25], boots[974]);
    println!(
        "{pairs} pairs: baseline ({}) median {:.2} ms, wandb median {:.2} ms; paired overhead median {:+.2} % (95 % CI {:+.2} % .. {:+.2} %); target <= 2 %",
        std::env::var("BASELINE").unwrap_or_else(|_| "none".into()),
        median(&mut base) * 1e3,
        median(&mut with) * 1e3,
        median(&mut rel.clone()) * 100.0,
        lo * 100.0,
        hi * 100.0
    );
}
