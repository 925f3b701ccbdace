//! Floats in Go's shortest `'g'` form (`strconv.FormatFloat(v, 'g', -1, _)`,
//! what wandb-core writes): the shortest round-trip digits from `zmij`,
//! rearranged by slice copies; integer-scaled values (`_runtime` in ns,
//! `_timestamp` in µs) written without a float conversion.

use crate::value::Value;

/// Appends a double in Go's shortest `'g'` form.
pub fn write_f64(f: f64, out: &mut String) {
    if let Some(tok) = non_finite_token(f) {
        out.push_str(tok);
        return;
    }
    let mut buf = GoBuf::default();
    write_go_g(zmij::Buffer::new().format_finite(f), &mut buf);
    out.push_str(buf.as_str());
}

/// Appends a single-precision float in Go's shortest `'g'` form for 32-bit floats.
pub fn write_f32(f: f32, out: &mut String) {
    if let Some(tok) = non_finite_token(f as f64) {
        out.push_str(tok);
        return;
    }
    let mut buf = GoBuf::default();
    write_go_g(zmij::Buffer::new().format_finite(f), &mut buf);
    out.push_str(buf.as_str());
}

/// Appends the encoding of a scalar (null, bool, integer, float) as bytes,
/// the writer thread's fast path; returns false (writing nothing) for
/// strings, lists, maps and media.
pub(crate) fn write_scalar_bytes(value: &Value, out: &mut Vec<u8>) -> bool {
    let float = |f: f64, out: &mut Vec<u8>| match non_finite_token(f) {
        Some(tok) => out.extend_from_slice(tok.as_bytes()),
        None => write_go_g(zmij::Buffer::new().format_finite(f), out),
    };
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::UInt(u) if *u <= i64::MAX as u64 => {
            out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes())
        }
        Value::UInt(u) => float(*u as f64, out),
        Value::Float(f) => float(*f, out),
        Value::Float32(f) => match non_finite_token(f64::from(*f)) {
            Some(tok) => out.extend_from_slice(tok.as_bytes()),
            None => write_go_g(zmij::Buffer::new().format_finite(*f), out),
        },
        _ => return false,
    }
    true
}

/// The bare token W&B writes for a non-finite double (`NaN`, `Infinity`,
/// `-Infinity`); `None` for finite values.
pub fn non_finite_token(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("Infinity")
    } else if f == f64::NEG_INFINITY {
        Some("-Infinity")
    } else {
        None
    }
}

/// Largest `units` for which [`write_scaled_bytes`] applies at `scale`
/// decimal places: below it, `units` is exact in an `f64` and the spacing of
/// doubles near `units / 10^scale` is below `10^-scale` (2^-30 < 1e-9 below
/// 2^23, 2^-20 < 1e-6 below 2^33).
fn max_scaled_units(scale: u32) -> u64 {
    match scale {
        6 => (1u64 << 33) * 1_000_000,
        9 => (1u64 << 23) * 1_000_000_000,
        _ => 0,
    }
}

/// Appends Go's shortest `'g'` form of the double `units as f64 / 10^scale`
/// (one correctly rounded division) without a float-to-string conversion:
/// in the supported range that double's shortest round-trip digits are
/// exactly the decimal `units / 10^scale` without trailing zeros, because
/// no other decimal with at most `scale` places lies within half a spacing
/// of it. Returns false, writing nothing, outside that range (scale 6 up to
/// 2^33 s, scale 9 up to 2^23 s). Used for `_runtime` (nanoseconds) and
/// `_timestamp` (microseconds).
pub(crate) fn write_scaled_bytes(units: u64, scale: u32, out: &mut Vec<u8>) -> bool {
    if units >= max_scaled_units(scale) {
        return false;
    }
    if units == 0 {
        out.push(b'0');
        return true;
    }
    let mut itoa = itoa::Buffer::new();
    let digits = itoa.format(units).as_bytes();
    let sig = digits.len() - digits.iter().rev().take_while(|&&c| c == b'0').count();
    let exp10 = digits.len() as i32 - 1 - scale as i32;
    let (first, rest) = digits[..sig].split_at(1);
    out.go_digits(first, rest, exp10);
    true
}

