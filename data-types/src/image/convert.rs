//! Turning float pixel buffers into 8-bit pixels.

/// How float pixel values become 8-bit values.
///
/// wandb 0.31.0 itself does **no** scaling: `wandb.Image(float_array)` is
/// `array.astype(numpy.uint8)` (truncation toward zero, out-of-range values
/// wrap), so an image in `[0, 1]` comes out black. Older clients (and most
/// users' expectations) used the rule that [`FloatScaling::Auto`]
/// implements, which is the default here. [`FloatScaling::Cast`] reproduces
/// 0.31.0 exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FloatScaling {
    /// The classic wandb rule: if the minimum is negative, shift and scale
    /// to `[0, 1]` (min-max); then if the maximum is ≤ 1, multiply by 255;
    /// finally clip to `[0, 255]` and truncate. So `[0, 1]` data is scaled
    /// by 255, `[-1, 1]` data is min-max normalised, and `[0, 255]` data is
    /// kept (truncated). NaN becomes 0.
    #[default]
    Auto,
    /// Always min-max normalise to `[0, 255]` (constant images become 0).
    MinMax,
    /// Exactly what wandb 0.31.0 does (`astype(uint8)`): truncate toward
    /// zero and wrap modulo 256; NaN and huge values become 0.
    Cast,
}

pub(crate) fn floats_to_u8(data: &[f64], scaling: FloatScaling) -> Vec<u8> {
    match scaling {
        FloatScaling::Cast => data.iter().map(|&x| numpy_cast_u8(x)).collect(),
        FloatScaling::MinMax => {
            let (lo, hi) = finite_range(data);
            let ptp = hi - lo;
            data.iter()
                .map(|&x| {
                    if !x.is_finite() || ptp <= 0.0 {
                        0
                    } else {
                        clip_trunc((x - lo) / ptp * 255.0)
                    }
                })
                .collect()
        }
        FloatScaling::Auto => {
            let (lo, hi) = finite_range(data);
            let shift = lo < 0.0;
            let ptp = hi - lo;
            let scaled_max = if shift {
                if ptp > 0.0 {
                    1.0
                } else {
                    f64::NAN
                }
            } else {
                hi
            };
            let times_255 = scaled_max <= 1.0;
            data.iter()
                .map(|&x| {
                    if !x.is_finite() {
                        return 0;
                    }
                    let mut v = x;
                    if shift {
                        v = (v - lo) / ptp;
                    }
                    if times_255 {
                        // (data * 255).astype(int32): truncation toward zero.
                        v = (v * 255.0).trunc();
                    }
                    clip_trunc(v)
                })
                .collect()
        }
    }
}

fn finite_range(data: &[f64]) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &x in data {
        if x.is_finite() {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    if lo > hi {
        (0.0, 0.0)
    } else {
        (lo, hi)
    }
}

fn clip_trunc(v: f64) -> u8 {
    if v.is_nan() {
        0
    } else {
        v.clamp(0.0, 255.0) as u8
    }
}

/// numpy's `float64 -> uint8` cast on x86-64 (via a 64-bit integer).
fn numpy_cast_u8(x: f64) -> u8 {
    if !x.is_finite() || x.abs() >= 9.2e18 {
        return 0;
    }
    (x.trunc() as i64) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_matches_wandb_0_31() {
        // wandb.Image(np.array([[-1.0, 0.7, 2.9, 255.9, 256.0, 300.0, -0.5]])) pixels.
        let got = floats_to_u8(
            &[-1.0, 0.7, 2.9, 255.9, 256.0, 300.0, -0.5],
            FloatScaling::Cast,
        );
        assert_eq!(got, vec![255, 0, 2, 255, 0, 44, 0]);
        assert_eq!(
            floats_to_u8(&[0.0, 0.5, 1.0], FloatScaling::Cast),
            vec![0, 0, 1]
        );
    }

    #[test]
    fn auto_scales_unit_and_signed_ranges() {
        assert_eq!(
            floats_to_u8(&[0.0, 0.5, 1.0], FloatScaling::Auto),
            vec![0, 127, 255]
        );
        assert_eq!(
            floats_to_u8(&[-1.0, 0.0, 1.0], FloatScaling::Auto),
            vec![0, 127, 255]
        );
        assert_eq!(
            floats_to_u8(&[0.0, 2.9, 300.0, f64::NAN], FloatScaling::Auto),
            vec![0, 2, 255, 0]
        );
        assert_eq!(
            floats_to_u8(&[10.0, 20.0], FloatScaling::MinMax),
            vec![0, 255]
        );
    }
}
