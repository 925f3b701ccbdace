//! `wandb.Histogram` and the histogram/summary helpers of the official client.
//!
//! * [`Histogram::from_f64`] / [`Histogram::from_f32`] bin like
//!   `numpy.histogram(values, bins=n)`: range `[min, max]` (widened by ±0.5
//!   when all values are equal), edges from `numpy.linspace` evaluated in the
//!   input's precision, numpy's bin assignment (compute the index, then fix it
//!   up against the edges; the last bin is closed).
//! * [`Histogram::from_np_histogram`] passes precomputed counts and edges
//!   through, like `wandb.Histogram(np_histogram=(values, edges))`.
//! * [`histc_f32`] is the allocation-free `torch.histc` variant used by
//!   `watch()`.
//! * [`history_array`] and [`summary_array`] encode bare arrays the way the
//!   official client does in history (a 32-bin histogram above 32 elements)
//!   and in the summary (a `numpy.ndarray` statistics object).

use wandb_core::{Map, Media, MediaContext, Value};

use crate::error::{Error, Result};

/// Default number of bins (`wandb.Histogram(num_bins=64)`).
pub const DEFAULT_BINS: usize = 64;
/// Largest number of bins the official client accepts.
pub const MAX_BINS: usize = 512;

/// A histogram value: `{"_type":"histogram","values":[counts],"bins":[edges]}`.
///
/// ```
/// use wandb_data_types::Histogram;
/// let h = Histogram::from_f64(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 10.0]).unwrap();
/// assert_eq!(h.counts().len(), 64);
/// assert_eq!(h.edges().len(), 65);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    counts: Vec<f64>,
    edges: Vec<f64>,
    dropped_non_finite: usize,
}

/// Floating-point types the numpy-compatible binning is evaluated in.
pub trait HistFloat: Copy + PartialOrd + Into<f64> + std::fmt::Debug {
    /// Conversion from a bin index / count.
    fn from_usize(n: usize) -> Self;
    /// Conversion from `f64` (rounding to nearest).
    fn from_f64(v: f64) -> Self;
    /// `self - other`.
    fn sub(self, other: Self) -> Self;
    /// `self + other`.
    fn add(self, other: Self) -> Self;
    /// `self * other`.
    fn mul(self, other: Self) -> Self;
    /// `self / other`.
    fn div(self, other: Self) -> Self;
    /// Whether the value is finite.
    fn finite(self) -> bool;
    /// Machine epsilon as `f64`.
    const EPSILON: f64;
    /// `1.5 * 2^(mantissa bits)`: adding it to a small value rounds it to an
    /// integer held in the low bits of the representation.
    const ROUND_MAGIC: Self;
    /// `self` clamped to `[0, hi]`, NaN becoming 0.
    fn clamp0(self, hi: Self) -> Self;
    /// The low 16 bits of the representation.
    fn low_u16(self) -> u16;
    /// Minimum ignoring NaN (`f32::min`).
    fn fmin(self, other: Self) -> Self;
    /// Maximum ignoring NaN (`f32::max`).
    fn fmax(self, other: Self) -> Self;
}

macro_rules! hist_float {
    ($t:ty) => {
        impl HistFloat for $t {
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self / o
            }
            #[inline(always)]
            fn finite(self) -> bool {
                self.is_finite()
            }
            const EPSILON: f64 = <$t>::EPSILON as f64;
            const ROUND_MAGIC: Self = (3u64 << (<$t>::MANTISSA_DIGITS - 2)) as $t;
            #[inline(always)]
            fn clamp0(self, hi: Self) -> Self {
                self.max(0.0).min(hi)
            }
            #[inline(always)]
            fn low_u16(self) -> u16 {
                self.to_bits() as u16
            }
            #[inline(always)]
            fn fmin(self, other: Self) -> Self {
                self.min(other)
            }
            #[inline(always)]
            fn fmax(self, other: Self) -> Self {
                self.max(other)
            }
        }
    };
}
hist_float!(f32);
hist_float!(f64);

