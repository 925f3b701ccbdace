//! Paired measurement of the `wandb-burn` overhead on the `burn_regression`
//! training loop: runs with and without `WandbMetricLogger` +
//! `watch(log=all, log_freq=100)` alternate, so slow phases of a noisy
//! machine hit both variants alike; prints both medians and the median of
//! the per-pair differences with a bootstrap 95 % interval. Target: at most
//! 2 % more wall time.
//!
//! `cargo bench -p wandb-burn --bench overhead_paired -- [pairs]` (default 200).
//! `WATCH_LOG_FREQ=n` changes the `watch` frequency (a huge value leaves the
//! logger alone, to tell the two costs apart).

#[path = "../../../examples/burn_regression.rs"]
#[allow(dead_code)]
mod example;

use std::time::Instant;

fn config(wandb: bool) -> example::RegressionConfig {
    let watch_log_freq = std::env::var("WATCH_LOG_FREQ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    example::RegressionConfig::benchmark(wandb, watch_log_freq)
}

/// Wall time of one training run (the run is created before and finished
/// after the timed part, in both variants).
fn one(wandb: bool) -> f64 {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("burn-bench")
            .dir(tmp.path())
            .mode(wandb_core::Mode::Offline),
    )
    .expect("init");
    let cfg = config(wandb);
    let start = Instant::now();
    example::train(Some(&run), &tmp.path().join("burn"), &cfg);
    let secs = start.elapsed().as_secs_f64();
    run.finish().expect("finish");
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
    // Warm-up (page cache, allocator, CPU frequency).
    for _ in 0..5 {
        one(false);
        one(true);
    }
    let (mut base, mut with, mut rel) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        // Alternate which variant goes first.
        let (b, w) = if i % 2 == 0 {
            let b = one(false);
            (b, one(true))
        } else {
            let w = one(true);
            (one(false), w)
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
        "{pairs} pairs: no wandb median {:.2} ms, wandb median {:.2} ms; paired overhead median {:+.2} % (95 % CI {:+.2} % .. {:+.2} %); target <= 2 %",
        median(&mut base) * 1e3,
        median(&mut with) * 1e3,
        median(&mut rel.clone()) * 100.0,
        lo * 100.0,
        hi * 100.0
    );
}
