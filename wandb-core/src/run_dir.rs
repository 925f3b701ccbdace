//! The run directory, laid out as the official client does (spec §3):
//! `<root>/wandb/offline-run-YYYYMMDD_HHMMSS-<id>/` with `run-<id>.wandb`,
//! `files/`, `logs/`, `tmp/code/`, and `latest-run`, `debug.log`,
//! `debug-internal.log` links in `<root>/wandb/`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::settings::Mode;

/// A new random run id: 8 characters from `[a-z0-9]`.
pub fn generate_run_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..8)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

/// Checks a user-supplied run id: non-empty, at most 128 characters of
/// letters, digits, `-` and `_` (it becomes part of paths and URLs).
pub(crate) fn validate_run_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidSetting {
            name: "id".into(),
            reason: format!("{id:?} is not a valid run id (use 1-128 letters, digits, '-' or '_')"),
        })
    }
}

/// Paths of one run directory.
#[derive(Debug, Clone)]
pub(crate) struct RunDir {
    pub(crate) dir: PathBuf,
    pub(crate) files: PathBuf,
    pub(crate) wandb_file: PathBuf,
}

/// The directory name a run gets now: `offline-run-YYYYMMDD_HHMMSS-<id>`
/// (`run-...` online).
fn dir_name(mode: Mode, run_id: &str) -> String {
    let stamp = chrono::Local::now().format("%Y%m%d_%H%M%S");
    let prefix = if mode == Mode::Online {
        "run"
    } else {
        "offline-run"
    };
    format!("{prefix}-{stamp}-{run_id}")
}

impl RunDir {
    fn at(dir: PathBuf, run_id: &str) -> RunDir {
        RunDir {
            files: dir.join("files"),
            wandb_file: dir.join(format!("run-{run_id}.wandb")),
            dir,
        }
    }
}

/// The paths a run directory would have, without touching the disk (runs
/// writing to a record sink: `files/` is created only by the first file
/// written into it).
pub(crate) fn unmade(root: &Path, mode: Mode, run_id: &str) -> RunDir {
    RunDir::at(root.join("wandb").join(dir_name(mode, run_id)), run_id)
}

/// Creates the run directory and its links.
pub(crate) fn create(root: &Path, mode: Mode, run_id: &str) -> Result<RunDir> {
    let wandb_dir = root.join("wandb");
    // as the official client: `-1`, `-2`, ... when a run of the same id
    // started in the same second (a resumed run must not reuse the
    // directory); it is claimed atomically, so processes of one shared run
    // starting together get one each
    let base = dir_name(mode, run_id);
    let mut name = base.clone();
    let mut index = 1u32;
    std::fs::create_dir_all(&wandb_dir).map_err(|e| {
        Error::io(
            "cannot create run directory (set InitOptions::dir or WANDB_DIR to a writable directory)",
            &wandb_dir,
            e,
        )
    })?;
    loop {
        match std::fs::create_dir(wandb_dir.join(&name)) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && index < 10_000 => {
                name = format!("{base}-{index}");
                index += 1;
            }
            Err(e) => {
                return Err(Error::io(
                    "cannot create run directory (set InitOptions::dir or WANDB_DIR to a writable directory)",
                    wandb_dir.join(&name),
                    e,
                ))
            }
        }
    }
    let dir = wandb_dir.join(&name);
    let files = dir.join("files");
    for d in [&files, &dir.join("logs"), &dir.join("tmp/code")] {
        std::fs::create_dir_all(d).map_err(|e| {
            Error::io(
                "cannot create run directory (set InitOptions::dir or WANDB_DIR to a writable directory)",
                d,
                e,
            )
        })?;
    }
    for log in ["debug.log", "debug-internal.log"] {
        let p = dir.join("logs").join(log);
        if !p.exists() {
            std::fs::write(&p, b"").map_err(|e| Error::io("cannot create log file", &p, e))?;
        }
    }
    link(&wandb_dir.join("latest-run"), Path::new(&name));
    link(
        &wandb_dir.join("debug.log"),
        &Path::new(&name).join("logs/debug.log"),
    );
    link(
        &wandb_dir.join("debug-internal.log"),
        &Path::new(&name).join("logs/debug-internal.log"),
    );
    Ok(RunDir::at(dir, run_id))
}

/// Replaces `at` with a relative symlink to `target`; failures only warn
/// (links are a convenience, and some file systems have none).
fn link(at: &Path, target: &Path) {
    let _ = std::fs::remove_file(at);
    #[cfg(unix)]
    let res = std::os::unix::fs::symlink(target, at);
    #[cfg(not(unix))]
    let res: std::io::Result<()> = Err(std::io::Error::other("symlinks not supported"));
    if let Err(e) = res {
        tracing::debug!(path = %at.display(), error = %e, "cannot create link");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_8_lowercase_alnum() {
        for _ in 0..100 {
            let id = generate_run_id();
            assert_eq!(id.len(), 8);
            assert!(id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        }
        assert!(validate_run_id("abc-123_X").is_ok());
        assert!(validate_run_id("a/b").is_err());
        assert!(validate_run_id("").is_err());
    }

    #[test]
    fn layout_matches_official() {
        let tmp = tempfile::tempdir().unwrap();
        let rd = create(tmp.path(), Mode::Offline, "abcd1234").unwrap();
        let name = rd.dir.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with("offline-run-") && name.ends_with("-abcd1234"),
            "{name}"
        );
        assert_eq!(name.len(), "offline-run-20261121_235005-abcd1234".len());
        assert!(rd.files.is_dir());
        assert!(rd.dir.join("logs").is_dir() && rd.dir.join("tmp/code").is_dir());
        let latest = std::fs::read_link(tmp.path().join("wandb/latest-run")).unwrap();
        assert_eq!(latest, Path::new(&name));
        assert_eq!(rd.wandb_file, rd.dir.join("run-abcd1234.wandb"));
    }

    #[test]
    fn a_second_run_in_the_same_second_gets_a_suffix() {
        let tmp = tempfile::tempdir().unwrap();
        let a = create(tmp.path(), Mode::Offline, "same").unwrap();
        let b = create(tmp.path(), Mode::Offline, "same").unwrap();
        assert_ne!(a.dir, b.dir);
        let (na, nb) = (a.dir.to_string_lossy(), b.dir.to_string_lossy());
        if na[..na.len() - 5] == nb[..na.len() - 5] {
            assert_eq!(nb, format!("{na}-1"));
        }
    }
}