/// `numpy.linspace(start, stop, num)` evaluated in `T` (numpy 2 keeps
/// `float32` for `float32` scalars): `i * step + start`, last = `stop`.
pub fn numpy_linspace<T: HistFloat>(start: T, stop: T, num: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(num);
    if num == 0 {
        return out;
    }
    let div = T::from_usize(num.saturating_sub(1).max(1));
    let delta = stop.sub(start);
    let step = delta.div(div);
    let step_zero = step.into() == 0.0;
    for i in 0..num {
        let y = if step_zero {
            T::from_usize(i).div(div).mul(delta)
        } else {
            T::from_usize(i).mul(step)
        };
        out.push(y.add(start));
    }
    if num > 1 {
        out[num - 1] = stop;
    }
    out
}

/// `numpy.histogram(values, bins)` counts and edges over the finite values,
/// evaluated in `T`. Returns `(counts, edges, dropped_non_finite)`; with no
/// finite value the range is numpy's default `[0, 1]` and all counts are 0.
///
/// The bin of a value is numpy's: a first guess from the linear map, then
/// one step left or right so that `edges[i] <= x < edges[i + 1]` (the last
/// bin is closed). The guess uses a precomputed scale instead of numpy's
/// division; the correction step makes the result the same.
pub fn numpy_histogram<T: HistFloat>(values: &[T], bins: usize) -> (Vec<u64>, Vec<T>, usize) {
    let bins = bins.max(1);
    let range = finite_min_max(values);
    let (mut first, mut last) = range.unwrap_or((T::from_usize(0), T::from_usize(1)));
    if first == last {
        first = first.sub(T::from_f64(0.5));
        last = last.add(T::from_f64(0.5));
    }
    let edges = numpy_linspace(first, last, bins + 1);
    let mut counts = vec![0u64; bins];
    if range.is_some() {
        bin_values(values, first, last, &edges, &mut counts);
    }
    // Every finite value lies in [first, last], so the rest were non-finite.
    let counted: u64 = counts.iter().sum();
    (counts, edges, values.len() - counted as usize)
}

/// numpy's exact rule for one value: guess, then one step left or right.
#[inline]
fn exact_bin<T: HistFloat>(v: T, f: f64, edges: &[T], lastbin: usize) -> usize {
    let mut idx = if f >= lastbin as f64 {
        lastbin
    } else {
        f.max(0.0) as usize
    };
    if v < edges[idx] {
        idx = idx.saturating_sub(1);
    } else if idx != lastbin && v >= edges[idx + 1] {
        idx += 1;
    }
    idx
}

