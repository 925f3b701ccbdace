//! `config.yaml` as wandb-core writes it (Go yaml.v3 style): 4-space
//! indentation, sorted keys, sequences indented under their key, strings
//! quoted only where YAML would read them as something else.

use crate::json;
use crate::value::Value;

/// Encodes a map (the top level of `config.yaml`), ending with a newline.
pub fn to_yaml(map: &crate::Map) -> String {
    let mut out = String::new();
    write_map(map, 0, &mut out);
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level * 4 {
        out.push(' ');
    }
}

fn write_map(map: &crate::Map, level: usize, out: &mut String) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| natural_cmp(a, b));
    for k in keys {
        let v = &map[k.as_str()];
        indent(out, level);
        out.push_str(&scalar_str(k));
        out.push(':');
        write_value_after_key(v, level, out);
    }
}

fn write_value_after_key(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Map(m) if !m.is_empty() => {
            out.push('\n');
            write_map(m, level + 1, out);
        }
        Value::List(l) if !l.is_empty() => {
            out.push('\n');
            write_list(l, level + 1, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_list(list: &[Value], level: usize, out: &mut String) {
    for item in list {
        indent(out, level);
        out.push_str("- ");
        match item {
            Value::Map(m) if !m.is_empty() => {
                // first key on the dash line, the rest aligned under it
                let mut inner = String::new();
                write_map(m, level + 1, &mut inner);
                let trimmed = inner.trim_start_matches(' ');
                out.push_str(trimmed);
            }
            Value::List(l) if !l.is_empty() => {
                let mut inner = String::new();
                write_list(l, level + 1, &mut inner);
                out.push_str(inner.trim_start_matches(' '));
            }
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// yaml.v3 key order: runs of digits compare as numbers ("3" < "12").
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx = dx.iter().skip_while(|&&c| c == b'0').count();
                let ty = dy.iter().skip_while(|&&c| c == b'0').count();
                let ord = tx.cmp(&ty).then_with(|| dx[nx - tx..].cmp(&dy[ny - ty..]));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => float(*f),
        Value::Float32(f) => float(*f as f64),
        Value::Str(s) => scalar_str(s),
        Value::Map(_) => "{}".into(),
        Value::List(_) => "[]".into(),
        Value::Media(_) => "null".into(),
    }
}

fn float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else {
        let mut s = String::new();
        json::write_f64(f, &mut s);
        s
    }
}

fn scalar_str(s: &str) -> String {
    if needs_quotes(s) {
        let mut q = String::new();
        json::write_str(s, &mut q);
        q
    } else {
        s.to_string()
    }
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | "null"
            | "~"
            | ".nan"
            | ".inf"
            | "-.inf"
            | "+.inf"
    ) {
        return true;
    }
    if s.parse::<f64>().is_ok() || s.starts_with("0x") || s.starts_with("0o") {
        return true;
    }
    let b = s.as_bytes();
    // timestamps (YYYY-MM-DD...) resolve to !!timestamp
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        return true;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(b[0] as char) {
        return true;
    }
    s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_shape() {
        let v = json::parse(r#"{"lr":{"value":0.01},"nested":{"value":{"b":[1,2],"a":1}},"_wandb":{"value":{"t":{"12":"0.31.0","3":[2,4],"4":"3.11.7"},"m":[],"e":{"x":{"disk":{"/":{"total":"270553174016"}},"startedAt":"2026-11-21T23:50:05.432984Z","cpu":{"model":"Intel(R) Xeon(R) Processor"}}}}}}"#).unwrap();
        let Value::Map(m) = v else { panic!() };
        let y = to_yaml(&m);
        let want = "_wandb:
    value:
        e:
            x:
                cpu:
                    model: Intel(R) Xeon(R) Processor
                disk:
                    /:
                        total: \"270553174016\"
                startedAt: \"2026-11-21T23:50:05.432984Z\"
        m: []
        t:
            \"3\":
                - 2
                - 4
            \"4\": 3.11.7
            \"12\": 0.31.0
lr:
    value: 0.01
nested:
    value:
        a: 1
        b:
            - 1
            - 2
";
        assert_eq!(y, want);
    }
}
