//! Allocation-free protobuf encoding of history records (the hot path of
//! the writer thread). The output is a serialised `Record{num, history}`
//! byte-for-byte as prost would encode it; a test checks that.

use prost::encoding::encoded_len_varint;

use crate::json;
use crate::value::Value;

/// Deepest nesting of keys flattened into nested keys.
pub(crate) const MAX_DEPTH: usize = 16;

/// Room kept in front of the items for the record header (`num` and the
/// history length, at most 1 + 10 + 1 + 10 bytes), so that the finished
/// record is one contiguous slice without a copy.
const HEADROOM: usize = 24;

/// Protobuf keys (field number << 3 | wire type) of the fields written.
const RECORD_NUM: u8 = 1 << 3; // Record.num, varint
const RECORD_HISTORY: u8 = (2 << 3) | 2; // Record.history
const HISTORY_ITEM: u8 = (1 << 3) | 2; // HistoryRecord.item
const HISTORY_STEP: u8 = (2 << 3) | 2; // HistoryRecord.step
const STEP_NUM: u8 = 1 << 3; // HistoryStep.num, varint
const ITEM_NESTED_KEY: u8 = (2 << 3) | 2; // HistoryItem.nested_key
const ITEM_VALUE_JSON: [u8; 2] = [0x82, 0x01]; // HistoryItem.value_json (field 16)

/// Reusable buffers for encoding history records.
#[derive(Debug, Default)]
pub(crate) struct HistoryEncoder {
    /// `HEADROOM` bytes, then the encoded items.
    buf: Vec<u8>,
    json: String,
    /// Number of leaf items in the record being built.
    pub(crate) count: usize,
    /// The last float written at each leaf position, with its JSON.
    floats: Vec<FloatText>,
}

/// A float and its JSON text (`len == 0`: nothing kept).
#[derive(Debug, Clone, Copy, Default)]
struct FloatText {
    bits: u64,
    len: u8,
    text: [u8; 24],
}

impl HistoryEncoder {
    pub(crate) fn begin(&mut self) {
        self.buf.clear();
        self.buf.resize(HEADROOM, 0);
        self.count = 0;
    }

    /// Adds one leaf with the given nested key path and an encoded JSON value.
    #[cfg(test)]
    pub(crate) fn push_raw(&mut self, path: &[&str], value_json: &str) {
        encode_item(path, value_json, &mut self.buf);
        self.count += 1;
    }

    /// Adds one scalar leaf (the `_step`, `_runtime`, `_timestamp` items).
    pub(crate) fn push_scalar(&mut self, path: &[&str], value: &Value) {
        if !self.scalar_item(path, value) {
            self.json.clear();
            if json::write_json(value, &mut self.json).is_ok() {
                encode_item(path, &self.json, &mut self.buf);
            }
        }
        self.count += 1;
    }

    /// Adds a top-level leaf worth `units / 10^scale` (`value` as a float),
    /// written from the integer when that gives the float's shortest form
    /// (see [`json::write_scaled_bytes`]).
    pub(crate) fn push_scaled(&mut self, key: &str, units: u64, scale: u32, value: f64) {
        if self.short_item(&[key], |enc| {
            json::write_scaled_bytes(units, scale, &mut enc.buf)
        }) {
            self.count += 1;
        } else {
            self.push_scalar(&[key], &Value::Float(value));
        }
    }

