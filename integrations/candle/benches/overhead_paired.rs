//! Paired measurement of the `wandb-candle` overhead on the `candle_cnn`
//! training loop (4 epochs of 50 batches of 32 16x16 images, CNN with 8 and
//! 16 channels, CPU): runs with and without `WandbCallback` +
//! `watch(log=all, log_freq=100)` alternate, so slow phases of a noisy
//! machine hit both variants alike; prints both medians and the median of
//! the per-pair relative differences with a bootstrap 95 % interval.
//! Target: at most 2 % more wall time.
//!
//! The timed part is the training loop. With wandb, the run is created
//! before it and finished after it, so its threads (writer, console capture,
//! system metrics) work during the loop, as in real use.
//!
//! `cargo bench -p wandb-candle --bench overhead_paired -- [pairs]` (default 200).
//! - `WATCH_LOG_FREQ=n` changes the `watch` frequency.
//! - `BASELINE=run` compares with a live run the loop does not use (the
//!   cost of the integration alone) instead of no wandb at all.

#[path = "../../../examples/candle_cnn.rs"]
#[allow(dead_code)]
mod example;

use std::time::Instant;

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
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = (variant != Variant::None).then(|| {
        wandb_core::init(
            wandb_core::InitOptions::new()
                .project("candle-bench")
                .dir(tmp.path())
                .mode(wandb_core::Mode::Offline)
                .environment([("HOME", tmp.path().join("home").display().to_string())]),
        )
        .expect("init")
    });
    let cfg = match variant {
        Variant::Wandb(freq) => example::CnnConfig::benchmark(true, freq),
        _ => example::CnnConfig::benchmark(false, 0),
    };
    let start = Instant::now();
    example::train(run.as_ref(), &cfg).expect("train");
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
        .unwrap_or(200)
        .max(1);
    let freq = std::env::var("WATCH_LOG_FREQ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let base_variant = match std::env::var("BASELINE").as_deref() {
        Ok("run") => Variant::Run,
        _ => Variant::None,
    };
    let with_variant = Variant::Wandb(freq);
    for _ in 0..3 {
        one(base_variant);
        one(with_variant);
    }
    let (mut base, mut with, mut rel) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
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
        "{pairs} pairs: baseline ({}) median {:.2} ms, wandb (watch every {freq}) median {:.2} ms; paired overhead median {:+.2} % (95 % CI {:+.2} % .. {:+.2} %); target <= 2 %",
        std::env::var("BASELINE").unwrap_or_else(|_| "none".into()),
        median(&mut base) * 1e3,
        median(&mut with) * 1e3,
        median(&mut rel.clone()) * 100.0,
        lo * 100.0,
        hi * 100.0
    );
}
