//! Offline resume: what the latest earlier run directory of the same id
//! (`<wandb dir>/offline-run-YYYYMMDD_HHMMSS-<id>/run-<id>.wandb`) holds.

use std::path::{Path, PathBuf};

use super::ResumeConflict;
use super::{next_step, number, summary_runtime, ResumeState};
use crate::error::{Error, Result};
use crate::proto::{self, record::RecordType};
use crate::settings::Resume;
use crate::tree::{remove_path, set_path};
use crate::value::{Map, Value};

/// The latest `offline-run-YYYYMMDD_HHMMSS-<run_id>[-N]` directory of
/// `wandb_dir` that has a `run-<run_id>.wandb` file, if any (by timestamp,
/// then by the official same-second suffix `N`).
pub(crate) fn latest_run_dir(wandb_dir: &Path, run_id: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(wandb_dir).ok()?;
    let mut found: Vec<((String, u64), PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let rest = name.strip_prefix("offline-run-")?;
            let (stamp, rest) = (rest.get(..15)?, rest.get(15..)?);
            // YYYYMMDD_HHMMSS exactly, so `x-ab` never matches the id `ab`
            let stamp_ok =
                stamp
                    .char_indices()
                    .all(|(i, c)| if i == 8 { c == '_' } else { c.is_ascii_digit() });
            let rest = rest.strip_prefix('-')?.strip_prefix(run_id)?;
            let suffix = match rest {
                "" => 0,
                r => r.strip_prefix('-')?.parse::<u64>().ok()?,
            };
            let file = e.path().join(format!("run-{run_id}.wandb"));
            (stamp_ok && file.is_file()).then(|| ((stamp.to_string(), suffix), e.path()))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

/// What the run in `dir` logged: steps, runtime, summary, config, tags and
/// notes. A crashed run's truncated file is read as far as it is readable.
pub(crate) fn read_state(dir: &Path, run_id: &str) -> Result<ResumeState> {
    let file = dir.join(format!("run-{run_id}.wandb"));
    let outcome = crate::store::read_file(&file)?;
    if !outcome.problems.is_empty() {
        tracing::warn!(file = %file.display(), problems = outcome.problems.len(),
            "the earlier run's log has unreadable parts; resuming from what is readable");
    }
    let mut acc = Accumulator::default();
    for rec in outcome.records {
        if let Some(rt) = rec.record_type {
            acc.apply(rt);
        }
    }
    Ok(acc.finish())
}

/// Applies the `resume` mode offline, where "the run exists" means an
/// earlier run directory of the same id in `wandb_dir`: the state to
/// continue, or the typed error of `must` / `never` / a reused id without a
/// resume setting.
pub(crate) fn check(
    wandb_dir: &Path,
    run_id: &str,
    mode: Option<Resume>,
) -> Result<Option<ResumeState>> {
    let earlier = latest_run_dir(wandb_dir, run_id);
    let conflict = |conflict, location: String| Error::Resume {
        run_id: run_id.to_string(),
        location,
        conflict,
    };
    match (mode, earlier) {
        (Some(Resume::Must), None) => Err(conflict(
            ResumeConflict::MustButMissing,
            format!(
                "(offline: no earlier offline-run-*-{run_id} directory in {})",
                wandb_dir.display()
            ),
        )),
        (Some(Resume::Never), Some(d)) => Err(conflict(
            ResumeConflict::NeverButExists,
            format!("(offline: {})", d.display()),
        )),
        (None, Some(d)) => Err(conflict(
            ResumeConflict::ExistsWithoutResume,
            format!("(offline: {})", d.display()),
        )),
        (Some(Resume::Allow | Resume::Must | Resume::Auto), Some(d)) => {
            read_state(&d, run_id).map(Some)
        }
        _ => Ok(None),
    }
}

#[derive(Default)]
struct Accumulator {
    config: Map,
    summary: Map,
    tags: Vec<String>,
    notes: Option<String>,
    last_step: Option<f64>,
    runtime: f64,
}

fn path_of(item_key: &str, nested: &[String]) -> Vec<String> {
    if nested.is_empty() {
        vec![item_key.to_string()]
    } else {
        nested.to_vec()
    }
}

fn parse(raw: &str) -> Value {
    crate::json::parse(raw).unwrap_or_else(|_| Value::Str(raw.to_string()))
}

impl Accumulator {
    fn apply(&mut self, rt: RecordType) {
        match rt {
            RecordType::Run(r) => {
                if let Some(c) = &r.config {
                    self.config(c);
                }
                if let Some(s) = &r.summary {
                    self.summary(s);
                }
                if !r.tags.is_empty() {
                    self.tags = r.tags.clone();
                }
                if !r.notes.is_empty() {
                    self.notes = Some(r.notes.clone());
                }
                self.runtime = self.runtime.max(f64::from(r.runtime));
                if r.starting_step > 0 {
                    // rows of a resumed run start there even if none were logged
                    let before = r.starting_step.saturating_sub(1) as f64;
                    self.last_step = Some(self.last_step.map_or(before, |l| l.max(before)));
                }
            }
            RecordType::Config(c) => self.config(&c),
            RecordType::Summary(s) => self.summary(&s),
            RecordType::History(h) => {
                for item in &h.item {
                    let key = item.nested_key.first().unwrap_or(&item.key);
                    let v = number(&parse(&item.value_json));
                    match (key.as_str(), v) {
                        ("_step", Some(s)) => {
                            self.last_step = Some(self.last_step.map_or(s, |l| l.max(s)))
                        }
                        ("_runtime", Some(r)) => self.runtime = self.runtime.max(r),
                        _ => {}
                    }
                }
            }
            RecordType::Exit(e) => self.runtime = self.runtime.max(f64::from(e.runtime)),
            _ => {}
        }
    }

    fn config(&mut self, c: &proto::ConfigRecord) {
        for item in &c.update {
            let path = path_of(&item.key, &item.nested_key);
            if path.first().is_some_and(|k| k == "_wandb") {
                continue;
            }
            set_path(&mut self.config, &path, parse(&item.value_json));
        }
        for item in &c.remove {
            remove_path(&mut self.config, &path_of(&item.key, &item.nested_key));
        }
    }

    fn summary(&mut self, s: &proto::SummaryRecord) {
        for item in &s.update {
            let path = path_of(&item.key, &item.nested_key);
            set_path(&mut self.summary, &path, parse(&item.value_json));
        }
        for item in &s.remove {
            remove_path(&mut self.summary, &path_of(&item.key, &item.nested_key));
        }
    }

    fn finish(self) -> ResumeState {
        let summary_step = self.summary.get("_step").and_then(number);
        let last = match (self.last_step, summary_step) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let runtime = summary_runtime(&self.summary)
            .unwrap_or(0.0)
            .max(self.runtime);
        ResumeState {
            starting_step: next_step(last),
            runtime_secs: runtime,
            summary: self.summary,
            config: self.config,
            tags: self.tags,
            notes: self.notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_dir_matches_the_exact_id_only() {
        let tmp = tempfile::tempdir().unwrap();
        let w = tmp.path();
        for (name, id) in [
            ("offline-run-20240101_000000-ab", "ab"),
            ("offline-run-20240102_000000-ab", "ab"),
            ("offline-run-20240102_000000-ab-2", "ab"),
            ("offline-run-20240102_000000-ab-10", "ab"),
            ("offline-run-20240103_000000-x-ab", "x-ab"),
            ("run-20240104_000000-ab", "ab"),
            ("offline-run-20240105_000000-ab", "nofile"),
        ] {
            std::fs::create_dir_all(w.join(name)).unwrap();
            if id != "nofile" {
                std::fs::write(w.join(name).join(format!("run-{id}.wandb")), b"").unwrap();
            }
        }
        assert_eq!(
            latest_run_dir(w, "ab").unwrap(),
            w.join("offline-run-20240102_000000-ab-10")
        );
        assert_eq!(
            latest_run_dir(w, "x-ab").unwrap(),
            w.join("offline-run-20240103_000000-x-ab")
        );
        assert!(latest_run_dir(w, "zz").is_none());
        assert!(latest_run_dir(&w.join("missing"), "ab").is_none());
    }
}
