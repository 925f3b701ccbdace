//! Histograms of host tensors with the exact rules of the official client's
//! `watch()`: `torch.histc(flat, bins, min, max)` counts and
//! `torch.linspace(min, max, bins + 1)` edges, both in `float32`.
//!
//! The rules (spec §5):
//! - non-finite values are dropped; with none left there is no histogram;
//! - `min == max` gives one bin: `values = [n]`, `bins = [min, max]`;
//! - otherwise an element `x` goes to bin `trunc((x - min) * bins / (max - min))`
//!   computed in `f32` (torch's CPU `histc` kernel, linear interpolation
//!   without local search), with `x == max` in the last bin;
//! - edge `i` is `min + step * i` for the first half and
//!   `max - step * (bins - i)` for the second half, with
//!   `step = (max - min) / bins` in `f32` and one rounding per edge (torch's
//!   `linspace` kernel).
//!
//! The computation makes two passes over the borrowed slice (one for the
//! range, one for the counts) and allocates only the result.

use wandb_core::{Map, Value};

/// Number of bins the official client uses for `watch()` histograms.
pub const DEFAULT_BINS: usize = 64;

/// The most bins W&B accepts in a histogram.
pub const MAX_BINS: usize = 512;

/// Elements processed per block in the counting pass (bin indices of one
/// block are computed in a vectorisable loop, then counted).
const BLOCK: usize = 1024;

/// A histogram in W&B's `{"_type":"histogram","values":[...],"bins":[...]}`
/// form: `values` are counts, `bins` the `values.len() + 1` edges.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorHistogram {
    /// Count per bin.
    pub values: Vec<u64>,
    /// Bin edges, one more than `values`; `f32` like torch's, written as the
    /// `f64` of the same value (`-0.1917828619480133`), as the official client does.
    pub bins: Vec<f32>,
}

impl TensorHistogram {
    /// Histogram of `data` with `num_bins` bins over `[min, max]` of its
    /// finite values, following `torch.histc` + `torch.linspace`.
    ///
    /// Returns `None` when `data` has no finite value (the official client
    /// logs nothing then). `num_bins` is clamped to `1..=512`.
    ///
    /// ```
    /// use wandb_callbacks::TensorHistogram;
    /// let h = TensorHistogram::from_slice(&[0.0, 1.0, 2.0, 3.0, f32::NAN], 3).unwrap();
    /// assert_eq!(h.values, vec![1, 1, 2]);
    /// assert_eq!(h.bins, vec![0.0, 1.0, 2.0, 3.0]);
    /// ```
    pub fn from_slice(data: &[f32], num_bins: usize) -> Option<Self> {
        let num_bins = num_bins.clamp(1, MAX_BINS);
        let (min, max) = finite_range(data)?;
        if min == max {
            return Some(TensorHistogram {
                values: vec![count_finite(data)],
                bins: vec![min, max],
            });
        }
        Some(TensorHistogram {
            values: histc(data, num_bins, min, max),
            bins: linspace(min, max, num_bins + 1),
        })
    }

    /// The W&B value: `{"_type":"histogram","values":[ints],"bins":[floats]}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(3);
        m.insert("_type".into(), Value::from("histogram"));
        m.insert(
            "values".into(),
            Value::List(self.values.iter().map(|&c| Value::UInt(c)).collect()),
        );
        m.insert(
            "bins".into(),
            Value::List(
                self.bins
                    .iter()
                    .map(|&b| Value::Float(f64::from(b)))
                    .collect(),
            ),
        );
        Value::Map(m)
    }

    /// Total number of counted elements.
    pub fn total(&self) -> u64 {
        self.values.iter().sum()
    }
}

impl From<TensorHistogram> for Value {
    fn from(h: TensorHistogram) -> Self {
        h.to_value()
    }
}

/// Minimum and maximum of the finite values of `data` in one pass (16
/// independent lanes, so the loop vectorises); `None` when there is no
/// finite value.
pub fn finite_range(data: &[f32]) -> Option<(f32, f32)> {
    const L: usize = 16;
    let mut mins = [f32::INFINITY; L];
    let mut maxs = [f32::NEG_INFINITY; L];
    let mut chunks = data.chunks_exact(L);
    for c in &mut chunks {
        for j in 0..L {
            let v = c[j];
            let finite = v.abs() < f32::INFINITY; // false for NaN and ±inf
            let lo = if finite { v } else { f32::INFINITY };
            let hi = if finite { v } else { f32::NEG_INFINITY };
            mins[j] = if lo < mins[j] { lo } else { mins[j] };
            maxs[j] = if hi > maxs[j] { hi } else { maxs[j] };
        }
    }
    for &v in chunks.remainder() {
        if v.is_finite() {
            mins[0] = mins[0].min(v);
            maxs[0] = maxs[0].max(v);
        }
    }
    let min = mins.iter().copied().fold(f32::INFINITY, f32::min);
    let max = maxs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    (min <= max).then_some((min, max))
}

/// Number of finite values of `data`.
pub fn count_finite(data: &[f32]) -> u64 {
    data.iter().map(|v| u64::from(v.is_finite())).sum()
}

