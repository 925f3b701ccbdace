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
//! The kernels live in `wandb-data-types` (module `histogram::torch`): two
//! passes over the borrowed slice (one for the range, one for the counts),
//! AVX2 when available, no allocation but the result.

use wandb_core::{Map, Media, MediaContext, Value};

/// Number of bins the official client uses for `watch()` histograms.
pub const DEFAULT_BINS: usize = 64;

/// The most bins W&B accepts in a histogram.
pub const MAX_BINS: usize = 512;

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

/// The histogram of an owned host copy of a tensor, computed on the run's
/// writer thread when the row is written (as a [`Media`] value that writes no
/// file). `watch` uses it for small tensors, whose cost on the training
/// thread would be the fixed work per histogram, not the binning; the copy
/// is the one the framework made to read the tensor, moved, not copied again.
#[derive(Debug, Clone, PartialEq)]
pub struct DeferredHistogram {
    values: Vec<f32>,
    num_bins: usize,
}

impl DeferredHistogram {
    /// Tensors with at most this many elements are deferred by `watch`:
    /// small enough that holding the copy until the writer gets to it costs
    /// little memory.
    pub const MAX_LEN: usize = 1 << 16;

    /// Wraps `values` when it has a finite value (else there is no
    /// histogram, as [`TensorHistogram::from_slice`] says), giving it back
    /// otherwise.
    ///
    /// ```
    /// use wandb_callbacks::DeferredHistogram;
    /// assert!(DeferredHistogram::new(vec![0.5, f32::NAN], 64).is_ok());
    /// assert!(DeferredHistogram::new(vec![f32::NAN], 64).is_err());
    /// ```
    pub fn new(values: Vec<f32>, num_bins: usize) -> Result<Self, Vec<f32>> {
        // Usually the first element answers.
        if values.iter().any(|v| v.is_finite()) {
            Ok(DeferredHistogram { values, num_bins })
        } else {
            Err(values)
        }
    }

    /// The histogram it will be written as.
    pub fn histogram(&self) -> Option<TensorHistogram> {
        TensorHistogram::from_slice(&self.values, self.num_bins)
    }
}

impl Media for DeferredHistogram {
    fn materialize(&self, _ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        Ok(self.histogram().map_or(Value::Null, |h| h.to_value()))
    }
}

/// Slices at least this long are split across threads for both passes
/// (like torch's intra-op parallelism); shorter ones stay on the caller.
const PARALLEL_MIN: usize = 1 << 21;

/// The most threads one histogram uses.
const MAX_THREADS: usize = 4;

/// `f` over consecutive parts of `data`, on scoped threads when `data` is
/// long and the machine has cores to spare; results in order. A thread that
/// cannot be started leaves its part to the caller's thread.
fn map_parts<R: Send>(data: &[f32], f: impl Fn(&[f32]) -> R + Sync) -> Vec<R> {
    let threads = if data.len() < PARALLEL_MIN {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS)
            .min(data.len() / (PARALLEL_MIN / 2))
    };
    if threads <= 1 {
        return vec![f(data)];
    }
    let part = data.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let mut parts = data.chunks(part);
        let first = parts.next().unwrap_or_default();
        let spawned: Vec<_> = parts
            .map(|p| {
                std::thread::Builder::new()
                    .name("wandb-histogram".into())
                    .spawn_scoped(scope, move || f(p))
                    .map_err(|_| p)
            })
            .collect();
        let mut out = Vec::with_capacity(threads);
        out.push(f(first));
        for s in spawned {
            out.push(match s {
                Ok(handle) => match handle.join() {
                    Ok(r) => r,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(p) => f(p),
            });
        }
        out
    })
}

/// Minimum and maximum of the finite values of `data`; `None` when there is
/// no finite value.
pub fn finite_range(data: &[f32]) -> Option<(f32, f32)> {
    map_parts(data, wandb_data_types::finite_min_max_f32)
        .into_iter()
        .flatten()
        .reduce(|(l1, h1), (l2, h2)| (l1.min(l2), h1.max(h2)))
}

/// Number of finite values of `data`.
pub fn count_finite(data: &[f32]) -> u64 {
    map_parts(data, wandb_data_types::count_finite_f32)
        .into_iter()
        .sum()
}

/// `torch.histc(data, bins=num_bins, min=min, max=max)` on the CPU, as counts
/// (see [`wandb_data_types::histc_f32`]); `num_bins` is clamped to `1..=512`.
///
/// Elements outside `[min, max]` and NaN are skipped; `x == max` is counted in
/// the last bin. Requires `min < max` (both finite); other inputs give
/// all-zero counts.
pub fn histc(data: &[f32], num_bins: usize, min: f32, max: f32) -> Vec<u64> {
    let bins = num_bins.clamp(1, MAX_BINS);
    let mut counts = vec![0u64; bins];
    if min.partial_cmp(&max) != Some(std::cmp::Ordering::Less) {
        return counts;
    }
    let parts = map_parts(data, |p| {
        let mut c = vec![0u64; bins];
        wandb_data_types::histc_f32(p, min, max, &mut c);
        c
    });
    for part in parts {
        for (total, c) in counts.iter_mut().zip(part) {
            *total += c;
        }
    }
    counts
}

/// `torch.linspace(start, end, steps)` in `float32` on the CPU (see
/// [`wandb_data_types::torch_linspace_f32`]).
pub fn linspace(start: f32, end: f32, steps: usize) -> Vec<f32> {
    wandb_data_types::torch_linspace_f32(start, end, steps)
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
    fn long_slices_split_across_threads_give_the_same_histogram() {
        // Above PARALLEL_MIN, with the extremes and non-finite values in the
        // last part.
        let n = PARALLEL_MIN * 2 + 12_345;
        let mut data: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 10_007) as f32 * 1e-3)
            .collect();
        data[n - 1] = -3.0;
        data[n - 2] = f32::NAN;
        data[n - 3] = 42.0;
        data[n - 4] = f32::NEG_INFINITY;
        let h = TensorHistogram::from_slice(&data, 64).unwrap();
        assert_eq!((h.bins[0], h.bins[64]), (-3.0, 42.0));
        let mut one = vec![0u64; 64];
        wandb_data_types::histc_f32(&data, -3.0, 42.0, &mut one);
        assert_eq!(h.values, one);
        assert_eq!(h.total(), n as u64 - 2);
        assert_eq!(count_finite(&data), n as u64 - 2);
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
