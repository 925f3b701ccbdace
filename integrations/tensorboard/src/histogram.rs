//! Histogram conversions: TensorBoard's two layouts to W&B's
//! `{"bins": edges, "values": counts}`, and re-binning to at most
//! [`MAX_BINS`] buckets.

use crate::proto::HistogramProto;

/// The most bins a W&B histogram may have.
pub const MAX_BINS: usize = 512;

/// A histogram in W&B's layout: `edges.len() == counts.len() + 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    /// Bucket edges, ascending.
    pub edges: Vec<f64>,
    /// Bucket counts.
    pub counts: Vec<f64>,
}

/// From a `[k, 3]` tensor of rows `(left, right, count)` (the `histograms`
/// plugin): the edges are the left edges plus the last right edge.
pub fn from_rows(rows: &[[f64; 3]]) -> Option<Bins> {
    let last = rows.last()?;
    let mut edges: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    edges.push(last[1]);
    let counts = rows.iter().map(|r| r[2]).collect();
    Some(Bins { edges, counts })
}

/// From a legacy `HistogramProto`, whose `bucket_limit` are right edges: a
/// zero-count first bucket is dropped and its limit becomes the first edge;
/// otherwise `min` is the first edge.
pub fn from_proto(h: &HistogramProto) -> Option<Bins> {
    let n = h.bucket.len().min(h.bucket_limit.len());
    if n == 0 {
        return None;
    }
    let (limits, counts) = (&h.bucket_limit[..n], &h.bucket[..n]);
    let (mut edges, counts) = if counts[0] == 0.0 && n > 1 {
        (limits.to_vec(), counts[1..].to_vec())
    } else {
        let edges = std::iter::once(h.min)
            .chain(limits.iter().copied())
            .collect();
        (edges, counts.to_vec())
    };
    // TensorFlow's legacy buckets end at +-DBL_MAX: keep the edges within
    // the observed range so the histogram stays drawable.
    if h.min < h.max {
        for e in &mut edges {
            *e = e.clamp(h.min, h.max);
        }
    }
    Some(Bins { edges, counts })
}

/// Re-bins to at most `max_bins` equal-width buckets spanning the same
/// range, spreading each bucket's count over the new buckets it overlaps in
/// proportion to the overlap (totals are preserved).
pub fn rebin(b: Bins, max_bins: usize) -> Bins {
    if b.counts.len() <= max_bins || max_bins == 0 {
        return b;
    }
    let lo = b.edges[0];
    let hi = b.edges[b.edges.len() - 1];
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return b;
    }
    let width = (hi - lo) / max_bins as f64;
    let edges: Vec<f64> = (0..=max_bins)
        .map(|i| {
            if i == max_bins {
                hi
            } else {
                lo + width * i as f64
            }
        })
        .collect();
    let mut counts = vec![0.0; max_bins];
    let index = |x: f64| (((x - lo) / width).floor().max(0.0) as usize).min(max_bins - 1);
    for (i, &c) in b.counts.iter().enumerate() {
        let (l, r) = (b.edges[i], b.edges[i + 1]);
        if r <= l {
            counts[index(l)] += c;
            continue;
        }
        let (first, last) = (index(l), index(r));
        for (j, slot) in counts.iter_mut().enumerate().take(last + 1).skip(first) {
            let overlap = r.min(edges[j + 1]) - l.max(edges[j]);
            if overlap > 0.0 {
                *slot += c * overlap / (r - l);
            }
        }
    }
    Bins { edges, counts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_golden() {
        let h = HistogramProto {
            min: 1.0,
            max: 4.0,
            num: 7.0,
            sum: 18.0,
            sum_squares: 52.0,
            bucket_limit: vec![1.0, 1.75, 2.5, 3.25, 4.0],
            bucket: vec![0.0, 1.0, 2.0, 3.0, 1.0],
        };
        let b = from_proto(&h).unwrap();
        assert_eq!(b.edges, vec![1.0, 1.75, 2.5, 3.25, 4.0]);
        assert_eq!(b.counts, vec![1.0, 2.0, 3.0, 1.0]);
    }

    #[test]
    fn legacy_nonzero_first() {
        let h = HistogramProto {
            min: 0.0,
            max: 2.0,
            bucket_limit: vec![1.0, 2.0],
            bucket: vec![3.0, 4.0],
            ..Default::default()
        };
        let b = from_proto(&h).unwrap();
        assert_eq!(b.edges, vec![0.0, 1.0, 2.0]);
        assert_eq!(b.counts, vec![3.0, 4.0]);
    }

    #[test]
    fn rebin_preserves_total() {
        let n = 1000;
        let b = Bins {
            edges: (0..=n).map(|i| i as f64 * 0.1).collect(),
            counts: (0..n).map(|i| (i % 7) as f64).collect(),
        };
        let total: f64 = b.counts.iter().sum();
        let r = rebin(b, MAX_BINS);
        assert_eq!(r.counts.len(), MAX_BINS);
        assert_eq!(r.edges.len(), MAX_BINS + 1);
        assert!((r.counts.iter().sum::<f64>() - total).abs() < 1e-6);
        assert_eq!(r.edges[0], 0.0);
        assert_eq!(*r.edges.last().unwrap(), 100.0);
    }
}
