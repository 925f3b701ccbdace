//! The official artifact digests (spec artifacts.md §1.3): an entry's digest
//! is the standard base64 of the MD5 of its bytes; the artifact digest is the
//! hex MD5 of `wandb-artifact-manifest-v1\n` followed by `{path}:{digest}\n`
//! for every entry, sorted by path. Artifacts made with the official
//! `digest_algorithm="XXH128"` use XXH3-128 instead (entries tagged
//! `extra: {"alg": "XXH128"}`); wandb-rs reads and verifies them, and writes
//! MD5 as the spec advises.

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

/// The algorithm of an entry digest (spec artifacts.md §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Algorithm {
    /// `base64(md5(bytes))`, what wandb-rs writes.
    #[default]
    Md5,
    /// `base64(xxh3_128(bytes))` (canonical big-endian bytes), entries with
    /// `extra: {"alg": "XXH128"}`.
    Xxh128,
}

impl Algorithm {
    /// The algorithm of a manifest entry from its `extra.alg` (absent: MD5).
    pub fn from_extra_alg(alg: Option<&str>) -> Self {
        match alg {
            Some(a) if a.eq_ignore_ascii_case("XXH128") => Algorithm::Xxh128,
            _ => Algorithm::Md5,
        }
    }

    /// The cache directory of its objects (`artifacts/obj/<this>/…`).
    pub fn cache_dir_name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Xxh128 => "xxh128",
        }
    }

    /// The manifest's `digestAlgorithm` (`MANIFEST_MD5`, `MANIFEST_XXH128`).
    pub fn manifest_name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MANIFEST_MD5",
            Algorithm::Xxh128 => "MANIFEST_XXH128",
        }
    }
}

/// A streaming hasher of either algorithm.
enum Hasher {
    Md5(Md5),
    Xxh128(Box<xxhash_rust::xxh3::Xxh3>),
}

impl Hasher {
    fn new(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Md5 => Hasher::Md5(Md5::new()),
            Algorithm::Xxh128 => Hasher::Xxh128(Box::default()),
        }
    }
    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Xxh128(h) => h.update(bytes),
        }
    }
    fn finish(self) -> [u8; 16] {
        match self {
            Hasher::Md5(h) => h.finalize().into(),
            Hasher::Xxh128(h) => h.digest128().to_be_bytes(),
        }
    }
}

/// `base64(xxh3_128(bytes))`, the digest of an in-memory XXH128 entry.
pub fn b64_xxh128(bytes: &[u8]) -> String {
    b64(&xxhash_rust::xxh3::xxh3_128(bytes).to_be_bytes())
}

/// The b64 MD5 digest and size of a file, read in 1 MiB chunks.
pub fn b64_md5_file(path: &Path) -> Result<(String, u64)> {
    b64_file(path, Algorithm::Md5)
}

/// The b64 digest (by `alg`) and size of a file, read in 1 MiB chunks.
pub fn b64_file(path: &Path, alg: Algorithm) -> Result<(String, u64)> {
    let mut f =
        std::fs::File::open(path).map_err(|e| Error::io("cannot open artifact file", path, e))?;
    let mut hasher = Hasher::new(alg);
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
    Ok((b64(&hasher.finish()), size))
}

/// The artifact digest of `(path, entry digest)` pairs (any order).
pub fn manifest_digest<P: AsRef<str>, D: AsRef<str>>(entries: &[(P, D)]) -> String {
    manifest_digest_with(Algorithm::Md5, entries)
}

/// The artifact digest by `alg` (MD5 or XXH128 over the same lines).
pub fn manifest_digest_with<P: AsRef<str>, D: AsRef<str>>(
    alg: Algorithm,
    entries: &[(P, D)],
) -> String {
    let mut sorted: Vec<(&str, &str)> = entries
        .iter()
        .map(|(p, d)| (p.as_ref(), d.as_ref()))
        .collect();
    sorted.sort_unstable();
    let mut hasher = Hasher::new(alg);
    hasher.update(b"wandb-artifact-manifest-v1\n");
    for (p, d) in sorted {
        hasher.update(p.as_bytes());
        hasher.update(b":");
        hasher.update(d.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finish().iter().map(|b| format!("{b:02x}")).collect()
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
    fn xxh128_digests_match_spec_check_values() {
        let ckpt: Vec<u8> = (0..4096u32).map(|i| ((i * 7 + 3) % 256) as u8).collect();
        assert_eq!(b64_xxh128(&ckpt), "FUaGdCMQXNXXQodGhCvjfg==");
        let dir = wandb_test_support::ScratchDir::new("digest-xxh");
        let p = dir.path().join("model.ckpt");
        std::fs::write(&p, &ckpt).unwrap();
        assert_eq!(
            b64_file(&p, Algorithm::Xxh128).unwrap(),
            ("FUaGdCMQXNXXQodGhCvjfg==".to_string(), 4096)
        );
        assert_eq!(Algorithm::from_extra_alg(Some("XXH128")), Algorithm::Xxh128);
        assert_eq!(Algorithm::from_extra_alg(None), Algorithm::Md5);
        let config = br#"{"hidden": 8, "layers": 2}"#;
        let layer0 = [0u8, 1, 2, 3].repeat(64);
        assert_eq!(
            manifest_digest_with(
                Algorithm::Xxh128,
                &[
                    ("model.ckpt", b64_xxh128(&ckpt)),
                    ("ckpt_dir/config.json", b64_xxh128(config)),
                    ("ckpt_dir/weights/layer0.bin", b64_xxh128(&layer0)),
                ]
            ),
            "d12980e95f0e58b05f76f23c81bf1216"
        );
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
