//! A borrowing reader of history records in protobuf wire format, so that
//! export does not allocate a string per history item: field numbers of
//! `wandb_internal.Record` (history = 2), `HistoryRecord` (item = 1,
//! step = 2), `HistoryItem` (key = 1, nested_key = 2, typed values 3..8,
//! value_json = 16) and `HistoryStep` (num = 1).

/// A field's value.
enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

/// Iterates over the fields of a message; `None` on malformed input.
struct Fields<'a> {
    buf: &'a [u8],
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

impl<'a> Fields<'a> {
    fn next_field(&mut self) -> Option<Option<(u32, Field<'a>)>> {
        if self.buf.is_empty() {
            return Some(None);
        }
        let tag = varint(&mut self.buf)?;
        let number = u32::try_from(tag >> 3).ok()?;
        let field = match tag & 7 {
            0 => Field::Varint(varint(&mut self.buf)?),
            1 => {
                let (b, rest) = self.buf.split_at_checked(8)?;
                self.buf = rest;
                Field::Fixed64(u64::from_le_bytes(b.try_into().ok()?))
            }
            2 => {
                let len = usize::try_from(varint(&mut self.buf)?).ok()?;
                let (b, rest) = self.buf.split_at_checked(len)?;
                self.buf = rest;
                Field::Bytes(b)
            }
            5 => {
                let (_, rest) = self.buf.split_at_checked(4)?;
                self.buf = rest;
                Field::Fixed32
            }
            _ => return None,
        };
        Some(Some((number, field)))
    }
}

/// The encoded `HistoryRecord` of a `Record` payload, or `None` if the
/// record is not a history record (or is malformed: decode it normally).
pub fn history_bytes(record: &[u8]) -> Option<&[u8]> {
    let mut f = Fields { buf: record };
    let mut found = None;
    while let Some((n, field)) = f.next_field()? {
        if let (2, Field::Bytes(b)) = (n, field) {
            found = Some(b);
        }
    }
    found
}

/// A history item's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ItemValue<'a> {
    /// `value_json`.
    Json(&'a str),
    /// The typed `none` value.
    Null,
    /// The typed `boolean` value.
    Bool(bool),
    /// The typed `integer` value.
    Int(i64),
    /// The typed `number` value.
    Float(f64),
    /// The typed `text` value.
    Text(&'a str),
}

/// One history item, borrowed from the payload.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The key when it is one part: the single `nested_key` part, or `key`
    /// without `nested_key` (see [`Item::dotted_key`] for several parts).
    pub key: &'a str,
    /// The last `nested_key` part, if any.
    pub nested_last: Option<&'a str>,
    /// How many `nested_key` parts.
    pub nested_len: usize,
    /// The encoded item (to list every nested part when there are several).
    pub raw: &'a [u8],
    /// The value.
    pub value: ItemValue<'a>,
}

impl<'a> Item<'a> {
    /// The dotted key: a single nested part or `key` without allocating;
    /// several parts joined with `.` into `buf`.
    pub fn dotted_key<'b>(&self, buf: &'b mut String) -> &'b str
    where
        'a: 'b,
    {
        match self.nested_len {
            0 | 1 => self.key,
            _ => {
                buf.clear();
                let mut f = Fields { buf: self.raw };
                while let Some(Some((n, field))) = f.next_field() {
                    if let (2, Field::Bytes(b)) = (n, field) {
                        if !buf.is_empty() {
                            buf.push('.');
                        }
                        buf.push_str(std::str::from_utf8(b).unwrap_or_default());
                    }
                }
                buf.as_str()
            }
        }
    }
}

impl Item<'_> {
    /// Whether this is the `_type` item of a media object (`img._type`).
    pub fn is_type_marker(&self) -> bool {
        match (self.nested_len, self.nested_last) {
            (0 | 1, _) | (_, None) => self.key.ends_with("._type"),
            (_, Some(last)) => last == "_type",
        }
    }
}

