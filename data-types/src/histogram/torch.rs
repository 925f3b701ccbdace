//! Host-buffer kernels with the exact `float32` rules of `torch.histc` and
//! `torch.linspace` (what the official `watch()` logs), and the min/max
//! pass they need. Every framework integration bins its tensors here.
//!
//! The kernels borrow the slice, allocate nothing but their result, and
//! use AVX2 when the CPU has it (checked at run time; the results are
//! bit-identical either way: the same IEEE operations in the same order).

use super::MAX_BINS;

/// Slots per count table: a power of two above [`MAX_BINS`] so that a masked
/// index needs no bounds check (slot `bins` collects skipped values).
const SLOTS: usize = 2 * MAX_BINS;

/// Values binned per inner block (indices first, then counts).
const BLOCK: usize = 1024;

/// Values per flush of the `u32` tables into the `u64` counts (each of the
/// four tables sees a quarter, far below `u32::MAX`).
const FLUSH: usize = BLOCK * 4096;

/// Minimum and maximum of the finite values of `values` (`None` when there
/// is none). NaN and ±infinity are skipped.
///
/// ```
/// use wandb_data_types::finite_min_max_f32;
/// assert_eq!(finite_min_max_f32(&[f32::NAN, 2.0, -1.0, f32::INFINITY]), Some((-1.0, 2.0)));
/// assert_eq!(finite_min_max_f32(&[f32::NAN]), None);
/// ```
pub fn finite_min_max_f32(values: &[f32]) -> Option<(f32, f32)> {
    let (lo, hi) = min_max_non_nan(values);
    if lo.is_finite() && hi.is_finite() {
        return Some((lo, hi));
    }
    // Infinities (or nothing finite): filter exactly.
    let mut it = values.iter().copied().filter(|v| v.is_finite());
    let first = it.next()?;
    Some(it.fold((first, first), |(l, h), v| (l.min(v), h.max(v))))
}

/// Number of finite values of `values`.
pub fn count_finite_f32(values: &[f32]) -> u64 {
    values.iter().map(|v| u64::from(v.is_finite())).sum()
}

/// `(min, max)` over the non-NaN values (`(+inf, -inf)` for none).
#[cfg(target_arch = "x86_64")]
fn min_max_non_nan(values: &[f32]) -> (f32, f32) {
    // SAFETY: SSE is part of every x86_64 CPU (the target's baseline).
    unsafe { min_max_sse(values) }
}

/// [`min_max_non_nan`] with explicit `minps`/`maxps` (the compiler's own
/// vectorisation of a NaN-skipping min is several times slower).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse")]
fn min_max_sse(values: &[f32]) -> (f32, f32) {
    use std::arch::x86_64::{_mm_loadu_ps, _mm_max_ps, _mm_min_ps, _mm_set1_ps, _mm_storeu_ps};
    const LANES: usize = 16;
    let mut lo = [_mm_set1_ps(f32::INFINITY); LANES / 4];
    let mut hi = [_mm_set1_ps(f32::NEG_INFINITY); LANES / 4];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (k, (l, h)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            // SAFETY: `c` holds LANES values, so the four at 4k..4k+4 (k <
            // LANES / 4) are in bounds; `loadu` needs no alignment.
            let v = unsafe { _mm_loadu_ps(c.as_ptr().add(4 * k)) };
            // MINPS/MAXPS return the second operand when either is NaN: a
            // NaN value keeps the accumulator, which is never NaN.
            *l = _mm_min_ps(v, *l);
            *h = _mm_max_ps(v, *h);
        }
    }
    let (mut l, mut h) = (f32::INFINITY, f32::NEG_INFINITY);
    for (lv, hv) in lo.iter().zip(&hi) {
        let (mut a, mut b) = ([0f32; 4], [0f32; 4]);
        // SAFETY: each array holds exactly the 4 f32 `storeu` writes.
        unsafe {
            _mm_storeu_ps(a.as_mut_ptr(), *lv);
            _mm_storeu_ps(b.as_mut_ptr(), *hv);
        }
        l = a.iter().fold(l, |acc, &x| acc.min(x));
        h = b.iter().fold(h, |acc, &x| acc.max(x));
    }
    rest.iter().fold((l, h), |(l, h), &v| (l.min(v), h.max(v)))
}

/// `(min, max)` over the non-NaN values (`(+inf, -inf)` for none).
#[cfg(not(target_arch = "x86_64"))]
fn min_max_non_nan(values: &[f32]) -> (f32, f32) {
    values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        })
}

