//! Allocation-free protobuf encoding of history records (the hot path of
//! the writer thread). The output is a serialised `Record{num, history}`
//! byte-for-byte as prost would encode it; a test checks that.

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};

use crate::json;
use crate::value::Value;

/// Deepest nesting of keys flattened into nested keys.
pub(crate) const MAX_DEPTH: usize = 16;

/// Reusable buffers for encoding history records.
#[derive(Debug, Default)]
pub(crate) struct HistoryEncoder {
    items: Vec<u8>,
    item: Vec<u8>,
    json: String,
    /// Number of leaf items in the record being built.
    pub(crate) count: usize,
}

impl HistoryEncoder {
    pub(crate) fn begin(&mut self) {
        self.items.clear();
        self.count = 0;
    }

    /// Adds one leaf with the given nested key path and an encoded JSON value.
    pub(crate) fn push_raw(&mut self, path: &[&str], value_json: &str) {
        encode_item(path, value_json, &mut self.item, &mut self.items);
        self.count += 1;
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
                self.json.clear();
                json::write_json(value, &mut self.json)?;
                encode_item(&path[..depth], &self.json, &mut self.item, &mut self.items);
                self.count += 1;
                leaf(&path[..depth], value);
                Ok(())
            }
        }
    }

    /// Writes the finished `Record{num, history{items, step}}` into `out`.
    pub(crate) fn finish(&self, num: i64, step: u64, out: &mut Vec<u8>) {
        out.clear();
        // HistoryStep { num = step } (empty message for step 0)
        let step_len = if step == 0 {
            0
        } else {
            1 + encoded_len_varint(step)
        };
        let history_len = self.items.len() + 1 + encoded_len_varint(step_len as u64) + step_len;
        if num != 0 {
            encode_key(1, WireType::Varint, out);
            encode_varint(num as u64, out);
        }
        encode_key(2, WireType::LengthDelimited, out);
        encode_varint(history_len as u64, out);
        out.extend_from_slice(&self.items);
        encode_key(2, WireType::LengthDelimited, out);
        encode_varint(step_len as u64, out);
        if step != 0 {
            encode_key(1, WireType::Varint, out);
            encode_varint(step, out);
        }
    }
}

/// Appends one `HistoryItem{nested_key: path, value_json}` as field 1 of
/// the history record (`item` is scratch space for the item's bytes).
fn encode_item(path: &[&str], value_json: &str, item: &mut Vec<u8>, items: &mut Vec<u8>) {
    item.clear();
    for p in path {
        encode_str(2, p, item);
    }
    encode_str(16, value_json, item);
    encode_key(1, WireType::LengthDelimited, items);
    encode_varint(item.len() as u64, items);
    items.extend_from_slice(item);
}

fn encode_str(tag: u32, s: &str, buf: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(s.len() as u64, buf);
    buf.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto;
    use crate::value::Map;
    use prost::Message;

    #[test]
    fn matches_prost_encoding() {
        for step in [0u64, 1, 300, u32::MAX as u64 + 7] {
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
            let mut ours = Vec::new();
            enc.finish(42, step, &mut ours);

            let expected = proto::Record {
                num: 42,
                record_type: Some(proto::record::RecordType::History(proto::HistoryRecord {
                    item: vec![
                        item(&["nested", "a"], "1"),
                        item(&["nested", "b"], "NaN"),
                        item(&["loss"], "0.5"),
                        item(&["_step"], &step.to_string()),
                    ],
                    step: Some(proto::HistoryStep { num: step as i64 }),
                    info: None,
                })),
                ..Default::default()
            };
            assert_eq!(ours, expected.encode_to_vec(), "step {step}");
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
