//! Helpers shared by the online tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use wandb_core::Value;

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// `tests/fixtures/online`.
pub fn fixtures() -> PathBuf {
    wandb_test_support::fixtures_dir().join("online")
}

/// Copies the fixture run `name` (`minimal_run`, `media_run`) into `tmp`
/// and returns the run directory.
pub fn fixture_run(name: &str, tmp: &Path) -> PathBuf {
    let src_parent = fixtures().join(name);
    let run = std::fs::read_dir(&src_parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let dest = tmp.join(run.file_name().unwrap());
    copy_dir(&run, &dest);
    dest
}

/// Parses W&B JSON (NaN/Infinity tokens allowed).
pub fn parse(s: &str) -> Value {
    wandb_core::json::parse(s).unwrap_or_else(|e| panic!("bad JSON {s:?}: {e}"))
}

/// The expected file_stream content of an official capture.
pub fn expected(capture: &str) -> serde_json::Value {
    let p = fixtures().join("captures").join(capture).join("expected.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Every file under `dir` contains no `needle`.
pub fn assert_not_in_files(dir: &Path, needle: &str) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            assert_not_in_files(&p, needle);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "the API key was written to {}", p.display());
        }
    }
}

/// Drops the `<timestamp> ` (and `ERROR `) prefix of a console stream line.
pub fn console_text(line: &str) -> (bool, String) {
    let (err, rest) = match line.strip_prefix("ERROR ") {
        Some(r) => (true, r),
        None => (false, line),
    };
    let text = rest.split_once(' ').map(|(_, t)| t).unwrap_or("");
    (err, text.to_string())
}