/// Rewrites the shortest round-trip output of `zmij` (`0.00001`, `123456.0`,
/// `1763781234.1234567`, `1e-7`, `1.5e+16`) into Go's
/// `strconv.FormatFloat(v, 'g', -1, _)` form: the same shortest digits, in
/// `%e` form with an exponent of at least two digits when the decimal
/// exponent is below -4 or at least 6 (Go's rule for shortest formatting),
/// else plain decimal without a trailing `.0`. Assembles slices of the input
/// in a stack buffer and appends it once.
fn write_go_g(s: &str, buf: &mut impl AsciiSink) {
    let bytes = s.as_bytes();
    let (neg, body) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    if neg {
        buf.put(b"-");
    }
    // An exponent is at most "e+308": only the last five bytes can hold it.
    let tail = body.len().saturating_sub(5);
    if let Some(e) = body[tail..].iter().position(|&c| c == b'e') {
        // d[.ddd]e[+-]x: zmij only uses it for exponents outside [-5, 16).
        let (mant, exp) = (&body[..tail + e], &body[tail + e + 1..]);
        let (eneg, digits) = match exp.first() {
            Some(b'-') => (true, &exp[1..]),
            Some(b'+') => (false, &exp[1..]),
            _ => (false, exp),
        };
        let mag = digits
            .iter()
            .fold(0i32, |acc, &d| acc * 10 + i32::from(d.wrapping_sub(b'0')));
        let exp10 = if eneg { -mag } else { mag };
        let (first, rest) = mant.split_at(1.min(mant.len()));
        let rest = rest.strip_prefix(b".").unwrap_or(rest);
        buf.go_digits(first, rest, exp10);
    } else {
        let (int, frac) = match body.iter().position(|&c| c == b'.') {
            Some(dot) => (&body[..dot], &body[dot + 1..]),
            None => (body, &[][..]),
        };
        let integral = frac == b"0";
        let frac = if integral { &[][..] } else { frac };
        if int != b"0" {
            let exp10 = int.len() as i32 - 1;
            if exp10 < 6 {
                // Already Go's form, less a trailing ".0".
                buf.put(if integral { int } else { body });
            } else if frac.is_empty() {
                // Without a fraction the int's trailing zeros are not significant.
                let (first, rest) = int.split_at(1);
                let kept = rest.len() - rest.iter().rev().take_while(|&&c| c == b'0').count();
                buf.go_digits(first, &rest[..kept], exp10);
            } else {
                let (first, rest) = int.split_at(1);
                buf.sci(first, &[rest, frac], exp10);
            }
        } else {
            // 0.000ddd
            let zeros = frac.iter().take_while(|&&c| c == b'0').count();
            let digits = &frac[zeros..];
            if digits.is_empty() {
                buf.put(b"0");
            } else if zeros < 4 {
                buf.put(body); // 0.ddd, 0.0ddd ... 0.000ddd: already Go's form
            } else {
                let (first, rest) = digits.split_at(1);
                buf.sci(first, &[rest], -(zeros as i32) - 1);
            }
        }
    }
}

/// Where [`write_go_g`] puts its ASCII pieces.
trait AsciiSink {
    fn put(&mut self, s: &[u8]);

    /// The digits `first rest` (no trailing zeros) with decimal exponent
    /// `exp10` of `first`, in Go's form: plain for `-4 <= exp10 < 6`, else `%e`.
    fn go_digits(&mut self, first: &[u8], rest: &[u8], exp10: i32) {
        if !(-4..6).contains(&exp10) {
            self.sci(first, &[rest], exp10);
        } else if exp10 < 0 {
            self.put(b"0.");
            self.put(&b"0000"[..(-exp10 - 1) as usize]);
            self.put(first);
            self.put(rest);
        } else {
            let int_digits = exp10 as usize; // digits of `rest` before the point
            self.put(first);
            if rest.len() <= int_digits {
                self.put(rest);
                self.put(&b"00000"[..int_digits - rest.len()]);
            } else {
                self.put(&rest[..int_digits]);
                self.put(b".");
                self.put(&rest[int_digits..]);
            }
        }
    }