/// Counts the values of `[first, last]` into `counts` (one per bin).
///
/// Fast path: blocks of values get a vectorised bin guess; a guess is kept
/// only when the scaled position is further from an integer than the worst
/// rounding error of the edges and of the scaling, which proves it equal
/// to the edge-checked bin; the others (and out-of-range values) go through
/// [`exact_bin`].
fn bin_values<T: HistFloat>(values: &[T], first: T, last: T, edges: &[T], counts: &mut [u64]) {
    let bins = counts.len();
    let lastbin = bins - 1;
    let scale = T::from_usize(bins).div(last.sub(first));
    // How far the edges are from their ideal positions, in bins, plus the
    // error of computing (x - first) * scale in T.
    let (f0, f1): (f64, f64) = (first.into(), last.into());
    let scale64 = bins as f64 / (f1 - f0);
    let edge_dev = edges
        .iter()
        .enumerate()
        .map(|(i, &e)| ((e.into() - f0) * scale64 - i as f64).abs())
        .fold(0.0f64, f64::max);
    let arith = 4.0 * T::EPSILON * (f0.abs().max(f1.abs()) * scale64 + bins as f64);
    let tol = edge_dev + arith + 1e-6;
    let exact = |v: T| -> Option<usize> {
        if !(v >= first && v <= last) {
            return None;
        }
        Some(exact_bin(v, v.sub(first).mul(scale).into(), edges, lastbin))
    };
    if tol.is_nan() || tol >= 0.25 || bins > MAX_BINS {
        for &v in values {
            if let Some(i) = exact(v) {
                counts[i] += 1;
            }
        }
        return;
    }
    let tol_t = T::from_f64(tol);
    let one_minus = T::from_f64(1.0 - tol);
    let half = T::from_f64(0.5);
    let maxpos = T::from_usize(lastbin);
    const BLOCK: usize = 256;
    let mut guess = [0u16; BLOCK];
    let mut flag = [false; BLOCK];
    // Four interleaved count arrays (fewer store->load dependencies);
    // MAX_BINS-sized so that masked indices need no bounds checks.
    let mut lanes = [[0u64; MAX_BINS]; 4];
    const MASK: usize = MAX_BINS - 1;
    for block in values.chunks(BLOCK) {
        for ((&v, g), fl) in block.iter().zip(guess.iter_mut()).zip(flag.iter_mut()) {
            let f = v.sub(first).mul(scale);
            // round(clamp(f) - 0.5) without a float->int conversion.
            let r = f.clamp0(maxpos).sub(half).add(T::ROUND_MAGIC);
            let frac = f.sub(r.sub(T::ROUND_MAGIC));
            *fl = !(frac >= tol_t && frac <= one_minus);
            *g = r.low_u16();
        }
        let n = block.len();
        let mut quads = guess[..n].chunks_exact(4);
        // Lanes may wrap below zero temporarily (a flagged guess is taken
        // back from lane 0); the sums at the end are exact.
        for q in &mut quads {
            for (lane, &g) in lanes.iter_mut().zip(q) {
                let c = &mut lane[g as usize & MASK];
                *c = c.wrapping_add(1);
            }
        }
        for &g in quads.remainder() {
            let c = &mut lanes[0][g as usize & MASK];
            *c = c.wrapping_add(1);
        }
        if flag[..n].iter().any(|&f| f) {
            for j in 0..n {
                if flag[j] {
                    let g = guess[j] as usize & MASK;
                    lanes[0][g] = lanes[0][g].wrapping_sub(1);
                    if let Some(i) = exact(block[j]) {
                        lanes[0][i] = lanes[0][i].wrapping_add(1);
                    }
                }
            }
        }
    }
    for (b, c) in counts.iter_mut().enumerate() {
        *c = lanes.iter().fold(0u64, |acc, l| acc.wrapping_add(l[b]));
    }
}

/// Minimum and maximum of the finite values (vectorisable fast path, exact
/// fallback when infinities are present).
fn finite_min_max<T: HistFloat>(values: &[T]) -> Option<(T, T)> {
    const LANES: usize = 16;
    let mut lo = [T::from_f64(f64::INFINITY); LANES];
    let mut hi = [T::from_f64(f64::NEG_INFINITY); LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            // min/max ignore NaN.
            lo[j] = c[j].fmin(lo[j]);
            hi[j] = c[j].fmax(hi[j]);
        }
    }
    let (mut l, mut h) = (lo[0], hi[0]);
    for j in 1..LANES {
        l = l.fmin(lo[j]);
        h = h.fmax(hi[j]);
    }
    for &v in rest {
        l = l.fmin(v);
        h = h.fmax(v);
    }
    if l.finite() && h.finite() {
        return Some((l, h));
    }
    // Infinities (or nothing finite): filter exactly.
    let mut it = values.iter().copied().filter(|v| v.finite());
    let first = it.next()?;
    let (mut l, mut h) = (first, first);
    for v in it {
        l = if v < l { v } else { l };
        h = if v > h { v } else { h };
    }
    Some((l, h))
}

