//! Staging copies (spec artifacts.md §1.2): each file of a logged artifact is
//! copied to `<staging>/tmpXXXXXXXX` (8 characters of `[a-z0-9_]`), made
//! read-only (0400), and the manifest entry's `local_path` is that absolute
//! path. The copies are kept after the run so `wandb sync` (official or
//! ours) can upload them later.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use md5::{Digest as _, Md5};

use super::digest::{b64, CHUNK};
use super::ArtifactError;
use crate::error::{Error, Result};
use crate::media::RunInfo;

/// Where staging copies go: `$WANDB_DATA_DIR/artifacts/staging` when the
/// run's settings have a data directory (as the official client), otherwise
/// `<run dir>/tmp/artifacts/staging`, so an offline run directory holds all
/// it needs to be synced.
pub fn staging_dir(info: &RunInfo, run_dir: &Path) -> PathBuf {
    match &info.data_dir {
        Some(d) => d.join("artifacts").join("staging"),
        None => run_dir.join("tmp").join("artifacts").join("staging"),
    }
}

/// Creates a new, empty `tmpXXXXXXXX` file in `dir`.
fn create_staging_file(dir: &Path) -> Result<(PathBuf, std::fs::File)> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io("cannot create artifact staging directory", dir, e))?;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    loop {
        let name: String = "tmp"
            .chars()
            .chain((0..8).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char))
            .collect();
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io("cannot create artifact staging file", &path, e)),
        }
    }
}

/// Makes the staged copy read-only and returns its absolute path.
fn seal(path: PathBuf) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // best effort, as the official client's chmod: the copy stays usable either way
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400));
    }
    std::path::absolute(&path).unwrap_or(path)
}

/// Stages in-memory bytes; returns the staging path.
pub fn stage_bytes(dir: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let (path, mut f) = create_staging_file(dir)?;
    f.write_all(bytes)
        .map_err(|e| Error::io("cannot write artifact staging file", &path, e))?;
    drop(f);
    Ok(seal(path))
}

/// Copies `src` into staging in 1 MiB chunks, hashing what it copies; the
/// copy is removed and an error returned if the content no longer has
/// `expected` (the b64 MD5 taken when the file was added).
pub fn stage_file(dir: &Path, logical: &str, src: &Path, expected: &str) -> Result<PathBuf> {
    let mut input =
        std::fs::File::open(src).map_err(|e| Error::io("cannot open artifact file", src, e))?;
    let (path, mut out) = create_staging_file(dir)?;
    let copied = (|| -> Result<String> {
        let mut hasher = Md5::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = input
                .read(&mut buf)
                .map_err(|e| Error::io("cannot read artifact file", src, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| Error::io("cannot write artifact staging file", &path, e))?;
        }
        Ok(b64(&hasher.finalize()))
    })();
    drop(out);
    match copied {
        Ok(digest) if digest == expected => Ok(seal(path)),
        Ok(digest) => {
            let _ = std::fs::remove_file(&path);
            Err(ArtifactError::Changed {
                path: logical.to_string(),
                file: src.to_path_buf(),
                added: expected.to_string(),
                now: digest,
            }
            .into())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}
