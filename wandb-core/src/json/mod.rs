//! The JSON encoding W&B uses for `value_json` fields.
//!
//! It is the encoding of wandb-core (Go): floats in the shortest `'g'` form
//! (`2` for 2.0, `1e-05`, `1.2345675e+06`), integers exact, and `NaN`,
//! `Infinity`, `-Infinity` as bare tokens. [`parse`] reads it back, tokens
//! included, which `serde_json` cannot.

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::value::{Map, Value};

mod float;

pub use float::{non_finite_token, write_f32, write_f64};
pub(crate) use float::{write_scalar_bytes, write_scaled_bytes};

/// Encodes a value; fails if it still contains an unmaterialised media object.
pub fn to_json_string(value: &Value) -> Result<String> {
    let mut out = String::new();
    write_json(value, &mut out)?;
    Ok(out)
}

/// Appends the encoding of `value` to `out`.
pub fn write_json(value: &Value, out: &mut String) -> Result<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            out.push_str(itoa::Buffer::new().format(*i));
        }
        Value::UInt(u) => {
            if *u <= i64::MAX as u64 {
                out.push_str(itoa::Buffer::new().format(*u));
            } else {
                write_f64(*u as f64, out);
            }
        }
        Value::Float(f) => write_f64(*f, out),
        Value::Float32(f) => write_f32(*f, out),
        Value::Str(s) => write_str(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_json(v, out)?;
            }
            out.push('}');
        }
        Value::Media(m) => {
            return Err(Error::InvalidValue(format!(
                "media object {m:?} must be materialised before encoding"
            )))
        }
    }
    Ok(())
}

/// Appends a JSON string literal.
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses W&B value JSON (standard JSON plus the `NaN`, `Infinity` and
/// `-Infinity` tokens) into a [`Value`]. Integers stay integers; numbers with
/// a fraction or exponent become `Value::Float`.
pub fn parse(input: &str) -> Result<Value> {
    let mut p = Parser {
        s: input.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> Error {
        Error::InvalidValue(format!("bad JSON at byte {}: {what}", self.i))
    }
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
    }
    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }
    fn value(&mut self, depth: usize) -> Result<Value> {
        if depth > 256 {
            return Err(self.err("nesting too deep"));
        }
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return Err(self.err("unexpected end"));
        };
        match c {
            b'n' if self.eat("null") => Ok(Value::Null),
            b't' if self.eat("true") => Ok(Value::Bool(true)),
            b'f' if self.eat("false") => Ok(Value::Bool(false)),
            b'N' if self.eat("NaN") => Ok(Value::Float(f64::NAN)),
            b'I' if self.eat("Infinity") => Ok(Value::Float(f64::INFINITY)),
            b'-' if self.eat("-Infinity") => Ok(Value::Float(f64::NEG_INFINITY)),
            b'"' => Ok(Value::Str(self.string()?)),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(Value::List(items));
                    }
                    return Err(self.err("expected , or ]"));
                }
            }
            b'{' => {
                self.i += 1;
                let mut map = Map::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Value::Map(map));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return Err(self.err("expected key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return Err(self.err("expected :"));
                    }
                    let v = self.value(depth + 1)?;
                    map.insert(k, v);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("}") {
                        return Ok(Value::Map(map));
                    }
                    return Err(self.err("expected , or }"));
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.err("unexpected character")),
        }
    }
    fn number(&mut self) -> Result<Value> {
        let start = self.i;
        let mut float = false;
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => float = true,
                _ => break,
            }
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| self.err("number"))?;
        if !float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Int(i));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Ok(Value::UInt(u));
            }
        }
        text.parse::<f64>()
            .map(Value::Float)
            .map_err(|_| self.err("invalid number"))
    }
    fn string(&mut self) -> Result<String> {
        // Delegate escapes to serde_json on the exact literal.
        let start = self.i;
        self.i += 1;
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    let lit = std::str::from_utf8(&self.s[start..self.i])
                        .map_err(|_| self.err("invalid UTF-8"))?;
                    return serde_json::from_str(lit).map_err(|e| self.err(&e.to_string()));
                }
                _ => self.i += 1,
            }
        }
        Err(self.err("unterminated string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_tokens_and_nesting() {
        let v = parse(r#"{"a":[1,2.5,NaN,Infinity,-Infinity],"b":{"c":"x\"y"},"d":null}"#).unwrap();
        let back = to_json_string(&v).unwrap();
        assert_eq!(
            back,
            r#"{"a":[1,2.5,NaN,Infinity,-Infinity],"b":{"c":"x\"y"},"d":null}"#
        );
        assert!(parse("{").is_err());
        assert!(parse("[1,]").is_err());
    }
}