    /// `d.ddde±XX`: `first`, then the concatenated `rest` parts after a
    /// point (no point when they are all empty), then a sign and at least
    /// two exponent digits.
    fn sci(&mut self, first: &[u8], rest: &[&[u8]], exp10: i32) {
        self.put(first);
        if rest.iter().any(|r| !r.is_empty()) {
            self.put(b".");
            for r in rest {
                self.put(r);
            }
        }
        let a = exp10.unsigned_abs();
        let sign = if exp10 < 0 { b'-' } else { b'+' };
        let (d0, d1, d2) = (
            b'0' + (a / 100 % 10) as u8,
            b'0' + (a / 10 % 10) as u8,
            b'0' + (a % 10) as u8,
        );
        if a >= 100 {
            self.put(&[b'e', sign, d0, d1, d2]);
        } else {
            self.put(&[b'e', sign, d1, d2]);
        }
    }
}

impl AsciiSink for Vec<u8> {
    #[inline]
    fn put(&mut self, s: &[u8]) {
        self.extend_from_slice(s);
    }
}

/// Stack buffer for one formatted float (at most a sign, 17 digits, a
/// point, four zeros and a five-byte exponent).
struct GoBuf {
    b: [u8; 40],
    n: usize,
}

impl Default for GoBuf {
    fn default() -> Self {
        GoBuf { b: [0; 40], n: 0 }
    }
}

impl AsciiSink for GoBuf {
    #[inline]
    fn put(&mut self, s: &[u8]) {
        let end = (self.n + s.len()).min(self.b.len());
        let take = end - self.n;
        self.b[self.n..end].copy_from_slice(&s[..take]);
        self.n = end;
    }
}