    /// Adds a value, flattening nested maps into nested keys (media must
    /// already be materialised). Calls `leaf` with the path and value of
    /// every leaf written. Maps nested deeper than [`MAX_DEPTH`] are written
    /// as one JSON leaf.
    pub(crate) fn push_value<'v>(
        &mut self,
        key: &'v str,
        value: &'v Value,
        leaf: &mut dyn FnMut(&[&str], &'v Value),
    ) -> crate::Result<()> {
        let mut path: [&'v str; MAX_DEPTH] = [""; MAX_DEPTH];
        path[0] = key;
        self.flatten(&mut path, 1, value, leaf)
    }

    fn flatten<'v>(
        &mut self,
        path: &mut [&'v str; MAX_DEPTH],
        depth: usize,
        value: &'v Value,
        leaf: &mut dyn FnMut(&[&str], &'v Value),
    ) -> crate::Result<()> {
        match value {
            Value::Map(m) if !m.is_empty() && depth < MAX_DEPTH => {
                for (k, v) in m {
                    path[depth] = k;
                    self.flatten(path, depth + 1, v, leaf)?;
                }
                Ok(())
            }
            _ => {
                let path = &path[..depth];
                if !self.scalar_item(path, value) {
                    self.json.clear();
                    json::write_json(value, &mut self.json)?;
                    encode_item(path, &self.json, &mut self.buf);
                }
                self.count += 1;
                leaf(path, value);
                Ok(())
            }
        }
    }

    /// Fast path for a scalar leaf; returns false, writing nothing, when
    /// the value is not a scalar or the path is too long (see `short_item`).
    fn scalar_item(&mut self, path: &[&str], value: &Value) -> bool {
        self.short_item(path, |enc| match value {
            Value::Float(f) => {
                enc.float_json(*f);
                true
            }
            _ => json::write_scalar_bytes(value, &mut enc.buf),
        })
    }

    /// Writes an item whose JSON `json` appends straight into the record,
    /// behind one-byte length placeholders that are patched afterwards (a
    /// scalar's JSON is at most 24 bytes, so with keys of at most
    /// `SHORT_KEYS` bytes both lengths are below 128). Returns false,
    /// writing nothing, when the path is too long or `json` returns false.
    fn short_item(&mut self, path: &[&str], json: impl FnOnce(&mut Self) -> bool) -> bool {
        const SHORT_KEYS: usize = 80;
        let keys: usize = path.iter().map(|p| p.len() + 2).sum();
        if keys > SHORT_KEYS {
            return false;
        }
        let start = self.buf.len();
        self.buf.reserve(keys + 40);
        self.buf.extend_from_slice(&[HISTORY_ITEM, 0]);
        for p in path {
            self.buf
                .extend_from_slice(&[ITEM_NESTED_KEY, p.len() as u8]);
            self.buf.extend_from_slice(p.as_bytes());
        }
        self.buf
            .extend_from_slice(&[ITEM_VALUE_JSON[0], ITEM_VALUE_JSON[1], 0]);
        let json_start = self.buf.len();
        if !json(self) {
            self.buf.truncate(start);
            return false;
        }
        let json_len = self.buf.len() - json_start;
        let item_len = self.buf.len() - start - 2;
        if json_len >= 0x80 || item_len >= 0x80 {
            // Cannot happen for scalars under short keys; stay correct anyway.
            self.buf.truncate(start);
            return false;
        }
        self.buf[json_start - 1] = json_len as u8;
        self.buf[start + 1] = item_len as u8;
        true
    }

    /// Appends the JSON of a float leaf. The last text of each leaf
    /// position is kept: a value equal to the previous row's at the same
    /// position (a learning rate, an epoch counter) is copied, not formatted.
    fn float_json(&mut self, f: f64) {
        let slot = self.count;
        if let Some(c) = self.floats.get(slot) {
            if c.bits == f.to_bits() && c.len > 0 {
                self.buf.extend_from_slice(&c.text[..usize::from(c.len)]);
                return;
            }
        }
        let at = self.buf.len();
        json::write_scalar_bytes(&Value::Float(f), &mut self.buf);
        let text = &self.buf[at..];
        if self.floats.len() <= slot {
            self.floats.resize(slot + 1, FloatText::default());
        }
        let c = &mut self.floats[slot];
        if text.len() <= c.text.len() {
            c.bits = f.to_bits();
            c.len = text.len() as u8;
            c.text[..text.len()].copy_from_slice(text);
        } else {
            c.len = 0;
        }
    }

    /// Finishes `Record{num, history{items, step}}` and returns its bytes
    /// (valid until the next [`HistoryEncoder::begin`]).
    pub(crate) fn finish(&mut self, num: i64, step: u64) -> &[u8] {
        // HistoryStep { num = step } (an empty message for step 0).
        self.buf.push(HISTORY_STEP);
        if step == 0 {
            self.buf.push(0);
        } else {
            self.buf.push((1 + encoded_len_varint(step)) as u8);
            self.buf.push(STEP_NUM);
            put_varint(step, &mut self.buf);
        }
        let history_len = (self.buf.len() - HEADROOM) as u64;
        let mut head = [0u8; HEADROOM];
        let mut n = 0;
        let mut put = |b: u8| {
            head[n] = b;
            n += 1;
        };
        if num != 0 {
            put(RECORD_NUM);
            varint_bytes(num as u64, &mut put);
        }
        put(RECORD_HISTORY);
        varint_bytes(history_len, &mut put);
        let start = HEADROOM - n;
        self.buf[start..HEADROOM].copy_from_slice(&head[..n]);
        &self.buf[start..]
    }
}

/// `_runtime` or `_timestamp` of a row.
#[derive(Clone, Copy)]
pub(crate) enum Stamp {
    /// `units / 10^scale` seconds.
    Scaled { units: u64, scale: u32 },
    /// A value the row set itself.
    Given(f64),
}

impl Stamp {
    pub(crate) fn scaled(units: u64, scale: u32) -> Self {
        Stamp::Scaled { units, scale }
    }

    /// The value in seconds: one correctly rounded division, the double
    /// whose shortest form [`json::write_scaled_bytes`] writes.
    pub(crate) fn value(self) -> f64 {
        match self {
            Stamp::Scaled { units, scale: 9 } => units as f64 / 1e9,
            Stamp::Scaled { units, scale: 6 } => units as f64 / 1e6,
            Stamp::Scaled { units, scale } => units as f64 / 10f64.powi(scale as i32),
            Stamp::Given(v) => v,
        }
    }

    pub(crate) fn push(self, enc: &mut HistoryEncoder, key: &str) {
        match self {
            Stamp::Scaled { units, scale } => enc.push_scaled(key, units, scale, self.value()),
            Stamp::Given(v) => enc.push_scalar(&[key], &Value::Float(v)),
        }
    }
}

/// Calls `leaf` with the nested key path and value of every leaf of
/// `value` under `key`, flattening maps exactly as the history encoding does.
pub(crate) fn for_each_leaf<'v>(
    key: &'v str,
    value: &'v Value,
    leaf: &mut dyn FnMut(&[&str], &'v Value),
) {
    fn walk<'v>(
        path: &mut [&'v str; MAX_DEPTH],
        depth: usize,
        value: &'v Value,
        leaf: &mut dyn FnMut(&[&str], &'v Value),
    ) {
        match value {
            Value::Map(m) if !m.is_empty() && depth < MAX_DEPTH => {
                for (k, v) in m {
                    path[depth] = k;
                    walk(path, depth + 1, v, leaf);
                }
            }
            _ => leaf(&path[..depth], value),
        }
    }
    let mut path: [&'v str; MAX_DEPTH] = [""; MAX_DEPTH];
    path[0] = key;
    walk(&mut path, 1, value, leaf);
}

/// Appends one `HistoryItem{nested_key: path, value_json}` as field 1 of
/// the history record, straight into `out` (lengths computed first).
fn encode_item(path: &[&str], value_json: &str, out: &mut Vec<u8>) {
    let mut item_len = ITEM_VALUE_JSON.len() + len_prefixed(value_json.len());
    for p in path {
        item_len += 1 + len_prefixed(p.len());
    }
    out.reserve(1 + 10 + item_len);
    out.push(HISTORY_ITEM);
    put_varint(item_len as u64, out);
    for p in path {
        out.push(ITEM_NESTED_KEY);
        put_varint(p.len() as u64, out);
        out.extend_from_slice(p.as_bytes());
    }
    out.extend_from_slice(&ITEM_VALUE_JSON);
    put_varint(value_json.len() as u64, out);
    out.extend_from_slice(value_json.as_bytes());
}

/// Bytes of a length-delimited payload of `len` bytes with its length prefix.
#[inline]
fn len_prefixed(len: usize) -> usize {
    encoded_len_varint(len as u64) + len
}

#[inline]
fn put_varint(v: u64, out: &mut Vec<u8>) {
    varint_bytes(v, &mut |b| out.push(b));
}

/// Calls `put` with the protobuf varint bytes of `v`.
#[inline]
fn varint_bytes(mut v: u64, put: &mut impl FnMut(u8)) {
    while v >= 0x80 {
        put((v as u8) | 0x80);
        v >>= 7;
    }
    put(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto;
    use crate::value::Map;
    use prost::Message;

    #[test]
    fn matches_prost_encoding() {
        let long = "x".repeat(300);
        for (step, num) in [
            (0u64, 42i64),
            (1, 1),
            (300, 70_000),
            (u32::MAX as u64 + 7, 42),
        ] {
            let mut enc = HistoryEncoder::default();
            enc.begin();
            let nested = Value::Map(Map::from_iter([
                ("a".to_owned(), Value::Int(1)),
                ("b".to_owned(), Value::Float(f64::NAN)),
            ]));
            enc.push_value("nested", &nested, &mut |_, _| {}).unwrap();
            enc.push_value("loss", &Value::Float(0.5), &mut |_, _| {})
                .unwrap();
            enc.push_raw(&["_step"], &step.to_string());
            enc.push_raw(&[&long, "k"], &format!("{long:?}"));
            let ours = enc.finish(num, step).to_vec();

            let expected = proto::Record {
                num,
                record_type: Some(proto::record::RecordType::History(proto::HistoryRecord {
                    item: vec![
                        item(&["nested", "a"], "1"),
                        item(&["nested", "b"], "NaN"),
                        item(&["loss"], "0.5"),
                        item(&["_step"], &step.to_string()),
                        item(&[&long, "k"], &format!("{long:?}")),
                    ],
                    step: Some(proto::HistoryStep { num: step as i64 }),
                    info: None,
                })),
                ..Default::default()
            };
            assert_eq!(ours, expected.encode_to_vec(), "step {step}");
        }
    }

    /// The per-position float text cache never changes the output: a
    /// reused encoder writes what a fresh one writes, row after row.
    #[test]
    fn reused_encoder_writes_what_a_fresh_one_writes() {
        let rows: Vec<Vec<Value>> = vec![
            vec![Value::Float(0.5), Value::Float(1e-3), Value::Int(1)],
            vec![Value::Float(0.25), Value::Float(1e-3), Value::Int(2)],
            vec![Value::Float(-0.0), Value::Float(1e-3), Value::Float(0.0)],
            vec![
                Value::Float(0.0),
                Value::Float(f64::NAN),
                Value::Float(1e300),
            ],
            vec![Value::Int(3), Value::Float(f64::NAN), Value::Float(1e300)],
            vec![
                Value::Float(3.0),
                Value::Float(2e-3),
                Value::Str("x".into()),
            ],
        ];
        let mut reused = HistoryEncoder::default();
        for (n, row) in rows.iter().enumerate() {
            let encode = |enc: &mut HistoryEncoder| {
                enc.begin();
                for (i, v) in row.iter().enumerate() {
                    enc.push_value(["a", "b", "c"][i], v, &mut |_, _| {})
                        .unwrap();
                }
                enc.push_scalar(&["_runtime"], &Value::Float(n as f64 * 0.1));
                enc.finish(n as i64 + 1, n as u64).to_vec()
            };
            let fresh = encode(&mut HistoryEncoder::default());
            assert_eq!(encode(&mut reused), fresh, "row {n}");
        }
    }

    /// `_runtime`/`_timestamp` written from integers encode exactly like
    /// the same doubles written as floats (and fall back beyond the range).
    #[test]
    fn scaled_items_equal_float_items() {
        for (units, scale, value) in [
            (228_413_030u64, 9u32, 228_413_030f64 / 1e9),
            (1_795_305_005_910_907, 6, 1_795_305_005_910_907f64 / 1e6),
            (0, 9, 0.0),
            (u64::MAX, 9, u64::MAX as f64 / 1e9),
        ] {
            let mut a = HistoryEncoder::default();
            a.begin();
            a.push_scaled("_runtime", units, scale, value);
            let mut b = HistoryEncoder::default();
            b.begin();
            b.push_scalar(&["_runtime"], &Value::Float(value));
            assert_eq!(a.count, 1);
            assert_eq!(a.finish(1, 1), b.finish(1, 1), "{units} / 10^{scale}");
        }
    }

    fn item(path: &[&str], json: &str) -> proto::HistoryItem {
        proto::HistoryItem {
            nested_key: path.iter().map(|s| (*s).to_owned()).collect(),
            value_json: json.to_owned(),
            ..Default::default()
        }
    }
}
