//! The two JSON dialects the official Python client writes table files in.
//!
//! * [`Py::to_compact`]: the run file `media/table/*.table.json`, written by
//!   `pydantic_core.to_json` (compact, raw UTF-8, floats in `ryu` form with a
//!   `+` in positive exponents: `1e+16`, `1e-7`, `2.0`; `NaN`/`Infinity`).
//! * [`Py::to_stdlib_sorted`]: the artifact copy `<key>.table.json`, written
//!   by the standard library's `json.dumps(obj, sort_keys=True)` (`", "` and
//!   `": "` separators, `\uXXXX` for non-ASCII, floats as `repr()`: `1e-07`,
//!   `1e+16`, `2.0`).

use std::fmt::Write as _;

/// A JSON tree with Python's int/float distinction and non-finite floats.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Py {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Py>),
    /// Keys in insertion order (sorted on output where the dialect sorts).
    Dict(Vec<(String, Py)>),
}

impl Py {
    pub(crate) fn s(s: impl Into<String>) -> Py {
        Py::Str(s.into())
    }

    pub(crate) fn dict<const N: usize>(items: [(&str, Py); N]) -> Py {
        Py::Dict(items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// `pydantic_core.to_json` form (compact, insertion order).
    pub(crate) fn to_compact(&self) -> String {
        let mut out = String::new();
        self.write_compact(&mut out);
        out
    }

    fn write_compact(&self, out: &mut String) {
        match self {
            Py::Null => out.push_str("null"),
            Py::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Py::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Py::Float(f) => write_float_ryu_plus(*f, out),
            Py::Str(s) => write_str(s, false, out),
            Py::List(items) => {
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    it.write_compact(out);
                }
                out.push(']');
            }
            Py::Dict(items) => {
                out.push('{');
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, false, out);
                    out.push(':');
                    v.write_compact(out);
                }
                out.push('}');
            }
        }
    }

    /// `json.dumps(obj, sort_keys=True)` form.
    pub(crate) fn to_stdlib_sorted(&self) -> String {
        let mut out = String::new();
        self.write_stdlib(&mut out);
        out
    }

    fn write_stdlib(&self, out: &mut String) {
        match self {
            Py::Null => out.push_str("null"),
            Py::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Py::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Py::Float(f) => write_float_repr(*f, out),
            Py::Str(s) => write_str(s, true, out),
            Py::List(items) => {
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    it.write_stdlib(out);
                }
                out.push(']');
            }
            Py::Dict(items) => {
                let mut sorted: Vec<&(String, Py)> = items.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str(k, true, out);
                    out.push_str(": ");
                    v.write_stdlib(out);
                }
                out.push('}');
            }
        }
    }
}

/// `ryu` output with `e` followed by `+` for positive exponents (pydantic-core).
pub(crate) fn write_float_ryu_plus(f: f64, out: &mut String) {
    if let Some(t) = wandb_core::json::non_finite_token(f) {
        out.push_str(t);
        return;
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(f);
    match s.find('e') {
        Some(pos) if !s[pos + 1..].starts_with('-') => {
            out.push_str(&s[..=pos]);
            out.push('+');
            out.push_str(&s[pos + 1..]);
        }
        _ => out.push_str(s),
    }
}

/// Shortest round-trip digits and decimal-point position of a finite `f64`
/// (`value = 0.DIGITS * 10^decpt`), without sign.
fn shortest_digits(f: f64) -> (String, i32) {
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(f.abs());
    let (mantissa, exp) = match s.find('e') {
        Some(p) => (&s[..p], s[p + 1..].parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, ""),
    };
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut decpt = int_part.len() as i32 + exp;
    // Strip leading zeros (0.0001 -> "00001").
    let lead = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..lead);
    decpt -= lead as i32;
    let trimmed = digits.trim_end_matches('0').len();
    digits.truncate(trimmed);
    if digits.is_empty() {
        return ("0".to_owned(), 1);
    }
    (digits, decpt)
}

/// Python's `repr(float)`: shortest digits, exponent form when the decimal
/// exponent is < -4 or >= 16, two-digit exponents with a sign.
pub(crate) fn write_float_repr(f: f64, out: &mut String) {
    if let Some(t) = wandb_core::json::non_finite_token(f) {
        out.push_str(t);
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    let (digits, decpt) = shortest_digits(f);
    if f == 0.0 {
        out.push_str("0.0");
        return;
    }
    let n = digits.len() as i32;
    if -4 < decpt && decpt <= 16 {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..-decpt {
                out.push('0');
            }
            out.push_str(&digits);
        } else if decpt >= n {
            out.push_str(&digits);
            for _ in 0..decpt - n {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
}

fn write_str(s: &str, ascii_only: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ascii_only && (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(f: f64) -> String {
        let mut s = String::new();
        write_float_repr(f, &mut s);
        s
    }
    fn pyd(f: f64) -> String {
        let mut s = String::new();
        write_float_ryu_plus(f, &mut s);
        s
    }

    #[test]
    fn python_repr_matches_cpython() {
        // Values checked against CPython 3.11 repr().
        let cases = [
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (1e-7, "1e-07"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.5, "2.5"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (123456789.123, "123456789.123"),
            (100.0, "100.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (f, want) in cases {
            assert_eq!(repr(f), want, "{f:e}");
        }
    }

    #[test]
    fn pydantic_floats_match_wandb_json_dumps_safer() {
        // Output of wandb.util.json_dumps_safer (pydantic-core) for the same values.
        let cases = [
            (1e-4, "0.0001"),
            (1e-5, "0.00001"),
            (1e-6, "1e-6"),
            (1.5e-5, "0.000015"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (1e22, "1e+22"),
            (-0.0, "-0.0"),
            (2.0, "2.0"),
            (f64::INFINITY, "Infinity"),
        ];
        for (f, want) in cases {
            assert_eq!(pyd(f), want, "{f:e}");
        }
    }

    #[test]
    fn strings_escape_like_python() {
        let v = Py::List(vec![Py::s("é\"\n\u{1}"), Py::s("😀")]);
        assert_eq!(v.to_compact(), "[\"é\\\"\\n\\u0001\",\"😀\"]");
        assert_eq!(
            v.to_stdlib_sorted(),
            "[\"\\u00e9\\\"\\n\\u0001\", \"\\ud83d\\ude00\"]"
        );
    }

    #[test]
    fn stdlib_sorts_keys() {
        let v = Py::dict([("b", Py::Int(1)), ("a", Py::Float(1e-7))]);
        assert_eq!(v.to_stdlib_sorted(), "{\"a\": 1e-07, \"b\": 1}");
        assert_eq!(v.to_compact(), "{\"b\":1,\"a\":1e-7}");
    }
}
