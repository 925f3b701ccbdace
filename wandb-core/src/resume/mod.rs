//! Resuming a run (the `resume` setting), as the official client does:
//!
//! - `allow`: continue the run if it exists, else start it;
//! - `must`: the run must exist ([`ResumeConflict::MustButMissing`] before
//!   anything is written);
//! - `never`: the run must not exist ([`ResumeConflict::NeverButExists`]);
//! - `auto`: like `allow`, with the run id kept in `<dir>/wandb/wandb-resume.json`
//!   from `init` until a clean `finish()` (exit code 0), so a job that was
//!   killed and restarted continues the same run without being given an id.
//!
//! Online, what exists is what the server's `RunResumeStatus` answers
//! (crate::online); offline, it is the latest earlier run directory
//! `offline-run-*-<id>` of the same wandb directory ([`offline`]).
//!
//! A resumed run continues `_step` (after the last stored row), `_runtime`
//! (from the stored runtime), the summary (stored values until overwritten)
//! and the config (stored keys the new run does not set).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::value::{Map, Value};

pub(crate) mod offline;

/// Name of the `auto` resume file in the wandb directory (official name).
pub const RESUME_FILE: &str = "wandb-resume.json";

/// Why the `resume` setting refuses to start a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeConflict {
    /// `resume = must` and the run does not exist.
    MustButMissing,
    /// `resume = never` and the run exists.
    NeverButExists,
    /// No `resume` setting, an explicit id, and that run exists: starting it
    /// again would overwrite its history line by line.
    ExistsWithoutResume,
}

impl ResumeConflict {
    /// What is wrong and what to do.
    pub fn explain(self) -> &'static str {
        match self {
            ResumeConflict::MustButMissing => {
                "does not exist, and resume is 'must': check the run id (and entity/project), or use resume 'allow' to start it when it is missing"
            }
            ResumeConflict::NeverButExists => {
                "already exists, and resume is 'never': use another run id, or resume 'allow' to continue it"
            }
            ResumeConflict::ExistsWithoutResume => {
                "already exists: reusing its id without a resume setting would overwrite its history; use resume 'allow' to continue it, or another run id"
            }
        }
    }
}

/// What a resumed run continues from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResumeState {
    /// The step of the first new row (the last stored `_step` + 1; 0 without rows).
    pub starting_step: u64,
    /// Seconds the run ran before; `_runtime` continues from here.
    pub runtime_secs: f64,
    /// The stored summary.
    pub summary: Map,
    /// The stored config (plain values, without `_wandb`).
    pub config: Map,
    /// The stored tags (used when the new run sets none).
    pub tags: Vec<String>,
    /// The stored notes (used when the new run sets none).
    pub notes: Option<String>,
}

impl ResumeState {
    /// Adds the stored config keys the new run does not set (the new run's
    /// values win, as the official client merges a resumed config).
    pub fn merge_config(&self, config: &mut Map) {
        for (k, v) in &self.config {
            if k != "_wandb" && !config.contains_key(k) {
                config.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A number stored as JSON (int, uint or float) as `f64`.
pub(crate) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Float32(f) if f.is_finite() => Some(f64::from(*f)),
        _ => None,
    }
}

/// The starting step after a stored `_step` (saturating; negative or
/// missing steps start at 0).
pub(crate) fn next_step(last: Option<f64>) -> u64 {
    match last {
        Some(s) if s >= 0.0 && s.is_finite() => {
            // saturating float-to-int conversion
            (s.floor() as u64).saturating_add(1)
        }
        _ => 0,
    }
}

/// The runtime recorded in a summary: `_wandb.runtime`, else `_runtime`.
pub(crate) fn summary_runtime(summary: &Map) -> Option<f64> {
    match summary.get("_wandb") {
        Some(Value::Map(w)) => w.get("runtime").and_then(number),
        _ => summary.get("_runtime").and_then(number),
    }
}

/// `<root>/wandb/wandb-resume.json`.
pub fn resume_file(wandb_dir: &Path) -> PathBuf {
    wandb_dir.join(RESUME_FILE)
}

/// The run id stored in the `auto` resume file, if it holds a valid one
/// (an unreadable or malformed file is ignored with a warning, as the
/// official client does).
pub fn load_auto_id(wandb_dir: &Path) -> Option<String> {
    let path = resume_file(wandb_dir);
    let text = std::fs::read_to_string(&path).ok()?;
    let id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("run_id").and_then(|i| i.as_str()).map(str::to_string));
    match id {
        Some(id) if crate::run_dir::validate_run_id(&id).is_ok() => Some(id),
        _ => {
            tracing::warn!(path = %path.display(), "resume file holds no valid run_id; ignored");
            None
        }
    }
}

/// Writes `{"run_id": "<id>"}` (the official content) to the resume file.
pub fn save_auto_id(wandb_dir: &Path, run_id: &str) -> Result<()> {
    std::fs::create_dir_all(wandb_dir).map_err(|e| {
        Error::io(
            "cannot create the wandb directory (set InitOptions::dir or WANDB_DIR to a writable directory)",
            wandb_dir,
            e,
        )
    })?;
    let path = resume_file(wandb_dir);
    let body = format!(
        "{{\"run_id\": {}}}",
        serde_json::Value::String(run_id.to_string())
    );
    std::fs::write(&path, body).map_err(|e| Error::io("cannot write the resume file", &path, e))
}

/// Removes the resume file if present (a clean finish, or a run without a
/// resume setting); failures only warn.
pub fn remove_auto_file(wandb_dir: &Path) {
    let path = resume_file(wandb_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove the resume file")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_step_saturates_and_ignores_bad_steps() {
        assert_eq!(next_step(None), 0);
        assert_eq!(next_step(Some(-3.0)), 0);
        assert_eq!(next_step(Some(f64::NAN)), 0);
        assert_eq!(next_step(Some(4.0)), 5);
        assert_eq!(next_step(Some(1e30)), u64::MAX);
    }

    #[test]
    fn resume_file_round_trip_and_official_content() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().join("wandb");
        assert_eq!(load_auto_id(&w), None);
        save_auto_id(&w, "abc123").unwrap();
        assert_eq!(
            std::fs::read_to_string(resume_file(&w)).unwrap(),
            r#"{"run_id": "abc123"}"#
        );
        assert_eq!(load_auto_id(&w).as_deref(), Some("abc123"));
        std::fs::write(resume_file(&w), "{not json").unwrap();
        assert_eq!(load_auto_id(&w), None);
        std::fs::write(resume_file(&w), r#"{"run_id": "../x"}"#).unwrap();
        assert_eq!(load_auto_id(&w), None);
        remove_auto_file(&w);
        remove_auto_file(&w);
        assert!(!resume_file(&w).exists());
    }

    #[test]
    fn config_merge_keeps_new_values() {
        let mut old = ResumeState::default();
        old.config.insert("a".into(), Value::Int(1));
        old.config.insert("b".into(), Value::Int(2));
        let mut new = Map::new();
        new.insert("a".into(), Value::Int(10));
        old.merge_config(&mut new);
        assert_eq!(new.get("a"), Some(&Value::Int(10)));
        assert_eq!(new.get("b"), Some(&Value::Int(2)));
    }
}