/// `torch.histc(values, bins, min, max)` on a host buffer, without
/// allocating: bin = `floor((x - min) / (max - min) * bins)` in `f32`,
/// `x == max` goes to the last bin, values outside `[min, max]` and
/// non-finite values are ignored. `counts` is zeroed first; its length is the
/// number of bins. Returns the number of values counted.
///
/// When `min == max` every value equal to `min` goes to the first bin
/// (torch widens the range by one in that case; `watch()` logs
/// `values=[numel], bins=[min, max]` instead).
///
/// ```
/// let mut counts = [0u64; 4];
/// let n = wandb_data_types::histc_f32(&[0.0, 0.5, 1.0, 2.0, f32::NAN], 0.0, 2.0, &mut counts);
/// assert_eq!(counts, [1, 1, 1, 1]);
/// assert_eq!(n, 4);
/// ```
pub fn histc_f32(values: &[f32], min: f32, max: f32, counts: &mut [u64]) -> u64 {
    counts.iter_mut().for_each(|c| *c = 0);
    let bins = counts.len();
    if bins == 0 || bins > u16::MAX as usize || !(min.is_finite() && max.is_finite()) || min > max {
        return 0;
    }
    let range = max - min;
    if !(range > 0.0 && range.is_finite()) {
        let n = values.iter().filter(|&&x| x == min).count() as u64;
        counts[0] = n;
        return n;
    }
    let nb = bins as f32;
    let maxb = (bins - 1) as f32;
    // 1.5 * 2^23: adding it rounds a small f32 to an integer kept in the low bits.
    const MAGIC: f32 = 12_582_912.0;
    const BLOCK: usize = 256;
    let mut idx = [0u16; BLOCK];
    let mut ok = [0u8; BLOCK];
    let mut total = 0u64;
    for block in values.chunks(BLOCK) {
        // Vectorisable: floor((x - min) / range * bins) clamped to the last
        // bin, computed without a float -> int conversion.
        for ((&x, i), k) in block.iter().zip(idx.iter_mut()).zip(ok.iter_mut()) {
            let p = (x - min) / range * nb;
            let pc = p.max(0.0).min(maxb);
            let g = pc - 0.5 + MAGIC - MAGIC;
            let g = if pc >= g + 1.0 { g + 1.0 } else { g };
            *i = (g + MAGIC).to_bits() as u16;
            *k = (x >= min && x <= max) as u8;
        }
        let n = block.len();
        for (&i, &k) in idx[..n].iter().zip(&ok[..n]) {
            counts[i as usize] += k as u64;
        }
        total += ok[..n].iter().map(|&k| k as u64).sum::<u64>();
    }
    total
}

/// Minimum and maximum of the finite values of a host buffer (`None` when
/// there is none); the companion of [`histc_f32`].
pub fn finite_min_max_f32(values: &[f32]) -> Option<(f32, f32)> {
    finite_min_max(values)
}

impl Histogram {
    /// Bins `values` into [`DEFAULT_BINS`] bins like `numpy.histogram`;
    /// non-finite values are dropped (see [`Histogram::dropped_non_finite`]).
    pub fn from_f64(values: &[f64]) -> Result<Self> {
        Self::from_f64_bins(values, DEFAULT_BINS)
    }

    /// Like [`Histogram::from_f64`] with `bins` bins (1..=512).
    pub fn from_f64_bins(values: &[f64], bins: usize) -> Result<Self> {
        check_bins(bins)?;
        let (counts, edges, dropped) = numpy_histogram(values, bins);
        Ok(Self::from_parts(
            counts,
            edges.into_iter().collect(),
            dropped,
        ))
    }

    /// Bins `f32` values, evaluated in `f32` as numpy does for `float32`
    /// arrays; edges are written with `f32` precision.
    pub fn from_f32(values: &[f32]) -> Result<Self> {
        Self::from_f32_bins(values, DEFAULT_BINS)
    }

    /// Like [`Histogram::from_f32`] with `bins` bins (1..=512).
    pub fn from_f32_bins(values: &[f32], bins: usize) -> Result<Self> {
        check_bins(bins)?;
        let (counts, edges, dropped) = numpy_histogram(values, bins);
        // numpy's float32 edges become Python floats: the exact f32 value.
        Ok(Self::from_parts(
            counts,
            edges.into_iter().map(f64::from).collect(),
            dropped,
        ))
    }

