//! Allocation-free protobuf encoding of the hot path: a scalar event.

/// Appends a varint.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Encodes `Event{wall_time, step, summary{value{tag, simple_value}}}`
/// exactly as prost encodes the same message (fields in number order,
/// zero `step` omitted).
pub(crate) fn scalar_event(out: &mut Vec<u8>, wall_time: f64, step: i64, tag: &str, value: f32) {
    // Summary.Value: tag (1, len) + simple_value (2, fixed32).
    let value_len = 1 + varint_len(tag.len() as u64) + tag.len() + 5;
    // Summary: value (1, len).
    let summary_len = 1 + varint_len(value_len as u64) + value_len;
    if wall_time != 0.0 {
        out.push(0x09);
        out.extend_from_slice(&wall_time.to_le_bytes());
    }
    if step != 0 {
        out.push(0x10);
        varint(out, step as u64);
    }
    out.push(0x2a);
    varint(out, summary_len as u64);
    out.push(0x0a);
    varint(out, value_len as u64);
    out.push(0x0a);
    varint(out, tag.len() as u64);
    out.extend_from_slice(tag.as_bytes());
    out.push(0x15);
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use crate::proto::{event, summary, Event, Summary};

    #[test]
    fn same_bytes_as_prost() {
        for (wt, step, tag, v) in [
            (1.5, 0i64, "loss", 0.25f32),
            (0.0, -3, "a/b", f32::NAN),
            (1795305028.2186384, 1 << 40, &"x".repeat(300) as &str, -0.0),
        ] {
            let ev = Event {
                wall_time: wt,
                step,
                what: Some(event::What::Summary(Summary {
                    value: vec![summary::Value {
                        tag: tag.to_owned(),
                        value: Some(summary::value::Value::SimpleValue(v)),
                        ..Default::default()
                    }],
                })),
                source_metadata: None,
            };
            let mut ours = Vec::new();
            super::scalar_event(&mut ours, wt, step, tag, v);
            assert_eq!(ours, ev.encode_to_vec());
        }
    }
}
