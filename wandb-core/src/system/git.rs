//! A tiny, read-only reader of a Git repository's state: the checked-out
//! commit, the branch and the `origin` remote URL, for the `environment`
//! record's `git` field.
//!
//! It reads `.git/HEAD`, loose refs, `packed-refs` and `.git/config`
//! directly instead of shelling out to `git` or linking a full Git
//! implementation (`gix`, `git2`): the three facts need a few file reads.
//! Worktrees and submodules (a `.git` *file* with `gitdir:`, plus
//! `commondir`) are followed. Anything unusual (reftable, corrupt files)
//! yields `None` rather than an error: git info is best-effort metadata.

use std::fs;
use std::path::{Path, PathBuf};

/// What was found about the repository holding a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitInfo {
    /// The working tree's root directory.
    pub root: PathBuf,
    /// The checked-out commit (40 hex digits), empty in a fresh repository.
    pub commit: String,
    /// The checked-out branch (`main`), `None` with a detached HEAD.
    pub branch: Option<String>,
    /// `remote.origin.url` from the config, if set.
    pub remote_url: Option<String>,
}

/// Looks for a Git repository at `start` or any parent directory.
pub fn discover(start: &Path) -> Option<GitInfo> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let dotgit = d.join(".git");
        if dotgit.exists() {
            let git_dir = resolve_git_dir(&dotgit)?;
            return read(d, &git_dir);
        }
        dir = d.parent();
    }
    None
}

/// `.git` is a directory, or a file `gitdir: <path>` (worktree, submodule).
fn resolve_git_dir(dotgit: &Path) -> Option<PathBuf> {
    if dotgit.is_dir() {
        return Some(dotgit.to_path_buf());
    }
    let text = fs::read_to_string(dotgit).ok()?;
    let rel = text.trim().strip_prefix("gitdir:")?.trim();
    let parent = dotgit.parent()?;
    Some(parent.join(rel))
}

fn read(root: &Path, git_dir: &Path) -> Option<GitInfo> {
    // A linked worktree keeps HEAD locally and refs/config in the common dir.
    let common = fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|| git_dir.to_path_buf());
    let head = fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let (commit, branch) = match head.strip_prefix("ref:") {
        Some(r) => {
            let r = r.trim();
            let commit = resolve_ref(git_dir, &common, r).unwrap_or_default();
            (commit, r.strip_prefix("refs/heads/").map(str::to_string))
        }
        None => (head.to_string(), None),
    };
    let remote_url = fs::read_to_string(common.join("config"))
        .ok()
        .and_then(|c| config_value(&c, "remote \"origin\"", "url"));
    Some(GitInfo {
        root: root.to_path_buf(),
        commit,
        branch,
        remote_url,
    })
}

fn resolve_ref(git_dir: &Path, common: &Path, name: &str) -> Option<String> {
    for dir in [git_dir, common] {
        if let Ok(v) = fs::read_to_string(dir.join(name)) {
            let v = v.trim();
            if let Some(next) = v.strip_prefix("ref:") {
                return resolve_ref(git_dir, common, next.trim());
            }
            return Some(v.to_string());
        }
    }
    let packed = fs::read_to_string(common.join("packed-refs")).ok()?;
    packed_ref(&packed, name)
}

/// Finds `name` in the content of a `packed-refs` file.
pub(crate) fn packed_ref(packed: &str, name: &str) -> Option<String> {
    packed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        .filter_map(|l| l.split_once(' '))
        .find(|(_, r)| r.trim() == name)
        .map(|(sha, _)| sha.to_string())
}

/// Reads `key` of `[section]` from a Git config file (`section` as written
/// between the brackets, e.g. `remote "origin"`). Values may be quoted.
pub(crate) fn config_value(config: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.split(']').next().unwrap_or("").trim();
            in_section = name == section;
            continue;
        }
        if in_section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim().eq_ignore_ascii_case(key) {
                    let v = v.trim();
                    let v = v
                        .strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .unwrap_or(v);
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn repo(dir: &Path) -> PathBuf {
        let g = dir.join(".git");
        fs::create_dir_all(g.join("refs/heads")).unwrap();
        fs::write(g.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        fs::write(
            g.join("config"),
            "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://github.com/me/proj.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
        )
        .unwrap();
        g
    }

    #[test]
    fn loose_ref_branch_and_remote_from_a_subdirectory() {
        let t = tempfile::tempdir().unwrap();
        let g = repo(t.path());
        fs::write(g.join("refs/heads/main"), format!("{SHA}\n")).unwrap();
        let sub = t.path().join("src/deep");
        fs::create_dir_all(&sub).unwrap();
        let info = discover(&sub).unwrap();
        assert_eq!(info.root, t.path());
        assert_eq!(info.commit, SHA);
        assert_eq!(info.branch.as_deref(), Some("main"));
        assert_eq!(
            info.remote_url.as_deref(),
            Some("https://github.com/me/proj.git")
        );
    }

    #[test]
    fn packed_refs_and_detached_head() {
        let t = tempfile::tempdir().unwrap();
        let g = repo(t.path());
        fs::write(
            g.join("packed-refs"),
            format!("# pack-refs with: peeled fully-peeled sorted\n{SHA} refs/heads/main\n^ffff\n"),
        )
        .unwrap();
        assert_eq!(discover(t.path()).unwrap().commit, SHA);
        fs::write(g.join("HEAD"), format!("{SHA}\n")).unwrap();
        let info = discover(t.path()).unwrap();
        assert_eq!((info.commit.as_str(), info.branch), (SHA, None));
    }

    #[test]
    fn worktree_gitdir_file_and_commondir() {
        let t = tempfile::tempdir().unwrap();
        let main = t.path().join("main");
        let g = repo(&main);
        fs::write(g.join("refs/heads/feature"), format!("{SHA}\n")).unwrap();
        let wt_git = g.join("worktrees/wt");
        fs::create_dir_all(&wt_git).unwrap();
        fs::write(wt_git.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
        fs::write(wt_git.join("commondir"), "../..\n").unwrap();
        let wt = t.path().join("wt");
        fs::create_dir_all(&wt).unwrap();
        fs::write(wt.join(".git"), format!("gitdir: {}\n", wt_git.display())).unwrap();
        let info = discover(&wt).unwrap();
        assert_eq!(info.commit, SHA);
        assert_eq!(info.branch.as_deref(), Some("feature"));
        assert!(info.remote_url.is_some());
    }

    #[test]
    fn no_repository() {
        let t = tempfile::tempdir().unwrap();
        // A temp dir might sit inside a repository on a developer machine;
        // only assert that an unrelated empty tree does not invent a commit.
        if let Some(info) = discover(t.path()) {
            assert_ne!(info.root, t.path());
        }
    }
}
