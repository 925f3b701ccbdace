//! CSV and JSON lines writers of a [`Table`].

use std::io::Write;

use crate::table::{Data, Table};

/// Whether column `c` has a value at row `r` (a row past the end of its
/// data, in a hand-built inconsistent table, counts as missing).
fn present(c: &crate::table::Column, r: usize) -> bool {
    let len = match &c.data {
        Data::Int(v) => v.len(),
        Data::Float(v) => v.len(),
        Data::Bool(v) => v.len(),
        Data::Str(v) => v.len(),
    };
    r < len && c.valid.get(r).copied().unwrap_or(false)
}

/// A float for CSV/JSON lines: shortest round trip that always reads back
/// as a float (`1.0`, `1e-7`); non-finite values as `nan_inf[0..3]`.
fn push_float(f: f64, non_finite: [&str; 3], out: &mut Vec<u8>) {
    if f.is_nan() {
        out.extend_from_slice(non_finite[0].as_bytes());
    } else if f == f64::INFINITY {
        out.extend_from_slice(non_finite[1].as_bytes());
    } else if f == f64::NEG_INFINITY {
        out.extend_from_slice(non_finite[2].as_bytes());
    } else {
        out.extend_from_slice(ryu::Buffer::new().format_finite(f).as_bytes());
    }
}

fn push_csv_str(s: &str, out: &mut Vec<u8>) {
    if s.contains([',', '"', '\n', '\r']) || s.is_empty() {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Writes `table` as CSV: a header of column names, then one line per row;
/// a missing value is an empty field, an empty string `""`, NaN `NaN` and
/// infinities `inf`/`-inf`.
pub fn write_csv(table: &Table, w: &mut impl Write) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for (i, c) in table.columns.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        push_csv_str(&c.name, &mut buf);
    }
    buf.push(b'\n');
    let mut itoa = itoa::Buffer::new();
    for r in 0..table.rows {
        for (i, c) in table.columns.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            if !present(c, r) {
                continue;
            }
            // indexing below is in bounds: present() checked r < len
            match &c.data {
                Data::Int(v) => buf.extend_from_slice(itoa.format(v[r]).as_bytes()),
                Data::Float(v) => push_float(v[r], ["NaN", "inf", "-inf"], &mut buf),
                Data::Bool(v) => buf.extend_from_slice(if v[r] { b"True" } else { b"False" }),
                Data::Str(v) => push_csv_str(&v[r], &mut buf),
            }
        }
        buf.push(b'\n');
        if buf.len() > 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

/// Writes `table` as JSON lines: one object per row with every column; a
/// missing value is `null`, NaN and infinities are the bare tokens W&B
/// uses (`NaN`, `Infinity`, `-Infinity`; Python's `json` reads them).
pub fn write_jsonl(table: &Table, w: &mut impl Write) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    let names: Vec<Vec<u8>> = table
        .columns
        .iter()
        .map(|c| {
            let mut s = String::new();
            wandb_core::json::write_str(&c.name, &mut s);
            s.push(':');
            s.into_bytes()
        })
        .collect();
    let mut itoa = itoa::Buffer::new();
    let mut text = String::new();
    for r in 0..table.rows {
        buf.push(b'{');
        for (i, c) in table.columns.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(&names[i]);
            if !present(c, r) {
                buf.extend_from_slice(b"null");
                continue;
            }
            // indexing below is in bounds: present() checked r < len
            match &c.data {
                Data::Int(v) => buf.extend_from_slice(itoa.format(v[r]).as_bytes()),
                Data::Float(v) => push_float(v[r], ["NaN", "Infinity", "-Infinity"], &mut buf),
                Data::Bool(v) => buf.extend_from_slice(if v[r] { b"true" } else { b"false" }),
                Data::Str(v) => {
                    text.clear();
                    wandb_core::json::write_str(&v[r], &mut text);
                    buf.extend_from_slice(text.as_bytes());
                }
            }
        }
        buf.extend_from_slice(b"}\n");
        if buf.len() > 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}
