//! The official artifact digests (spec artifacts.md §1.3): an entry's digest
//! is the standard base64 of the MD5 of its bytes; the artifact digest is the
//! hex MD5 of `wandb-artifact-manifest-v1\n` followed by `{path}:{digest}\n`
//! for every entry, sorted by path.

use std::io::Read as _;
use std::path::Path;

use base64::Engine as _;
use md5::{Digest as _, Md5};

use crate::error::{Error, Result};

/// Read size of the streaming hash: files are never held in memory whole.
pub(crate) const CHUNK: usize = 1 << 20;

/// Standard base64 (with padding) of an MD5 digest: 24 characters.
pub fn b64(md5: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5)
}

/// `base64(md5(bytes))`, the digest of an in-memory entry.
pub fn b64_md5(bytes: &[u8]) -> String {
    b64(&Md5::digest(bytes))
}

/// The hex form of a b64 MD5 digest (`0QUon1YXwkH1Khkcay/ICQ==` →
/// `d10528...`), as the cache layout uses; `None` if it is not base64.
pub fn b64_to_hex(digest: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(digest)
        .ok()?;
    Some(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// The b64 MD5 digest and size of a file, read in 1 MiB chunks.
pub fn b64_md5_file(path: &Path) -> Result<(String, u64)> {
    let mut f =
        std::fs::File::open(path).map_err(|e| Error::io("cannot open artifact file", path, e))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Error::io("cannot read artifact file", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((b64(&hasher.finalize()), size))
}

/// The artifact digest of `(path, entry digest)` pairs (any order).
pub fn manifest_digest<P: AsRef<str>, D: AsRef<str>>(entries: &[(P, D)]) -> String {
    let mut sorted: Vec<(&str, &str)> = entries
        .iter()
        .map(|(p, d)| (p.as_ref(), d.as_ref()))
        .collect();
    sorted.sort_unstable();
    let mut hasher = Md5::new();
    hasher.update(b"wandb-artifact-manifest-v1\n");
    for (p, d) in sorted {
        hasher.update(p.as_bytes());
        hasher.update(b":");
        hasher.update(d.as_bytes());
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 128 random characters from `[a-z0-9]`, like the official
/// `generate_fast_id(128)` (an artifact's `client_id`/`sequence_client_id`).
pub fn client_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..128)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_digest_matches_spec_check_values() {
        assert_eq!(
            manifest_digest(&[
                ("model.ckpt", "0QUon1YXwkH1Khkcay/ICQ=="),
                ("ckpt_dir/weights/layer0.bin", "gWKX6LE4tUxLgMtvuTMxmA=="),
                ("ckpt_dir/config.json", "sC0/P0bw2c8SB3GpZEjGpg=="),
            ]),
            "373f9b60ac0a8d2cbeda58975af917ea"
        );
        assert_eq!(
            manifest_digest(&[
                ("notes.txt", "aeMx4lq0p0cI7jWbIoZRiA=="),
                ("model.ckpt", "0QUon1YXwkH1Khkcay/ICQ=="),
            ]),
            "3fcc40a102f1172e5fd329076008f2fc"
        );
        assert_eq!(
            manifest_digest(&[("model.ckpt", "0QUon1YXwkH1Khkcay/ICQ==")]),
            "619eb2b20a9c79953e578b712d790659"
        );
    }

    #[test]
    fn entry_digests_match_spec_check_values() {
        let ckpt: Vec<u8> = (0..4096u32).map(|i| ((i * 7 + 3) % 256) as u8).collect();
        assert_eq!(b64_md5(&ckpt), "0QUon1YXwkH1Khkcay/ICQ==");
        assert_eq!(b64_md5(b"epoch 4\n"), "aeMx4lq0p0cI7jWbIoZRiA==");
        let dir = wandb_test_support::ScratchDir::new("digest");
        let p = dir.path().join("model.ckpt");
        std::fs::write(&p, &ckpt).unwrap();
        assert_eq!(
            b64_md5_file(&p).unwrap(),
            ("0QUon1YXwkH1Khkcay/ICQ==".to_string(), 4096)
        );
        assert_eq!(b64_to_hex("0QUon1YXwkH1Khkcay/ICQ==").unwrap().len(), 32);
    }

    #[test]
    fn client_ids_are_128_lowercase_alnum() {
        let id = client_id();
        assert_eq!(id.len(), 128);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    }
}
