//! The JSON shared by every file-backed media value.

use wandb_core::{Map, MediaFile, Value};

/// `{"caption"?, "_type", "sha256", "size", "path"}` in the official key
/// order; callers append type-specific keys.
pub(crate) fn file_value(type_name: &str, caption: Option<&str>, file: &MediaFile) -> Map {
    let mut m = Map::new();
    if let Some(c) = caption {
        m.insert("caption".into(), Value::from(c));
    }
    m.insert("_type".into(), Value::from(type_name));
    m.insert("sha256".into(), Value::from(file.sha256.as_str()));
    m.insert("size".into(), Value::UInt(file.size));
    m.insert("path".into(), Value::from(file.path.as_str()));
    m
}

/// Hex MD5 of `bytes`.
pub(crate) fn hex_md5(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    to_hex(&Md5::digest(bytes))
}

/// Standard base64 (with padding) of the MD5 of `bytes`, the artifact entry digest.
pub(crate) fn b64_md5(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