    /// Bins integers (numpy treats an integer list as `int64`, edges `float64`).
    pub fn from_i64(values: &[i64]) -> Result<Self> {
        let v: Vec<f64> = values.iter().map(|&x| x as f64).collect();
        Self::from_f64(&v)
    }

    fn from_parts(counts: Vec<u64>, edges: Vec<f64>, dropped: usize) -> Self {
        Histogram {
            counts: counts.into_iter().map(|c| c as f64).collect(),
            edges,
            dropped_non_finite: dropped,
        }
    }

    /// Passes precomputed counts and edges through unchanged
    /// (`np_histogram=(values, edges)`); `edges.len()` must be
    /// `counts.len() + 1`.
    pub fn from_np_histogram(counts: Vec<f64>, edges: Vec<f64>) -> Result<Self> {
        if edges.len() != counts.len() + 1 || counts.is_empty() {
            return Err(Error::Invalid(format!(
                "Histogram::from_np_histogram: got {} counts and {} edges; there must be one more edge than counts (and at least one count)",
                counts.len(),
                edges.len()
            )));
        }
        if counts.len() > MAX_BINS {
            return Err(Error::Invalid(format!(
                "Histogram::from_np_histogram: {} bins is more than the {MAX_BINS} the W&B UI accepts",
                counts.len()
            )));
        }
        Ok(Histogram {
            counts,
            edges,
            dropped_non_finite: 0,
        })
    }

    /// The bin counts.
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// The bin edges (`counts().len() + 1`).
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// How many NaN/±Infinity inputs were left out.
    pub fn dropped_non_finite(&self) -> usize {
        self.dropped_non_finite
    }

    /// The JSON value `{"_type":"histogram","values":[...],"bins":[...]}`.
    /// Whole-number counts are written as integers, as wandb-core stores them.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("_type".into(), Value::from("histogram"));
        m.insert(
            "values".into(),
            Value::List(self.counts.iter().map(|&c| count_value(c)).collect()),
        );
        m.insert(
            "bins".into(),
            Value::List(self.edges.iter().map(|&e| Value::Float(e)).collect()),
        );
        Value::Map(m)
    }
}

fn count_value(c: f64) -> Value {
    if c.fract() == 0.0 && c.abs() < 9.0e15 {
        Value::Int(c as i64)
    } else {
        Value::Float(c)
    }
}

fn check_bins(bins: usize) -> Result<()> {
    if bins == 0 || bins > MAX_BINS {
        return Err(Error::Invalid(format!(
            "histogram bins must be between 1 and {MAX_BINS}, got {bins}"
        )));
    }
    Ok(())
}

impl Media for Histogram {
    fn materialize(&self, _ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        Ok(self.to_value())
    }
}

impl From<Histogram> for Value {
    fn from(h: Histogram) -> Self {
        h.to_value()
    }
}

/// A bare numeric array logged to history, as the official client encodes a
/// numpy array: more than 32 elements become a 32-bin histogram, otherwise a
/// JSON list.
pub fn history_array(values: &[f64]) -> Value {
    if values.len() > 32 {
        match Histogram::from_f64_bins(values, 32) {
            Ok(h) => h.to_value(),
            Err(_) => Value::List(values.iter().map(|&v| Value::Float(v)).collect()),
        }
    } else {
        Value::List(values.iter().map(|&v| Value::Float(v)).collect())
    }
}

/// A bare numeric array stored in the summary: more than 32 elements become
/// `{"_type":"numpy.ndarray","var","mean","min","max","10%","25%","75%","90%","size"}`
/// (numpy's pairwise sums and linear percentiles), otherwise a JSON list.
/// Returns `Value::Null` for an empty array.
pub fn summary_array(values: &[f64]) -> Value {
    if values.len() <= 32 {
        return Value::List(values.iter().map(|&v| Value::Float(v)).collect());
    }
    let s = ArrayStats::of(values);
    stats_value(s, Value::Float(s.min), Value::Float(s.max), values.len())
}

