//! The Rust dependency set of the program, written where the official client
//! writes the Python package list (`files/requirements.txt`).
//!
//! A compiled Rust program carries no list of its crates, so we look for the
//! `Cargo.lock` of the project it was built from: next to the executable or
//! in one of its parent directories (`target/debug/prog` → the workspace
//! root), then under `CARGO_MANIFEST_DIR` (set by `cargo run` and
//! `cargo test`, so a shared `CARGO_TARGET_DIR` outside the project still
//! finds it), then in the working directory and its parents. Each locked package
//! becomes a `name==version` line, the format of `requirements.txt`, so the
//! W&B UI lists the crates where it lists Python packages. No `Cargo.lock`
//! found (an installed binary) → no file.

use std::path::{Path, PathBuf};

/// Finds the `Cargo.lock` that belongs to the running program.
pub fn find_cargo_lock() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok();
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let cwd = std::env::current_dir().ok();
    exe.as_deref()
        .and_then(Path::parent)
        .and_then(lock_in_ancestors)
        .or_else(|| manifest.as_deref().and_then(lock_in_ancestors))
        .or_else(|| cwd.as_deref().and_then(lock_in_ancestors))
}

fn lock_in_ancestors(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
}

/// `name==version` lines of every `[[package]]` in a `Cargo.lock`, sorted and
/// de-duplicated, each ending in `\n`.
pub fn requirements_from_lock(lock: &str) -> String {
    let mut pkgs: Vec<(String, String)> = Vec::new();
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut flush = |name: &mut Option<String>, version: &mut Option<String>| {
        if let (Some(n), Some(v)) = (name.take(), version.take()) {
            pkgs.push((n, v));
        }
    };
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" || (line.starts_with('[') && !line.starts_with("[[package")) {
            flush(&mut name, &mut version);
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().trim_matches('"').to_string();
            match k.trim() {
                "name" => name = Some(v),
                "version" => version = Some(v),
                _ => {}
            }
        }
    }
    flush(&mut name, &mut version);
    pkgs.sort();
    pkgs.dedup();
    pkgs.iter().map(|(n, v)| format!("{n}=={v}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_becomes_requirement_lines() {
        let lock = "# comment\nversion = 4\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.229\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"serde_derive\",\n]\n\n[[package]]\nname = \"anyhow\"\nversion = \"1.0.1\"\n\n[metadata]\nx = \"y\"\n";
        assert_eq!(
            requirements_from_lock(lock),
            "anyhow==1.0.1\nserde==1.0.229\n"
        );
    }

    #[test]
    fn finds_the_lock_of_a_test_binary() {
        // Test binaries live in target/debug/deps: the workspace lock is above.
        let lock = find_cargo_lock().expect("Cargo.lock above the test binary");
        let text = std::fs::read_to_string(lock).unwrap();
        assert!(requirements_from_lock(&text).contains("sysinfo=="));
    }
}
