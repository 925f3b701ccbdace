//! Records as JSON lines, in the form `wandb leet inspect --json` prints:
//! `{"num":N,"type":"history","history":{...}}` where the payload is the
//! record's protojson with proto field names (64-bit integers as strings,
//! enums by name, timestamps in RFC 3339, default values left out), lists of
//! logged items (`{key|nested_key, value_json}`) become objects mapping each
//! dotted key to its decoded value, and NaN and infinities become the
//! strings `"NaN"`, `"Infinity"` and `"-Infinity"`.

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::{Map, Number, Value as J};
use wandb_core::Value;

use crate::error::{Error, Result};

/// The `wandb_internal.Record` descriptor of wandb-core's schema.
fn record_descriptor() -> Result<&'static MessageDescriptor> {
    static DESC: OnceLock<std::result::Result<MessageDescriptor, String>> = OnceLock::new();
    DESC.get_or_init(|| {
        let pool = DescriptorPool::decode(wandb_core::proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| e.to_string())?;
        pool.get_message_by_name("wandb_internal.Record")
            .ok_or_else(|| "no wandb_internal.Record message".to_string())
    })
    .as_ref()
    .map_err(|e| Error::Schema(e.clone()))
}

/// One record (its encoded `Record` payload) as a JSON line without the
/// newline; `num` is its 1-based position among the readable records.
pub fn record_json_line(num: usize, payload: &[u8]) -> Result<String> {
    let desc = record_descriptor()?;
    let msg = DynamicMessage::decode(desc.clone(), payload)
        .map_err(|e| Error::encode(format!("record {num}"), e))?;
    let field = desc
        .oneofs()
        .find(|o| o.name() == "record_type")
        .and_then(|o| o.fields().find(|f| msg.has_field(f)));
    let Some(field) = field else {
        return Ok(format!("{{\"num\":{num},\"type\":\"unknown\"}}"));
    };
    let value = msg.get_field(&field);
    let Some(inner) = value.as_message() else {
        return Ok(format!("{{\"num\":{num},\"type\":\"unknown\"}}"));
    };
    let options = SerializeOptions::new().use_proto_field_name(true);
    let mut payload_json = inner
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|e| Error::encode(format!("record {num}"), e))?;
    if let J::Object(map) = &mut payload_json {
        map.remove("_info");
        match field.name() {
            "history" => {
                if let Some(step) = map.get_mut("step") {
                    let n = step
                        .get("num")
                        .and_then(|n| n.as_str().and_then(|s| s.parse::<i64>().ok()))
                        .unwrap_or(0);
                    *step = serde_json::json!({ "num": n });
                }
            }
            "exit" => {
                map.entry("exit_code").or_insert(J::from(0));
            }
            "output_raw" => {
                map.entry("output_type")
                    .or_insert(J::String("STDERR".into())); // the enum's zero value
            }
            _ => {}
        }
    }
    let payload_json = go_numbers(decode_logged_items(payload_json));
    let name = J::String(field.name().to_string()).to_string();
    Ok(format!(
        "{{\"num\":{num},\"type\":{name},{name}:{}}}",
        payload_json
    ))
}

/// Replaces lists of logged items (objects with a string `value_json` and
/// a `key` or `nested_key`) by objects of dotted key -> decoded value.
fn decode_logged_items(v: J) -> J {
    match v {
        J::Object(map) => J::Object(
            map.into_iter()
                .map(|(k, e)| (k, decode_logged_items(e)))
                .collect(),
        ),
        J::Array(list) => match logged_items(&list) {
            Some(items) => J::Object(items),
            None => J::Array(list.into_iter().map(decode_logged_items).collect()),
        },
        other => other,
    }
}

fn logged_items(list: &[J]) -> Option<Map<String, J>> {
    if list.is_empty() {
        return None;
    }
    let mut items = Map::new();
    for e in list {
        let item = e.as_object()?;
        let value_json = item.get("value_json")?.as_str()?;
        let mut key = item
            .get("key")
            .and_then(J::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(nested) = item.get("nested_key").and_then(J::as_array) {
            if !nested.is_empty() {
                key = nested
                    .iter()
                    .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(".");
            }
        }
        let value = match wandb_core::json::parse(value_json) {
            Ok(v) => value_to_json(&v),
            Err(_) => J::String(value_json.to_string()),
        };
        items.insert(key, value);
    }
    Some(items)
}

/// A decoded W&B value as the official reader prints it: NaN and
/// infinities as strings, whole floats as integers (Go's float64 format).
pub fn value_to_json(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::UInt(u) => J::from(*u),
        Value::Float(f) => float_json(*f),
        Value::Float32(f) => float_json(f64::from(*f)),
        Value::Str(s) => J::String(s.clone()),
        Value::List(l) => J::Array(l.iter().map(value_to_json).collect()),
        Value::Map(m) => J::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
        Value::Media(m) => J::String(format!("{m:?}")),
    }
}

/// Largest magnitude below which every whole f64 is printed as an integer.
const WHOLE_LIMIT: f64 = 9.007_199_254_740_992e15; // 2^53

fn float_json(f: f64) -> J {
    if f.is_nan() {
        J::String("NaN".into())
    } else if f.is_infinite() {
        J::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else if f.fract() == 0.0 && f.abs() < WHOLE_LIMIT {
        // exact: |f| < 2^53 and whole
        J::from(f as i64)
    } else {
        Number::from_f64(f).map_or(J::Null, J::Number)
    }
}

/// Protojson numbers pass through Go's float64 in the official reader:
/// whole floats print as integers.
fn go_numbers(v: J) -> J {
    match v {
        J::Number(n) if n.is_f64() => n.as_f64().map_or(J::Number(n), float_json),
        J::Array(l) => J::Array(l.into_iter().map(go_numbers).collect()),
        J::Object(m) => J::Object(m.into_iter().map(|(k, v)| (k, go_numbers(v))).collect()),
        other => other,
    }
}
