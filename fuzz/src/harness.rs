//! The fuzz loop: seeds first, then mutants, each run on a worker thread
//! under three checks: no panic, no input slower than a time bound, no input
//! whose peak heap use exceeds a bound.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::alloc;
use crate::mutate::Mutator;

/// How one target is fuzzed.
pub struct Config {
    /// Target name (for messages and crash files).
    pub name: &'static str,
    /// Number of inputs, seeds included.
    pub iters: u64,
    /// Seed of the mutator.
    pub seed: u64,
    /// Longest an input may take before it counts as a hang.
    pub time_limit: Duration,
    /// Peak heap bytes allowed for an input of `n` bytes: `base + per_byte * n`.
    pub mem_base: usize,
    /// See [`Config::mem_base`].
    pub mem_per_byte: usize,
    /// Tokens the mutator inserts.
    pub dictionary: &'static [&'static [u8]],
    /// Longest mutant.
    pub max_len: usize,
    /// Applied to half of the mutants (e.g. re-checksumming).
    pub fixup: Option<fn(&mut [u8])>,
}

impl Config {
    /// A configuration with the defaults: `FUZZ_ITERS` inputs (else
    /// `default_iters`), `FUZZ_SEED` (else 1), 10 s per input, 16 MiB plus
    /// 256 bytes per input byte, mutants up to 1 MiB.
    pub fn new(name: &'static str, default_iters: u64) -> Self {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        Config {
            name,
            iters: env("FUZZ_ITERS").unwrap_or(default_iters),
            seed: env("FUZZ_SEED").unwrap_or(1),
            time_limit: Duration::from_secs(10),
            mem_base: 16 << 20,
            mem_per_byte: 256,
            dictionary: &[],
            max_len: 1 << 20,
            fixup: None,
        }
    }
}

/// What a finished fuzz run did.
#[derive(Debug)]
pub struct Report {
    /// Inputs run.
    pub inputs: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Largest peak heap use of one input.
    pub max_peak: usize,
    /// Slowest input.
    pub max_time: Duration,
}

enum Failure {
    Panic(String),
    Memory { peak: usize, limit: usize },
}

struct Shared {
    done: AtomicU64,
    current: Mutex<Vec<u8>>,
}

/// Runs `target` on every seed and then on mutants until `cfg.iters`
/// inputs; panics (failing the test) with the offending input saved to a
/// file on the first panic, hang or excessive allocation.
pub fn fuzz<F>(cfg: Config, seeds: Vec<Vec<u8>>, target: F) -> Report
where
    F: Fn(&[u8]) + Send + 'static,
{
    let shared = Arc::new(Shared {
        done: AtomicU64::new(0),
        current: Mutex::new(Vec::new()),
    });
    let (tx, rx) = mpsc::channel::<Result<(usize, Duration), (Failure, Vec<u8>)>>();
    let worker = {
        let shared = Arc::clone(&shared);
        let (iters, seed, name) = (cfg.iters, cfg.seed, cfg.name);
        let (dictionary, max_len, fixup) = (cfg.dictionary, cfg.max_len, cfg.fixup);
        let (mem_base, mem_per_byte) = (cfg.mem_base, cfg.mem_per_byte);
        std::thread::Builder::new()
            .name(format!("fuzz-{name}"))
            .spawn(move || {
                let mut m = Mutator::new(seed, dictionary, max_len);
                let (mut max_peak, mut max_time) = (0usize, Duration::ZERO);
                for i in 0..iters {
                    let input = match seeds.get(i as usize) {
                        Some(s) => s.clone(),
                        None => {
                            let mut x = m.mutate(&seeds);
                            if let Some(f) = fixup.filter(|_| m.below(2) == 0) {
                                f(&mut x);
                            }
                            x
                        }
                    };
                    if let Ok(mut cur) = shared.current.lock() {
                        cur.clone_from(&input);
                    }
                    let limit = mem_base.saturating_add(mem_per_byte.saturating_mul(input.len()));
                    let t0 = Instant::now();
                    let base = alloc::start();
                    let outcome = catch_unwind(AssertUnwindSafe(|| target(&input)));
                    let peak = alloc::peak_since(base);
                    max_time = max_time.max(t0.elapsed());
                    max_peak = max_peak.max(peak);
                    let failure = match outcome {
                        Err(p) => Some(Failure::Panic(panic_message(&*p))),
                        Ok(()) if peak > limit => Some(Failure::Memory { peak, limit }),
                        Ok(()) => None,
                    };
                    if let Some(f) = failure {
                        let _ = tx.send(Err((f, input)));
                        return;
                    }
                    shared.done.fetch_add(1, Ordering::Relaxed);
                }
                let _ = tx.send(Ok((max_peak, max_time)));
            })
            .expect("spawn the fuzz worker")
    };
    let start = Instant::now();
    let (mut last_done, mut last_change) = (0, Instant::now());
    let result = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(r) => break r,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("{}: the fuzz worker died without a result", cfg.name)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let done = shared.done.load(Ordering::Relaxed);
                if done != last_done {
                    (last_done, last_change) = (done, Instant::now());
                } else if last_change.elapsed() > cfg.time_limit {
                    let input = shared.current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = save_crash(cfg.name, "hang", &input);
                    panic!(
                        "{}: input #{done} ran longer than {:?} (a hang); saved to {}",
                        cfg.name,
                        cfg.time_limit,
                        path.display()
                    );
                }
            }
        }
    };
    match result {
        Ok((max_peak, max_time)) => {
            let _ = worker.join();
            Report {
                inputs: cfg.iters,
                elapsed: start.elapsed(),
                max_peak,
                max_time,
            }
        }
        Err((failure, input)) => {
            let _ = worker.join();
            let (kind, what) = match failure {
                Failure::Panic(msg) => ("panic", format!("panicked: {msg}")),
                Failure::Memory { peak, limit } => (
                    "memory",
                    format!("allocated {peak} bytes at peak (limit {limit})"),
                ),
            };
            let path = save_crash(cfg.name, kind, &input);
            panic!(
                "{}: a {}-byte input {what}; saved to {} (add it to tests/fixtures/fuzz/{}/)",
                cfg.name,
                input.len(),
                path.display(),
                cfg.name
            );
        }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".into())
}

/// Writes a failing input to `$FUZZ_CRASH_DIR` (else the temp dir).
fn save_crash(name: &str, kind: &str, input: &[u8]) -> PathBuf {
    let dir = std::env::var_os("FUZZ_CRASH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("wandb-fuzz-crashes"));
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{name}-{kind}-{hash:016x}.bin"));
    let _ = std::fs::write(&path, input);
    path
}
