//! `numpy.histogram` and `numpy.linspace`, bit for bit, evaluated in the
//! input's precision (`float32` arrays stay `float32`, as numpy 2 does).

use super::torch::finite_min_max_f32;
use super::MAX_BINS;

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
    /// The low 16 bits of the representation.
    fn low_u16(self) -> u16;
    /// Minimum ignoring NaN (`f32::min`).
    fn fmin(self, other: Self) -> Self;
    /// Maximum ignoring NaN (`f32::max`).
    fn fmax(self, other: Self) -> Self;
    /// Minimum and maximum of the finite values (`None` when there is none).
    fn finite_min_max(values: &[Self]) -> Option<(Self, Self)>;
}

macro_rules! hist_float {
    ($t:ty, $min_max:path) => {
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
            fn finite_min_max(values: &[Self]) -> Option<(Self, Self)> {
                $min_max(values)
            }
        }
    };
}
hist_float!(f32, finite_min_max_f32);
hist_float!(f64, finite_min_max);

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
    let range = T::finite_min_max(values);
    let (mut first, mut last) = range.unwrap_or((T::from_usize(0), T::from_usize(1)));
    if first == last {
        first = first.sub(T::from_f64(0.5));
        last = last.add(T::from_f64(0.5));
    }
    let edges = numpy_linspace(first, last, bins + 1);
    let mut counts = vec![0u64; bins];
    if range.is_some() {
        bin_values_dispatch(values, first, last, &edges, &mut counts);
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

/// [`bin_values`], compiled for AVX2 when the CPU has it (same IEEE
/// operations, so the same counts).
fn bin_values_dispatch<T: HistFloat>(
    values: &[T],
    first: T,
    last: T,
    edges: &[T],
    counts: &mut [u64],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { bin_values_avx2(values, first, last, edges, counts) };
    }
    bin_values(values, first, last, edges, counts)
}

/// [`bin_values`] with eight `f32` (four `f64`) per vector.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn bin_values_avx2<T: HistFloat>(values: &[T], first: T, last: T, edges: &[T], counts: &mut [u64]) {
    bin_values(values, first, last, edges, counts)
}

/// Counts the values of `[first, last]` into `counts` (one per bin).
///
/// Fast path: blocks of values get a vectorised bin guess; a guess is kept
/// only when the scaled position is further from an integer than the worst
/// rounding error of the edges and of the scaling, which proves it equal
/// to the edge-checked bin; the others (and out-of-range values) go through
/// [`exact_bin`].
#[inline(always)]
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
    let mut flag = [0u8; BLOCK];
    let lo_r = T::ROUND_MAGIC;
    let hi_r = maxpos.add(T::ROUND_MAGIC);
    // Four interleaved count arrays (fewer store->load dependencies);
    // MAX_BINS-sized so that masked indices need no bounds checks.
    let mut lanes = [[0u64; MAX_BINS]; 4];
    const MASK: usize = MAX_BINS - 1;
    for block in values.chunks(BLOCK) {
        let mut any_flag = 0u8;
        for ((&v, g), fl) in block.iter().zip(guess.iter_mut()).zip(flag.iter_mut()) {
            let f = v.sub(first).mul(scale);
            // round(f - 0.5) without a float->int conversion; the fraction
            // is taken before clamping so that values of the last bin
            // (clamped to `maxpos`) are not all sent to the slow path.
            let r = f.sub(half).add(T::ROUND_MAGIC);
            let frac = f.sub(r.sub(T::ROUND_MAGIC));
            let bad = u8::from(!(frac >= tol_t && frac <= one_minus));
            *fl = bad;
            any_flag |= bad;
            // NaN (flagged above) becomes bin 0 here.
            *g = r.fmax(lo_r).fmin(hi_r).low_u16();
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
        if any_flag != 0 {
            for j in 0..n {
                if flag[j] != 0 {
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
/// fallback when infinities are present); `f32` has its own SIMD version.
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