/// `torch.histc(values, bins=counts.len(), min, max)` on a host buffer, as
/// torch's CPU kernel computes it: the bin of `x` is
/// `trunc((x - min) * bins / (max - min))` in `f32`, `x == max` goes to the
/// last bin, values outside `[min, max]` and NaN are skipped. `counts` is
/// zeroed first; returns the number of values counted.
///
/// `counts.len()` must be 1..=[`MAX_BINS`] and `min <= max` finite,
/// otherwise nothing is counted. When `min == max` every value equal to
/// `min` goes to the first bin (`watch()` logs that case as
/// `values=[n], bins=[min, max]`).
///
/// ```
/// let mut counts = [0u64; 4];
/// // torch.histc(torch.tensor([1., 2., 1., 5., nan]), bins=4, min=0, max=3)
/// let n = wandb_data_types::histc_f32(&[1.0, 2.0, 1.0, 5.0, f32::NAN], 0.0, 3.0, &mut counts);
/// assert_eq!(counts, [0, 2, 1, 0]);
/// assert_eq!(n, 3);
/// ```
pub fn histc_f32(values: &[f32], min: f32, max: f32, counts: &mut [u64]) -> u64 {
    counts.iter_mut().for_each(|c| *c = 0);
    let bins = counts.len();
    if bins == 0 || bins > MAX_BINS || !(min.is_finite() && max.is_finite()) || min > max {
        return 0;
    }
    if min == max {
        let n = values.iter().filter(|&&x| x == min).count() as u64;
        counts[0] = n;
        return n;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { histc_avx2(values, min, max, counts) };
    }
    histc_kernel(values, min, max, counts)
}

/// [`histc_kernel`] compiled for AVX2 (eight values per vector).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn histc_avx2(values: &[f32], min: f32, max: f32, counts: &mut [u64]) -> u64 {
    histc_kernel(values, min, max, counts)
}

/// The counting loop of [`histc_f32`] for `min < max` and 1..=MAX_BINS bins.
#[inline(always)]
fn histc_kernel(values: &[f32], min: f32, max: f32, counts: &mut [u64]) -> u64 {
    let bins = counts.len();
    let nb = bins as f32;
    let range = max - min;
    let last = (bins - 1) as f32;
    let skip = bins as f32; // slot of the skipped values
                            // Four interleaved tables: repeated increments of one bin do not wait
                            // on each other.
    let mut tables = [[0u32; SLOTS]; 4];
    let mut idx = [0u32; BLOCK];
    for part in values.chunks(FLUSH) {
        for chunk in part.chunks(BLOCK) {
            let idx = &mut idx[..chunk.len()];
            // Branch-free and without float->int casts, so that it vectorises.
            for (slot, &x) in idx.iter_mut().zip(chunk) {
                let inside = x >= min && x <= max;
                // torch's operations, in f32: (x - min) * bins / (max - min).
                let q = (x - min) * nb / range;
                let q = if q > last { last } else { q };
                *slot = trunc_small(if inside { q } else { skip });
            }
            let mut quads = idx.chunks_exact(4);
            for q in &mut quads {
                for (table, &i) in tables.iter_mut().zip(q) {
                    table[i as usize & (SLOTS - 1)] += 1;
                }
            }
            for &i in quads.remainder() {
                tables[0][i as usize & (SLOTS - 1)] += 1;
            }
        }
        for table in tables.iter_mut() {
            for (count, t) in counts.iter_mut().zip(table.iter()) {
                *count += u64::from(*t);
            }
            table.iter_mut().for_each(|t| *t = 0);
        }
    }
    counts.iter().sum()
}

/// `q as u32` (truncation) for `0 <= q <= 2^22`, with float operations only:
/// `q + 2^23` rounds `q` to the nearest integer, a correction gives the
/// floor, and the integer is read from the mantissa bits.
#[inline(always)]
fn trunc_small(q: f32) -> u32 {
    const MAGIC: f32 = 8_388_608.0; // 2^23
    let nearest = (q + MAGIC) - MAGIC;
    let floor = if nearest > q { nearest - 1.0 } else { nearest };
    (floor + MAGIC).to_bits() - MAGIC.to_bits()
}

