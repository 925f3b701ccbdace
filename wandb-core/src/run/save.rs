//! `run.save(glob, base_path, policy)`: files of the user's program join the
//! run, as the official `wandb.save`: each file matching the glob is linked
//! (a symlink; a copy where links are not possible) into the run's `files/`
//! directory under its path relative to `base_path`, and a files record
//! names it with its upload policy. Offline, `sync` uploads them; online,
//! the upload thread does.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::proto::{self, files_item::PolicyType, record::RecordType};

use super::Run;

/// When a saved file is uploaded (the official `policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SavePolicy {
    /// While the run is live and again when it changes (online: uploaded
    /// when it appears and at the end with its final content).
    #[default]
    Live,
    /// As soon as possible.
    Now,
    /// When the run finishes.
    End,
}

impl SavePolicy {
    fn proto(self) -> PolicyType {
        match self {
            SavePolicy::Live => PolicyType::Live,
            SavePolicy::Now => PolicyType::Now,
            SavePolicy::End => PolicyType::End,
        }
    }
}

impl Run {
    /// Saves the files matching `pattern` (a glob such as `"ckpt/*.pt"`) with
    /// the run; they appear in `files/` under their path relative to
    /// `base_path` (default: the current directory for a relative pattern,
    /// the pattern's directory for an absolute one). Returns the paths in
    /// `files/` (empty when nothing matches).
    pub fn save(
        &self,
        pattern: &str,
        base_path: Option<&Path>,
        policy: SavePolicy,
    ) -> Result<Vec<PathBuf>> {
        if self.is_disabled() {
            return Ok(Vec::new());
        }
        let pat = Path::new(pattern);
        let base: PathBuf = match base_path {
            Some(b) => b.to_path_buf(),
            None if pat.is_absolute() => pat
                .parent()
                .map_or_else(|| PathBuf::from("/"), Path::to_path_buf),
            None => PathBuf::from("."),
        };
        let full = if pat.is_absolute() {
            pat.to_path_buf()
        } else {
            base.join(pat)
        };
        let full_str = full.to_str().ok_or_else(|| {
            Error::InvalidValue(format!("save: pattern {pattern:?} is not valid UTF-8"))
        })?;
        let paths = glob::glob(full_str).map_err(|e| {
            Error::InvalidValue(format!(
                "save: {pattern:?} is not a valid glob pattern: {e}"
            ))
        })?;
        let mut items = Vec::new();
        let mut out = Vec::new();
        for entry in paths.flatten() {
            if !entry.is_file() {
                continue;
            }
            let rel = entry.strip_prefix(&base).map_err(|_| {
                Error::InvalidValue(format!(
                    "save: {} is not under base_path {}; pass a base_path that contains the files",
                    entry.display(),
                    base.display()
                ))
            })?;
            if rel
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
            {
                return Err(Error::InvalidValue(format!(
                    "save: {} would leave the run's files directory; pass a base_path that contains the files",
                    rel.display()
                )));
            }
            let rel: PathBuf = rel
                .components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .collect();
            let target = self.files_dir().join(&rel);
            link_or_copy(&entry, &target)?;
            let name = rel.to_string_lossy().replace('\\', "/");
            items.push(proto::FilesItem {
                path: name,
                policy: policy.proto() as i32,
                ..Default::default()
            });
            out.push(target);
        }
        if !items.is_empty() {
            self.emit_record(RecordType::Files(proto::FilesRecord {
                files: items,
                info: None,
            }))?;
        }
        Ok(out)
    }
}

/// Links `from` at `to` (replacing what is there); copies if linking fails.
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io("cannot create a directory in files/", dir, e))?;
    }
    let _ = std::fs::remove_file(to);
    let abs = std::path::absolute(from).unwrap_or_else(|_| from.to_path_buf());
    #[cfg(unix)]
    if std::os::unix::fs::symlink(&abs, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(&abs, to)
        .map(|_| ())
        .map_err(|e| Error::io("cannot copy a saved file into files/", to, e))
}