/// [`summary_array`] for integers (`min`/`max` stay integers, as numpy's
/// `.item()` gives).
pub fn summary_array_i64(values: &[i64]) -> Value {
    if values.len() <= 32 {
        return Value::List(values.iter().map(|&v| Value::Int(v)).collect());
    }
    let f: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    let s = ArrayStats::of(&f);
    let min = values.iter().copied().min().unwrap_or(0);
    let max = values.iter().copied().max().unwrap_or(0);
    stats_value(s, Value::Int(min), Value::Int(max), values.len())
}

fn stats_value(s: ArrayStats, min: Value, max: Value, n: usize) -> Value {
    let mut m = Map::new();
    m.insert("_type".into(), Value::from("numpy.ndarray"));
    m.insert("var".into(), Value::Float(s.var));
    m.insert("mean".into(), Value::Float(s.mean));
    m.insert("min".into(), min);
    m.insert("max".into(), max);
    m.insert("10%".into(), Value::Float(s.p10));
    m.insert("25%".into(), Value::Float(s.p25));
    m.insert("75%".into(), Value::Float(s.p75));
    m.insert("90%".into(), Value::Float(s.p90));
    m.insert("size".into(), Value::UInt(n as u64));
    Value::Map(m)
}

#[derive(Debug, Clone, Copy)]
struct ArrayStats {
    var: f64,
    mean: f64,
    min: f64,
    max: f64,
    p10: f64,
    p25: f64,
    p75: f64,
    p90: f64,
}

impl ArrayStats {
    fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = pairwise_sum(values.iter().copied(), values.len()) / n;
        let sq = values.iter().map(|&x| {
            let d = x - mean;
            d * d
        });
        let var = pairwise_sum(sq, values.len()) / n;
        let mut sorted = values.to_vec();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let min = sorted.first().copied().unwrap_or(f64::NAN);
        let max = sorted.last().copied().unwrap_or(f64::NAN);
        ArrayStats {
            var,
            mean,
            min,
            max,
            p10: percentile_linear(&sorted, 10.0),
            p25: percentile_linear(&sorted, 25.0),
            p75: percentile_linear(&sorted, 75.0),
            p90: percentile_linear(&sorted, 90.0),
        }
    }
}

/// numpy's pairwise summation (8 accumulators, blocks of 128).
fn pairwise_sum(it: impl Iterator<Item = f64>, n: usize) -> f64 {
    let v: Vec<f64> = it.collect();
    debug_assert_eq!(v.len(), n);
    pairwise(&v)
}

fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        // numpy starts from -0.0 so that an all -0.0 sum stays -0.0.
        let mut res = -0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// `numpy.percentile(sorted, q)` with the default linear method.