/// The items and step of an encoded `HistoryRecord`; `None` if malformed.
pub fn history_items<'a>(history: &'a [u8], items: &mut Vec<Item<'a>>) -> Option<Option<i64>> {
    items.clear();
    let mut step = None;
    let mut f = Fields { buf: history };
    while let Some((n, field)) = f.next_field()? {
        match (n, field) {
            (1, Field::Bytes(b)) => items.push(item(b)?),
            (2, Field::Bytes(b)) => {
                let mut s = Fields { buf: b };
                let mut num = 0i64;
                while let Some((n, field)) = s.next_field()? {
                    if let (1, Field::Varint(v)) = (n, field) {
                        num = v as i64; // int64 is two's complement on the wire
                    }
                }
                step = Some(num);
            }
            _ => {}
        }
    }
    Some(step)
}

fn item(raw: &[u8]) -> Option<Item<'_>> {
    let mut it = Item {
        key: "",
        nested_last: None,
        nested_len: 0,
        raw,
        value: ItemValue::Json(""),
    };
    let mut typed = None;
    let mut key = "";
    let mut f = Fields { buf: raw };
    while let Some((n, field)) = f.next_field()? {
        match (n, field) {
            (1, Field::Bytes(b)) => key = std::str::from_utf8(b).ok()?,
            (2, Field::Bytes(b)) => {
                let part = std::str::from_utf8(b).ok()?;
                if it.nested_len == 0 {
                    it.key = part;
                }
                it.nested_last = Some(part);
                it.nested_len += 1;
            }
            (3, Field::Varint(_)) => typed = Some(ItemValue::Null),
            (4, Field::Varint(v)) => typed = Some(ItemValue::Bool(v != 0)),
            (5, Field::Varint(v)) => {
                typed = Some(ItemValue::Int(((v >> 1) as i64) ^ -((v & 1) as i64)))
            }
            (6, Field::Fixed64(v)) => typed = Some(ItemValue::Float(f64::from_bits(v))),
            (7, Field::Bytes(b)) => typed = Some(ItemValue::Text(std::str::from_utf8(b).ok()?)),
            (8, Field::Bytes(b)) => typed = Some(ItemValue::Json(std::str::from_utf8(b).ok()?)),
            (16, Field::Bytes(b)) => it.value = ItemValue::Json(std::str::from_utf8(b).ok()?),
            _ => {}
        }
    }
    if it.nested_len == 0 {
        it.key = key;
    }
    if let (ItemValue::Json(""), Some(t)) = (it.value, typed) {
        it.value = t;
    }
    Some(it)
}

#[cfg(test)]
mod tests {
    use prost::Message as _;
    use wandb_core::proto;

    use super::*;

    #[test]
    fn reads_what_prost_writes() {
        let rec = proto::Record {
            num: 7,
            record_type: Some(proto::record::RecordType::History(proto::HistoryRecord {
                item: vec![
                    proto::HistoryItem {
                        nested_key: vec!["a".into(), "b".into()],
                        value_json: "1.5".into(),
                        ..Default::default()
                    },
                    proto::HistoryItem {
                        key: "loss".into(),
                        value_json: "NaN".into(),
                        ..Default::default()
                    },
                ],
                step: Some(proto::HistoryStep { num: -3 }),
                ..Default::default()
            })),
            ..Default::default()
        };
        let bytes = rec.encode_to_vec();
        let h = history_bytes(&bytes).expect("a history record");
        let mut items = Vec::new();
        assert_eq!(history_items(h, &mut items), Some(Some(-3)));
        let mut buf = String::new();
        assert_eq!(items[0].dotted_key(&mut buf), "a.b");
        assert_eq!(items[0].value, ItemValue::Json("1.5"));
        assert_eq!(items[1].dotted_key(&mut buf), "loss");
        assert_eq!(items[1].value, ItemValue::Json("NaN"));
        let other = proto::Record {
            record_type: Some(proto::record::RecordType::Exit(Default::default())),
            ..Default::default()
        };
        assert!(history_bytes(&other.encode_to_vec()).is_none());
        assert!(
            history_items(&[0x0a, 0x05, 1], &mut items).is_none(),
            "truncated"
        );
    }
}