impl GoBuf {
    fn as_str(&self) -> &str {
        let bytes = &self.b[..self.n];
        debug_assert!(bytes.is_ascii());
        // SAFETY: only bytes of the formatter's ASCII output (digits, '.',
        // '-', '+', 'e') and ASCII literals are ever put in the buffer, and
        // `put` copies whole slices, so `bytes` is ASCII, hence UTF-8. (A
        // checked conversion here costs as much as the formatting.)
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rewrites ryu's shortest output (`1e-5`, `100000.0`, `1.5e16`) into Go's
    /// `strconv.FormatFloat(v, 'g', -1, _)` form: the same shortest digits, in
    /// `%e` form with an exponent of at least two digits when the decimal
    /// exponent is below -4 or at least 6 (Go's rule for shortest formatting),
    /// else plain decimal without a trailing `.0`. One pass over the bytes.
    fn reference_go_g(ryu: &str, out: &mut String) {
        if let Some(same) = reference_plain_fast_path(ryu) {
            out.push_str(same);
            return;
        }
        let b = ryu.as_bytes();
        let (neg, b) = match b.first() {
            Some(b'-') => (true, &b[1..]),
            _ => (false, b),
        };
        // Collect significant digits and the decimal exponent x of d1.d2d3...
        let mut digits = [0u8; 24];
        let mut nd = 0usize;
        let mut int_len = 0usize; // digits before the point
        let mut seen_point = false;
        let mut leading_zeros = 0usize; // zeros before the first significant digit
        let mut exp_part: i32 = 0;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                b'0'..=b'9' => {
                    if !seen_point {
                        int_len += 1;
                    }
                    if nd == 0 && c == b'0' {
                        leading_zeros += 1;
                    } else if nd < digits.len() {
                        digits[nd] = c;
                        nd += 1;
                    }
                }
                b'.' => seen_point = true,
                b'e' | b'E' => {
                    let rest = &b[i + 1..];
                    let (eneg, rest) = match rest.first() {
                        Some(b'-') => (true, &rest[1..]),
                        _ => (false, rest),
                    };
                    let mut e: i32 = 0;
                    for &d in rest {
                        e = e * 10 + i32::from(d - b'0');
                    }
                    exp_part = if eneg { -e } else { e };
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        while nd > 0 && digits[nd - 1] == b'0' {
            nd -= 1;
        }
        if nd == 0 {
            out.push_str(if neg { "-0" } else { "0" });
            return;
        }
        // int_len counts all digits before the point, leading zeros included.
        let exp10 = int_len as i32 - 1 - leading_zeros as i32 + exp_part;
        let digits = &digits[..nd];
        // Build the result in a stack buffer: at most 1 + 17 digits + "." + "e-308"
        // or "0.000" + 17 digits, well under 48 bytes.
        let mut buf = [0u8; 48];
        let mut n = 0usize;
        let mut put = |bytes: &[u8]| {
            buf[n..n + bytes.len()].copy_from_slice(bytes);
            n += bytes.len();
        };
        if neg {
            put(b"-");
        }
        if !(-4..6).contains(&exp10) {
            put(&digits[..1]);
            if nd > 1 {
                put(b".");
                put(&digits[1..]);
            }
            put(if exp10 < 0 { b"e-" } else { b"e+" });
            let a = exp10.unsigned_abs();
            if a >= 100 {
                put(&[b'0' + (a / 100) as u8]);
            }
            put(&[b'0' + (a / 10 % 10) as u8, b'0' + (a % 10) as u8]);
        } else if exp10 < 0 {
            put(b"0.");
            for _ in 0..(-exp10 - 1) {
                put(b"0");
            }
            put(digits);
        } else {
            let int_digits = exp10 as usize + 1;
            if nd <= int_digits {
                put(digits);
                for _ in nd..int_digits {
                    put(b"0");
                }
            } else {
                put(&digits[..int_digits]);
                put(b".");
                put(&digits[int_digits..]);
            }
        }
        // Only ASCII digits, signs, '.', 'e' were written.
        out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or("NaN"));
    }

    /// The common case where ryu's output already is Go's: plain decimal with
    /// a decimal exponent in [-4, 6), possibly with a `.0` to drop.
    fn reference_plain_fast_path(ryu: &str) -> Option<&str> {
        let b = ryu.as_bytes();
        let body = if b.first() == Some(&b'-') { &b[1..] } else { b };
        let point = body.iter().position(|&c| c == b'.')?;
        if body[point + 1..].contains(&b'e') {
            return None;
        }
        let s = ryu.strip_suffix(".0").unwrap_or(ryu);
        if body[..point] == *b"0" {
            // 0.000ddd: x >= -4 needs at most 3 zeros after the point
            let zeros = body[point + 1..].iter().take_while(|&&c| c == b'0').count();
            (zeros <= 3 && zeros < body.len() - point - 1).then_some(s)
        } else {
            (point <= 6).then_some(s)
        }
    }

    /// The previous implementation (ryu output rewritten byte by byte),
    /// checked against the official observations before it was replaced.
    fn reference(f: f64, single: bool) -> String {
        let mut buf = ryu::Buffer::new();
        let mut s = String::new();
        if single {
            reference_go_g(buf.format_finite(f as f32), &mut s);
        } else {
            reference_go_g(buf.format_finite(f), &mut s);
        }
        s
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// The slice-copying converter writes exactly what the previous one did.
        #[test]
        fn go_g_equals_reference(bits in proptest::prelude::any::<u64>(), scale in -30i32..30) {
            let f = f64::from_bits(bits);
            proptest::prop_assume!(f.is_finite());
            proptest::prop_assert_eq!(g(f), reference(f, false));
            let small = (bits >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi(scale);
            proptest::prop_assert_eq!(g(small), reference(small, false));
            let rounded = (small * 1e6).round();
            proptest::prop_assert_eq!(g(rounded), reference(rounded, false));
            let single = small as f32;
            let mut s = String::new();
            write_f32(single, &mut s);
            proptest::prop_assert_eq!(s, reference(single as f64, true));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// Integer-scaled values are written exactly as the float path
        /// writes the same double.
        #[test]
        fn scaled_units_equal_the_float_form(ns in 0u64..(1u64 << 23) * 1_000_000_000, us in 1_600_000_000_000_000u64..2_100_000_000_000_000, small in 0u64..100_000) {
            for (units, scale) in [(ns, 9u32), (us, 6), (small, 9), (small, 6), (ns / 1000, 6)] {
                let mut fast = Vec::new();
                proptest::prop_assert!(write_scaled_bytes(units, scale, &mut fast));
                let f = units as f64 / 10f64.powi(scale as i32);
                proptest::prop_assert_eq!(String::from_utf8(fast).unwrap(), g(f), "{} / 10^{}", units, scale);
            }
        }
    }

    #[test]
    fn scaled_units_outside_the_exact_range_are_refused() {
        let mut out = Vec::new();
        assert!(!write_scaled_bytes(
            (1u64 << 23) * 1_000_000_000,
            9,
            &mut out
        ));
        assert!(!write_scaled_bytes(5, 3, &mut out));
        assert!(out.is_empty());
        assert!(write_scaled_bytes(228_413_030, 9, &mut out));
        assert_eq!(out, b"0.22841303");
        out.clear();
        assert!(write_scaled_bytes(1_795_305_005_910_907, 6, &mut out));
        assert_eq!(out, b"1.795305005910907e+09");
    }

    fn g(f: f64) -> String {
        let mut s = String::new();
        write_f64(f, &mut s);
        s
    }

    #[test]
    fn go_shortest_g_matches_official_observations() {
        // V/media/numpy_nan_inf_encoding.txt and spec §1.3
        let cases: &[(f64, &str)] = &[
            (2.0, "2"),
            (-0.0, "-0"),
            (0.0, "0"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (100000.0, "100000"),
            (123456.5, "123456.5"),
            (1e6, "1e+06"),
            (1234567.5, "1.2345675e+06"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (1795305005.910907, "1.795305005910907e+09"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (1e-300, "1e-300"),
            (-2.5e-7, "-2.5e-07"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (f, want) in cases {
            assert_eq!(g(*f), *want, "{f:e}");
        }
    }

    proptest::proptest! {
        /// Any finite double round-trips and follows Go's %e/%f choice.
        #[test]
        fn go_g_round_trips(bits in proptest::prelude::any::<u64>()) {
            let f = f64::from_bits(bits);
            proptest::prop_assume!(f.is_finite());
            let s = g(f);
            proptest::prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), f.to_bits(), "{}", s);
            let exp10 = if f == 0.0 { 0 } else { f.abs().log10().floor() as i32 };
            if let Some((_, e)) = s.split_once('e') {
                proptest::prop_assert!(e.len() >= 3, "{}", s);
                proptest::prop_assert!(!(-3..5).contains(&exp10), "{}", s);
            } else {
                proptest::prop_assert!((-5..7).contains(&exp10), "{}", s);
                proptest::prop_assert!(!s.ends_with(".0"), "{}", s);
            }
        }
    }

    #[test]
    fn f32_uses_single_precision_shortest() {
        let mut s = String::new();
        write_f32(2.0f32 / 3.0, &mut s);
        assert_eq!(s, "0.6666667");
        s.clear();
        write_f32(1.0f32 / 3.0, &mut s);
        assert_eq!(s, "0.33333334");
    }

    #[test]
    fn u64_beyond_i64_becomes_float() {
        assert_eq!(
            super::super::to_json_string(&Value::UInt(12345678901234567890)).unwrap(),
            "1.2345678901234567e+19"
        );
    }
}