/// `torch.linspace(start, end, steps)` in `float32` on the CPU.
///
/// `step = (end - start) / (steps - 1)` in `f32`; the first `steps / 2` values
/// are `start + step * i`, the others `end - step * (steps - 1 - i)`, each
/// with a single rounding (fused multiply-add), which is bit-for-bit what
/// torch 2.x produced for the reference vectors.
///
/// ```
/// assert_eq!(wandb_data_types::torch_linspace_f32(0.0, 1.0, 3), vec![0.0, 0.5, 1.0]);
/// ```
pub fn torch_linspace_f32(start: f32, end: f32, steps: usize) -> Vec<f32> {
    match steps {
        0 => return Vec::new(),
        1 => return vec![start],
        _ => {}
    }
    let step = (end - start) / (steps - 1) as f32;
    let half = steps / 2;
    (0..steps)
        .map(|i| {
            if i < half {
                step.mul_add(i as f32, start)
            } else {
                (-step).mul_add((steps - 1 - i) as f32, end)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// torch's definition, evaluated one value at a time.
    fn reference(values: &[f32], min: f32, max: f32, bins: usize) -> Vec<u64> {
        let mut c = vec![0u64; bins];
        for &x in values {
            if x >= min && x <= max {
                let i = ((x - min) * bins as f32 / (max - min)) as usize;
                c[i.min(bins - 1)] += 1;
            }
        }
        c
    }

    fn xorshift_values(n: usize, lo: f32, width: f32) -> Vec<f32> {
        let mut s = 0x2545_F491u32;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * width + lo
            })
            .collect()
    }

    #[test]
    fn histc_equals_the_definition() {
        let mut vals = xorshift_values(100_003, -1.0, 3.0);
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
        for bins in [1, 7, 64, 512] {
            let mut c = vec![0u64; bins];
            let n = histc_f32(&vals, -1.0, 2.0, &mut c);
            assert_eq!(c, reference(&vals, -1.0, 2.0, bins), "bins {bins}");
            assert_eq!(n, c.iter().sum::<u64>());
            // The portable kernel gives the same counts as the dispatched one.
            let mut p = vec![0u64; bins];
            histc_kernel(&vals, -1.0, 2.0, &mut p);
            assert_eq!(p, c, "bins {bins}");
        }
    }

    #[test]
    fn histc_degenerate_inputs() {
        let mut one = [0u64; 4];
        assert_eq!(histc_f32(&[5.0, 5.0, 4.0], 5.0, 5.0, &mut one), 2);
        assert_eq!(one, [2, 0, 0, 0]);
        let mut c = [7u64; 3];
        assert_eq!(histc_f32(&[1.0], 2.0, 1.0, &mut c), 0);
        assert_eq!(c, [0, 0, 0]);
        assert_eq!(histc_f32(&[1.0], f32::NAN, 1.0, &mut c), 0);
        let mut too_many = vec![0u64; MAX_BINS + 1];
        assert_eq!(histc_f32(&[1.0], 0.0, 2.0, &mut too_many), 0);
        assert_eq!(histc_f32(&[1.0], 0.0, 2.0, &mut []), 0);
    }

    #[test]
    fn histc_counts_everything_in_long_inputs() {
        let data: Vec<f32> = (0..100_003)
            .map(|i| (i % 977) as f32 * 0.37 - 50.0)
            .collect();
        let (lo, hi) = finite_min_max_f32(&data).unwrap();
        let mut c = [0u64; 64];
        assert_eq!(histc_f32(&data, lo, hi, &mut c), 100_003);
        assert_eq!(c.iter().sum::<u64>(), 100_003);
    }

    #[test]
    fn min_max_skips_non_finite_in_every_lane() {
        for len in [1usize, 15, 16, 17, 37, 100] {
            for pos in 0..len {
                let mut data: Vec<f32> = (0..len).map(|i| i as f32).collect();
                data[pos] = f32::NAN;
                let finite: Vec<f32> = data.iter().copied().filter(|v| v.is_finite()).collect();
                let want = finite.first().map(|_| {
                    (
                        finite.iter().copied().fold(f32::INFINITY, f32::min),
                        finite.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                    )
                });
                assert_eq!(finite_min_max_f32(&data), want, "len {len} NaN at {pos}");
                data[pos] = if pos % 2 == 0 {
                    f32::INFINITY
                } else {
                    f32::NEG_INFINITY
                };
                assert_eq!(finite_min_max_f32(&data), want, "len {len} inf at {pos}");
            }
        }
        let mut data = vec![1.0f32; 37];
        data[3] = f32::NAN;
        data[20] = f32::INFINITY;
        data[33] = f32::NEG_INFINITY;
        data[5] = -2.0;
        data[36] = 7.0;
        assert_eq!(finite_min_max_f32(&data), Some((-2.0, 7.0)));
        assert_eq!(count_finite_f32(&data), 34);
        assert_eq!(finite_min_max_f32(&[]), None);
    }

    #[test]
    fn trunc_small_matches_cast() {
        let mut q = 0.0f32;
        while q < 600.0 {
            assert_eq!(trunc_small(q), q as u32, "{q}");
            q = f32::from_bits(q.to_bits() + 997);
        }
        for q in [0.999_999_94f32, 1.0, 2.5, 62.999_996, 63.0, 64.0, 511.75] {
            assert_eq!(trunc_small(q), q as u32, "{q}");
        }
    }

    #[test]
    fn linspace_endpoints_are_exact() {
        let l = torch_linspace_f32(-0.191_782_86, 0.162_609_03, 65);
        assert_eq!(l.len(), 65);
        assert_eq!(l[0], -0.191_782_86);
        assert_eq!(l[64], 0.162_609_03);
        assert!(torch_linspace_f32(1.0, 2.0, 0).is_empty());
        assert_eq!(torch_linspace_f32(1.0, 2.0, 1), vec![1.0]);
    }
}
