//! Paired overhead measurement for the integration benchmarks: two variants
//! of a training loop run alternately (which goes first alternates too), so
//! slow phases of a noisy machine hit both alike; the result is the median
//! of the per-pair relative differences with a bootstrap 95 % interval.

/// What [`measure_pairs`] found; all times in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedReport {
    /// Pairs measured.
    pub pairs: usize,
    /// Median wall time of the baseline variant.
    pub base_median: f64,
    /// Median wall time of the variant with wandb.
    pub with_median: f64,
    /// Median of `with / base - 1` over the pairs.
    pub overhead_median: f64,
    /// Bootstrap 95 % interval of that median.
    pub ci95: (f64, f64),
}

impl std::fmt::Display for PairedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pairs: baseline median {:.2} ms, wandb median {:.2} ms; paired overhead median {:+.2} % (95 % CI {:+.2} % .. {:+.2} %)",
            self.pairs,
            self.base_median * 1e3,
            self.with_median * 1e3,
            self.overhead_median * 100.0,
            self.ci95.0 * 100.0,
            self.ci95.1 * 100.0
        )
    }
}

/// The median (of a non-empty slice; NaN for an empty one).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Runs `warmup` unrecorded pairs, then `pairs` recorded ones of
/// `base()` and `with()` (each returns the wall time of one run).
pub fn measure_pairs(
    pairs: usize,
    warmup: usize,
    mut base: impl FnMut() -> f64,
    mut with: impl FnMut() -> f64,
) -> PairedReport {
    for _ in 0..warmup {
        base();
        with();
    }
    let (mut bs, mut ws, mut rel) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        let (b, w) = if i % 2 == 0 {
            let b = base();
            (b, with())
        } else {
            let w = with();
            (base(), w)
        };
        bs.push(b);
        ws.push(w);
        rel.push(w / b - 1.0);
    }
    // Bootstrap the median of the paired relative differences (xorshift).
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut boots = Vec::with_capacity(1000);
    let mut sample = vec![0.0; rel.len()];
    for _ in 0..1000 {
        for s in sample.iter_mut() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *s = rel[(seed % rel.len().max(1) as u64) as usize];
        }
        boots.push(median(&mut sample));
    }
    boots.sort_by(f64::total_cmp);
    PairedReport {
        pairs,
        base_median: median(&mut bs),
        with_median: median(&mut ws),
        overhead_median: median(&mut rel),
        ci95: (boots[25], boots[974]),
    }
}
