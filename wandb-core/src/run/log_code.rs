//! `run.log_code(root)`: the program's source as a `code` artifact named
//! `source-<project>-<program>`, as the official `run.log_code`: every file
//! under `root` that the include filter accepts and the exclude filter does
//! not, at its path relative to `root`; then the config gets
//! `_wandb.code_path = <artifact name>`.
//!
//! Defaults, the Rust counterparts of the official ones (`*.py`,
//! `requirements.txt`, `Dockerfile*`; excluding `wandb/` and `.wandb/`):
//! include `*.rs`, `Cargo.toml`, `Cargo.lock` and `Dockerfile*`; exclude
//! `wandb/`, `.wandb/` and `target/` at the root (run and build output).
//! `<program>` is the running executable's file name, where the official
//! client takes the script's path relative to the repository.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::artifact::{Artifact, LoggedArtifact};
use crate::error::{Error, Result};
use crate::proto;
use crate::proto::record::RecordType;

use super::Run;

type Filter = Box<dyn Fn(&Path) -> bool + Send + Sync>;

/// What [`Run::log_code_with`] collects; the filters receive each file's
/// path relative to the root (with the platform's separators).
pub struct CodeOptions {
    name: Option<String>,
    include: Filter,
    exclude: Filter,
}

impl fmt::Debug for CodeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeOptions")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Default for CodeOptions {
    fn default() -> Self {
        CodeOptions {
            name: None,
            include: Box::new(default_include),
            exclude: Box::new(default_exclude),
        }
    }
}

impl CodeOptions {
    /// The default filters and name.
    pub fn new() -> Self {
        Self::default()
    }

    /// The artifact name (default `source-<project>-<program>`); made safe
    /// as the official client does (other characters become `_`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Which files to take (default: `*.rs`, `Cargo.toml`, `Cargo.lock`,
    /// `Dockerfile*`).
    pub fn include(mut self, f: impl Fn(&Path) -> bool + Send + Sync + 'static) -> Self {
        self.include = Box::new(f);
        self
    }

    /// Which files to leave out, checked after `include` (default: anything
    /// under `wandb/`, `.wandb/` or `target/`).
    pub fn exclude(mut self, f: impl Fn(&Path) -> bool + Send + Sync + 'static) -> Self {
        self.exclude = Box::new(f);
        self
    }
}

fn default_include(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    rel.extension().is_some_and(|e| e == "rs")
        || name == "Cargo.toml"
        || name == "Cargo.lock"
        || name.starts_with("Dockerfile")
}

fn default_exclude(rel: &Path) -> bool {
    let mut parts = rel.components();
    let first = parts.next();
    // a file directly in the root is never inside one of these directories
    parts.next().is_some()
        && first.is_some_and(|c| {
            let c = c.as_os_str();
            c == "wandb" || c == ".wandb" || c == "target"
        })
}

/// The official `make_artifact_name_safe`: characters other than letters,
/// digits, `_`, `-` and `.` become `_`; a name over 128 characters keeps
/// its first and last 63 around `..`.
pub(crate) fn artifact_safe_name(name: &str) -> String {
    let cleaned: Vec<char> = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.len() <= 128 {
        return cleaned.into_iter().collect();
    }
    let head: String = cleaned[..63].iter().collect();
    let tail: String = cleaned[cleaned.len() - 63..].iter().collect();
    format!("{head}..{tail}")
}

/// The running program's name (the executable's file name).
fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .or_else(|| std::env::args().next().map(PathBuf::from))
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "program".into())
}

/// Files under `root` (directory links are not followed, as `os.walk`),
/// as (absolute path, path relative to root), sorted.
fn walk(root: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let dir = root.join(&rel_dir);
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::io("log_code: cannot read the directory", &dir, e))?;
        for entry in entries.flatten() {
            let rel = rel_dir.join(entry.file_name());
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(rel);
            } else if entry.path().is_file() {
                out.push((entry.path(), rel));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

impl Run {
    /// Saves the source under `root` (relative to the current directory or
    /// absolute) as a `code` artifact with the default filters (`*.rs`,
    /// `Cargo.toml`, `Cargo.lock`, `Dockerfile*`; not under `wandb/`,
    /// `.wandb/`, `target/`): see [`Run::log_code_with`].
    pub fn log_code(&self, root: impl AsRef<Path>) -> Result<Option<LoggedArtifact>> {
        self.log_code_with(root, CodeOptions::default())
    }

    /// Saves the files under `root` that `opts` selects as a `code`
    /// artifact (official `run.log_code`): entries at their paths relative
    /// to `root` (with `/`), named `source-<project>-<program>` unless
    /// `opts` names it, and `_wandb.code_path` in the config. Returns
    /// `None` (with a warning in the debug log) when no file matches.
    ///
    /// Errors: `root` is not a readable directory; a file cannot be read or
    /// staged; the run is finished.
    pub fn log_code_with(
        &self,
        root: impl AsRef<Path>,
        opts: CodeOptions,
    ) -> Result<Option<LoggedArtifact>> {
        let root = std::path::absolute(root.as_ref()).unwrap_or_else(|_| root.as_ref().into());
        if !root.is_dir() {
            return Err(Error::InvalidValue(format!(
                "log_code: {} is not a directory; pass the directory holding the source",
                root.display()
            )));
        }
        let name = artifact_safe_name(
            &opts
                .name
                .clone()
                .unwrap_or_else(|| format!("source-{}-{}", self.info().project, program_name())),
        );
        let mut art = Artifact::internal(name, "code")?;
        let mut added = 0usize;
        for (abs, rel) in walk(&root)? {
            if !(opts.include)(&rel) || (opts.exclude)(&rel) {
                continue;
            }
            let logical: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            art.add_file(&abs, Some(&logical.join("/")))?;
            added += 1;
        }
        if added == 0 {
            tracing::warn!(
                root = %root.display(),
                "log_code: no file matched; no code is logged"
            );
            return Ok(None);
        }
        let logged = self.log_artifact(&art, &[] as &[&str])?;
        if !self.is_disabled() {
            let code_path = serde_json::json!({"code_path": logged.name}).to_string();
            self.emit_record(RecordType::Config(proto::ConfigRecord {
                update: vec![proto::ConfigItem {
                    key: "_wandb".into(),
                    nested_key: vec![],
                    value_json: code_path,
                }],
                remove: vec![],
                info: None,
            }))?;
        }
        Ok(Some(logged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_as_the_official_client_does() {
        assert_eq!(artifact_safe_name("source-p-a b/c.rs"), "source-p-a_b_c.rs");
        let long = "x".repeat(70) + &"y".repeat(70);
        let safe = artifact_safe_name(&long);
        assert_eq!(safe, "x".repeat(63) + ".." + &"y".repeat(63));
    }

    #[test]
    fn default_filters() {
        assert!(default_include(Path::new("src/main.rs")));
        assert!(default_include(Path::new("Cargo.toml")));
        assert!(default_include(Path::new("Dockerfile.gpu")));
        assert!(!default_include(Path::new("README.md")));
        assert!(default_exclude(Path::new("target/debug/build/out.rs")));
        assert!(default_exclude(Path::new("wandb/run/x.rs")));
        assert!(!default_exclude(Path::new("src/wandb/x.rs")));
        assert!(!default_exclude(Path::new("target.rs")));
    }
}
