//! A decoder for the most common record, a single-scalar summary event,
//! that reuses the allocations of an existing [`Event`]. Anything else is
//! left to prost.

use crate::proto::{event, summary, Event, Summary};

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

fn fixed<const N: usize>(buf: &[u8], pos: &mut usize) -> Option<[u8; N]> {
    let b = buf.get(*pos..*pos + N)?.try_into().ok()?;
    *pos += N;
    Some(b)
}

/// `(tag, simple_value)` of a `Summary.Value` that has only those fields.
fn scalar_value(buf: &[u8]) -> Option<(&str, f32)> {
    let (mut pos, mut tag, mut value) = (0, None, None);
    while pos < buf.len() {
        match varint(buf, &mut pos)? {
            0x0a => {
                let n = usize::try_from(varint(buf, &mut pos)?).ok()?;
                tag = Some(std::str::from_utf8(buf.get(pos..pos.checked_add(n)?)?).ok()?);
                pos += n;
            }
            0x15 => value = Some(f32::from_le_bytes(fixed::<4>(buf, &mut pos)?)),
            _ => return None,
        }
    }
    Some((tag.unwrap_or(""), value?))
}

/// Decodes `Event{wall_time, step, summary{value{tag, simple_value}}}` into
/// `ev`, reusing its allocations. Returns `false` (leaving `ev` in an
/// unspecified state) for anything else, which the caller decodes with prost.
pub(crate) fn scalar_event_into(buf: &[u8], ev: &mut Event) -> bool {
    let (mut pos, mut wall_time, mut step, mut value) = (0, 0.0, 0, None);
    while pos < buf.len() {
        let Some(key) = varint(buf, &mut pos) else {
            return false;
        };
        match key {
            0x09 => match fixed::<8>(buf, &mut pos) {
                Some(b) => wall_time = f64::from_le_bytes(b),
                None => return false,
            },
            0x10 => match varint(buf, &mut pos) {
                Some(v) => step = v as i64,
                None => return false,
            },
            0x2a if value.is_none() => {
                let Some(n) = varint(buf, &mut pos).and_then(|n| usize::try_from(n).ok()) else {
                    return false;
                };
                let Some(summary) = pos.checked_add(n).and_then(|end| buf.get(pos..end)) else {
                    return false;
                };
                pos += n;
                // Summary: exactly one field 1 (the value).
                let mut sp = 0;
                if varint(summary, &mut sp) != Some(0x0a) {
                    return false;
                }
                let Some(m) = varint(summary, &mut sp).and_then(|m| usize::try_from(m).ok()) else {
                    return false;
                };
                if sp.checked_add(m) != Some(summary.len()) {
                    return false;
                }
                match scalar_value(&summary[sp..]) {
                    Some(v) => value = Some(v),
                    None => return false,
                }
            }
            _ => return false,
        }
    }
    let Some((tag, x)) = value else { return false };
    ev.wall_time = wall_time;
    ev.step = step;
    ev.source_metadata = None;
    if !matches!(ev.what, Some(event::What::Summary(_))) {
        ev.what = Some(event::What::Summary(Summary::default()));
    }
    if let Some(event::What::Summary(s)) = &mut ev.what {
        s.value.truncate(1);
        if s.value.is_empty() {
            s.value.push(summary::Value::default());
        }
        let v = &mut s.value[0];
        v.node_name.clear();
        v.metadata = None;
        v.tag.clear();
        v.tag.push_str(tag);
        v.value = Some(summary::value::Value::SimpleValue(x));
    }
    true
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn agrees_with_prost() {
        let mut ev = Event::default();
        for (wt, step, tag, x) in [
            (1.5, 3i64, "a/b", 0.5f32),
            (0.0, 0, "", -1.0),
            (2.0, -7, "é", f32::INFINITY),
        ] {
            let want = Event {
                wall_time: wt,
                step,
                what: Some(event::What::Summary(Summary {
                    value: vec![summary::Value {
                        tag: tag.to_owned(),
                        value: Some(summary::value::Value::SimpleValue(x)),
                        ..Default::default()
                    }],
                })),
                source_metadata: None,
            };
            let bytes = want.encode_to_vec();
            assert!(scalar_event_into(&bytes, &mut ev));
            assert_eq!(ev, want);
            assert_eq!(Event::decode(&bytes[..]).unwrap(), want);
        }
        // Not a scalar event: left to prost.
        let fv = Event {
            what: Some(event::What::FileVersion("brain.Event:2".into())),
            ..Default::default()
        };
        assert!(!scalar_event_into(&fv.encode_to_vec(), &mut ev));
        for cut in 1..want_len() {
            let bytes = sample().encode_to_vec();
            let _ = scalar_event_into(&bytes[..cut.min(bytes.len())], &mut ev);
        }
    }

    fn sample() -> Event {
        Event {
            wall_time: 1.0,
            step: 300,
            what: Some(event::What::Summary(Summary {
                value: vec![summary::Value {
                    tag: "loss".into(),
                    value: Some(summary::value::Value::SimpleValue(0.25)),
                    ..Default::default()
                }],
            })),
            source_metadata: None,
        }
    }

    fn want_len() -> usize {
        sample().encode_to_vec().len()
    }
}