fn percentile_linear(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let q = q / 100.0;
    // numpy's "linear" method: virtual index = (n - 1) * q.
    let virtual_index = (n - 1) as f64 * q;
    let prev = virtual_index.floor();
    let gamma = virtual_index - prev;
    let lo = (prev.max(0.0) as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_hist_np_passthrough_shape() {
        let h =
            Histogram::from_np_histogram(vec![1.0, 1.0, 2.0], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(
            wandb_core::json::to_json_string(&h.to_value()).unwrap(),
            r#"{"_type":"histogram","values":[1,1,2],"bins":[1,2,3,4]}"#
        );
    }

    #[test]
    fn equal_values_widen_range() {
        let h = Histogram::from_f64_bins(&[3.0, 3.0], 2).unwrap();
        assert_eq!(h.edges(), &[2.5, 3.0, 3.5]);
        assert_eq!(h.counts(), &[0.0, 2.0]);
    }

    #[test]
    fn non_finite_are_dropped_and_counted() {
        let h = Histogram::from_f64_bins(&[f64::NAN, 1.0, f64::INFINITY, 2.0], 1).unwrap();
        assert_eq!(h.dropped_non_finite(), 2);
        assert_eq!(h.counts(), &[2.0]);
        let e = Histogram::from_f64(&[f64::NAN]).unwrap();
        assert_eq!(e.counts().iter().sum::<f64>(), 0.0);
    }

    #[test]
    fn bins_are_validated() {
        assert!(Histogram::from_f64_bins(&[1.0], 0).is_err());
        assert!(Histogram::from_f64_bins(&[1.0], 513).is_err());
        assert!(Histogram::from_np_histogram(vec![1.0], vec![1.0]).is_err());
    }

    #[test]
    fn summary_stats_match_numpy() {
        // numpy_nan_inf_encoding golden: np.arange(100) in the summary.
        let v: Vec<i64> = (0..100).collect();
        let s = wandb_core::json::to_json_string(&summary_array_i64(&v)).unwrap();
        assert_eq!(
            s,
            r#"{"_type":"numpy.ndarray","var":833.25,"mean":49.5,"min":0,"max":99,"10%":9.9,"25%":24.75,"75%":74.25,"90%":89.10000000000001,"size":100}"#
        );
    }

    #[test]
    fn history_array_matches_official_32_bins() {
        // np.arange(40, dtype=float64) logged to history (checked with wandb 0.31.0).
        let v: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let s = wandb_core::json::to_json_string(&history_array(&v)).unwrap();
        assert_eq!(
            s,
            r#"{"_type":"histogram","values":[2,1,1,1,2,1,1,1,1,2,1,1,1,2,1,1,1,1,2,1,1,1,2,1,1,1,1,2,1,1,1,2],"bins":[0,1.21875,2.4375,3.65625,4.875,6.09375,7.3125,8.53125,9.75,10.96875,12.1875,13.40625,14.625,15.84375,17.0625,18.28125,19.5,20.71875,21.9375,23.15625,24.375,25.59375,26.8125,28.03125,29.25,30.46875,31.6875,32.90625,34.125,35.34375,36.5625,37.78125,39]}"#
        );
        let short = wandb_core::json::to_json_string(&history_array(&[0.0, 1.0])).unwrap();
        assert_eq!(short, "[0,1]");
    }

    #[test]
    fn histc_last_bin_closed_and_out_of_range_ignored() {
        let mut c = [0u64; 64];
        let n = histc_f32(&[-1.0, 0.0, 1.0, 2.0], 0.0, 1.0, &mut c);
        assert_eq!(n, 2);
        assert_eq!(c[0], 1);
        assert_eq!(c[63], 1);
        assert_eq!(
            finite_min_max_f32(&[f32::NAN, 2.0, -1.0]),
            Some((-1.0, 2.0))
        );
    }
}

#[cfg(test)]
mod histc_tests {
    use super::*;

    /// The definition, evaluated one value at a time.
    fn reference(values: &[f32], min: f32, max: f32, bins: usize) -> Vec<u64> {
        let mut c = vec![0u64; bins];
        for &x in values {
            if x >= min && x <= max {
                let i = ((x - min) / (max - min) * bins as f32).floor() as usize;
                c[i.min(bins - 1)] += 1;
            }
        }
        c
    }

    #[test]
    fn fast_histc_equals_the_definition() {
        let mut s = 0x2545_F491u32;
        let mut vals: Vec<f32> = (0..100_000)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 3.0 - 1.0
            })
            .collect();
        // Exact bin boundaries, the ends, outside values, non-finite values.
        vals.extend((0..=64).map(|i| -1.0 + 3.0 * i as f32 / 64.0));
        vals.extend([
            -1.0,
            2.0,
            -1.5,
            2.5,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ]);
        for bins in [1, 7, 64, 513] {
            let mut c = vec![0u64; bins];
            let n = histc_f32(&vals, -1.0, 2.0, &mut c);
            assert_eq!(c, reference(&vals, -1.0, 2.0, bins), "bins {bins}");
            assert_eq!(n, c.iter().sum::<u64>());
        }
        let mut one = [0u64; 4];
        assert_eq!(histc_f32(&[5.0, 5.0, 4.0], 5.0, 5.0, &mut one), 2);
        assert_eq!(one, [2, 0, 0, 0]);
    }
}