/// `torch.histc(data, bins=num_bins, min=min, max=max)` on the CPU, as counts.
///
/// Elements outside `[min, max]` and NaN are skipped; `x == max` is counted in
/// the last bin. Requires `min < max` (both finite) and `num_bins >= 1`; other
/// inputs give all-zero counts.
pub fn histc(data: &[f32], num_bins: usize, min: f32, max: f32) -> Vec<u64> {
    let num_bins = num_bins.max(1);
    let mut counts = vec![0u64; num_bins];
    if min.partial_cmp(&max) != Some(std::cmp::Ordering::Less)
        || !min.is_finite()
        || !max.is_finite()
    {
        return counts;
    }
    let nb = num_bins as f32;
    let range = max - min;
    let last = (num_bins - 1) as f32;
    let discard = num_bins as f32; // index of the "skipped" slot
                                   // Four interleaved tables avoid serialising on repeated increments of one bin.
    let width = num_bins + 1;
    let mut tables = vec![0u32; 4 * width];
    let mut idx = [0u32; BLOCK];
    for block in data.chunks(BLOCK * 4096) {
        for chunk in block.chunks(BLOCK) {
            let idx = &mut idx[..chunk.len()];
            // Bin indices, in a loop without branches or float->int casts so
            // that it vectorises.
            for (slot, &x) in idx.iter_mut().zip(chunk) {
                let inside = x >= min && x <= max;
                // Same operations as torch, in f32: (x - min) * bins / (max - min).
                let q = (x - min) * nb / range;
                let q = if inside {
                    if q > last {
                        last
                    } else {
                        q
                    }
                } else {
                    discard
                };
                *slot = trunc_small(q);
            }
            let mut quads = idx.chunks_exact(4);
            for q in &mut quads {
                tables[q[0] as usize] += 1;
                tables[width + q[1] as usize] += 1;
                tables[2 * width + q[2] as usize] += 1;
                tables[3 * width + q[3] as usize] += 1;
            }
            for &i in quads.remainder() {
                tables[i as usize] += 1;
            }
        }
        // Flush before the u32 tables can overflow.
        for t in 0..4 {
            for (b, count) in counts.iter_mut().enumerate() {
                *count += u64::from(tables[t * width + b]);
            }
        }
        tables.iter_mut().for_each(|c| *c = 0);
    }
    counts
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
pub fn linspace(start: f32, end: f32, steps: usize) -> Vec<f32> {
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

    #[test]
    fn min_equals_max_is_one_bin() {
        let h = TensorHistogram::from_slice(&[0.5, 0.5, f32::INFINITY, 0.5], 64).unwrap();
        assert_eq!(h.values, vec![3]);
        assert_eq!(h.bins, vec![0.5, 0.5]);
    }

    #[test]
    fn no_finite_values_gives_none() {
        assert!(TensorHistogram::from_slice(&[], 64).is_none());
        assert!(TensorHistogram::from_slice(&[f32::NAN, f32::NEG_INFINITY], 64).is_none());
    }

    #[test]
    fn histc_hand_computed() {
        // torch.histc(torch.tensor([1., 2., 1.]), bins=4, min=0, max=3) -> [0, 2, 1, 0]
        assert_eq!(histc(&[1.0, 2.0, 1.0], 4, 0.0, 3.0), vec![0, 2, 1, 0]);
        // max lands in the last bin, out-of-range and NaN are skipped
        assert_eq!(
            histc(&[0.0, 4.0, 5.0, -1.0, f32::NAN, 2.0], 4, 0.0, 4.0),
            vec![1, 0, 1, 1]
        );
    }

    #[test]
    fn histc_counts_everything_in_long_inputs() {
        let data: Vec<f32> = (0..100_003)
            .map(|i| (i % 977) as f32 * 0.37 - 50.0)
            .collect();
        let (lo, hi) = finite_range(&data).unwrap();
        assert_eq!(count_finite(&data), 100_003);
        let c = histc(&data, 64, lo, hi);
        assert_eq!(c.iter().sum::<u64>(), 100_003);
    }

    #[test]
    fn finite_range_skips_non_finite_in_every_lane() {
        let mut data = vec![1.0f32; 37];
        data[3] = f32::NAN;
        data[20] = f32::INFINITY;
        data[33] = f32::NEG_INFINITY;
        data[5] = -2.0;
        data[36] = 7.0;
        assert_eq!(finite_range(&data), Some((-2.0, 7.0)));
        assert_eq!(count_finite(&data), 34);
    }

    #[test]
    fn trunc_small_matches_cast() {
        for q in [
            0.0f32,
            0.5,
            0.999_999_94,
            1.0,
            1.5,
            2.5,
            62.999_996,
            63.0,
            64.0,
            511.75,
        ] {
            assert_eq!(trunc_small(q), q as u32, "{q}");
        }
        let mut q = 0.0f32;
        while q < 70.0 {
            assert_eq!(trunc_small(q), q as u32, "{q}");
            q = f32::from_bits(q.to_bits() + 997);
        }
    }

    #[test]
    fn linspace_endpoints_are_exact() {
        let l = linspace(-0.191_782_86, 0.162_609_03, 65);
        assert_eq!(l.len(), 65);
        assert_eq!(l[0], -0.191_782_86);
        assert_eq!(l[64], 0.162_609_03);
    }

    #[test]
    fn value_shape() {
        let h = TensorHistogram::from_slice(&[0.0, 1.0], 2).unwrap();
        let json = wandb_core::json::to_json_string(&h.to_value()).unwrap();
        assert_eq!(
            json,
            r#"{"_type":"histogram","values":[1,1],"bins":[0,0.5,1]}"#
        );
    }
}
