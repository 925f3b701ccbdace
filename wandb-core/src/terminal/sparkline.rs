//! Sparklines and number formatting of the end-of-run footer, following the
//! official client: a metric's sampled values are downsampled to at most
//! [`SPARKLINE_WIDTH`] points (first and last kept, indices rounded down) and
//! drawn with `▁▂▃▄▅▆▇█`, each value mapped to
//! `round_half_even((x - min) * 7 / (max - min))`; non-finite values are a
//! space, a flat series is all `▁`.

/// The eight bar characters, lowest first.
pub const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Points per sparkline (the official footer downsamples to 40).
pub const SPARKLINE_WIDTH: usize = 40;

/// The sparkline of `series` (empty when no value is finite).
pub fn sparkify(series: &[f64]) -> String {
    let finite = series.iter().copied().filter(|x| x.is_finite());
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut any = false;
    for x in finite {
        any = true;
        min = min.min(x);
        max = max.max(x);
    }
    if !any {
        return String::new();
    }
    let range = max - min;
    series
        .iter()
        .map(|&x| {
            if !x.is_finite() {
                ' '
            } else if range == 0.0 || !range.is_finite() {
                // A flat series (or one whose range overflows) is a baseline.
                BARS[0]
            } else {
                let scaled = ((x - min) * ((BARS.len() - 1) as f64 / range)).round_ties_even();
                // `scaled` is within 0..=7 up to rounding; clamp to be safe.
                BARS[(scaled.max(0.0) as usize).min(BARS.len() - 1)]
            }
        })
        .collect()
}

/// At most `target` values of `values`, first and last included, taking
/// index `floor(i * (len - 1) / (target - 1))` (the official `downsample`).
/// `target` below 2 keeps the values as they are.
pub fn downsample<T: Copy>(values: &[T], target: usize) -> Vec<T> {
    if target < 2 || values.len() < target {
        return values.to_vec();
    }
    let ratio = (values.len() - 1) as f64 / (target - 1) as f64;
    (0..target)
        .filter_map(|i| values.get((i as f64 * ratio) as usize).copied())
        .collect()
}

/// A summary number as the official footer prints it: floats rounded to 5
/// decimals (half to even on the exact value) in Python's `repr` notation
/// (`0.1234`, `3.0`, `1e-05`, `1e+16`, `nan`, `inf`).
pub fn format_summary_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let rounded: f64 = format!("{x:.5}").parse().unwrap_or(x);
    python_float_repr(rounded)
}

/// Python's `repr(float)`: the shortest round-trip digits, positional when
/// the decimal exponent is in `-4..16` (with at least one fractional digit),
/// scientific (`1.5e-05`, `1e+16`) otherwise.
pub fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let s = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let p = point as usize;
            if digits.len() <= p {
                format!("{digits}{}.0", "0".repeat(p - digits.len()))
            } else {
                format!("{}.{}", &digits[..p], &digits[p..])
            }
        };
        format!("{sign}{s}")
    } else {
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exp.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings produced by wandb 0.31's `sparkline.sparkify` and
    // `util.downsample` (the docstring examples plus edge cases).
    #[test]
    fn sparkify_matches_the_official_examples() {
        assert_eq!(
            sparkify(&[0.5, 1.2, 3.5, 7.3, 8.0, 12.5, 13.2, 15.0, 14.2, 11.8, 6.1, 1.9]),
            "▁▁▂▄▅▇▇██▆▄▂"
        );
        assert_eq!(
            sparkify(&[1.0, 1.0, -2.0, 3.0, -5.0, 8.0, -13.0]),
            "▆▆▅▆▄█▁"
        );
    }

    #[test]
    fn sparkify_edge_cases() {
        assert_eq!(sparkify(&[]), "");
        assert_eq!(sparkify(&[f64::NAN, f64::INFINITY]), "");
        assert_eq!(sparkify(&[2.0, 2.0, f64::NAN, 2.0]), "▁▁ ▁");
        assert_eq!(sparkify(&[0.0, f64::NAN, 7.0]), "▁ █");
        // 0.5 and 2.5 steps round half to even, as Python's round().
        assert_eq!(sparkify(&[0.0, 0.5, 2.5, 7.0]), "▁▁▃█");
        assert_eq!(sparkify(&[0.0, 1.5, 3.5, 7.0]), "▁▃▅█");
        assert_eq!(sparkify(&[f64::MAX, -f64::MAX]), "▁▁");
    }

    #[test]
    fn downsample_keeps_ends_and_rounds_indices_down() {
        let v: Vec<u32> = (0..100).collect();
        let d = downsample(&v, 40);
        assert_eq!(d.len(), 40);
        assert_eq!(d[0], 0);
        assert_eq!(d[39], 99);
        // int(i * 99 / 39)
        assert_eq!(d[1], 2);
        assert_eq!(d[20], 50);
        assert_eq!(downsample(&[1, 2, 3], 40), vec![1, 2, 3]);
        assert_eq!(downsample(&[1, 2, 3], 2), vec![1, 3]);
        assert_eq!(downsample(&[1, 2, 3], 1), vec![1, 2, 3]);
    }

    #[test]
    fn summary_numbers_as_python_prints_them() {
        for (x, want) in [
            (0.123456789, "0.12346"),
            (3.0, "3.0"),
            (0.00001, "1e-05"),
            (0.000012, "1e-05"),
            (0.000015, "2e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1234567.891234, "1234567.89123"),
            (-2.5, "-2.5"),
            (1e-9, "0.0"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(format_summary_float(x), want, "{x}");
        }
        assert_eq!(python_float_repr(1.5e-7), "1.5e-07");
        assert_eq!(python_float_repr(123.0), "123.0");
        assert_eq!(python_float_repr(1e15), "1000000000000000.0");
        assert_eq!(python_float_repr(-0.0), "-0.0");
    }
}
