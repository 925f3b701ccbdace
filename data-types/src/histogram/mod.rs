//! `wandb.Histogram` and the histogram/summary helpers of the official client.
//!
//! * [`Histogram::from_f64`] / [`Histogram::from_f32`] bin like
//!   `numpy.histogram(values, bins=n)`: range `[min, max]` (widened by ±0.5
//!   when all values are equal), edges from `numpy.linspace` evaluated in the
//!   input's precision, numpy's bin assignment (compute the index, then fix it
//!   up against the edges; the last bin is closed).
//! * [`Histogram::from_np_histogram`] passes precomputed counts and edges
//!   through, like `wandb.Histogram(np_histogram=(values, edges))`.
//! * [`histc_f32`], [`torch_linspace_f32`] and [`finite_min_max_f32`] are
//!   the allocation-free `torch.histc` / `torch.linspace` kernels behind
//!   `watch()` (module `torch`).
//! * [`history_array`] and [`summary_array`] encode bare arrays the way the
//!   official client does in history (a 32-bin histogram above 32 elements)
//!   and in the summary (a `numpy.ndarray` statistics object).

use wandb_core::{Map, Media, MediaContext, Value};

use crate::error::{Error, Result};

mod numpy;
mod torch;

pub use numpy::{numpy_histogram, numpy_linspace, HistFloat};
pub use torch::{count_finite_f32, finite_min_max_f32, histc_f32, torch_linspace_f32};

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
}
