//! Reading back what a run wrote, for the tests.
#![allow(dead_code)]

use std::path::Path;

use serde_json::{Map, Value as J};
use wandb_core::proto::record::RecordType;

/// A hermetic offline run under `dir`.
pub fn offline_run(dir: &Path, project: &str) -> wandb_core::Run {
    wandb_core::init(
        wandb_core::InitOptions::new()
            .project(project)
            .dir(dir)
            .mode(wandb_core::Mode::Offline)
            // no WANDB_* variable or settings file of the machine
            .environment([("HOME", dir.join("home").display().to_string())]),
    )
    .expect("init")
}

/// Every record of the run's `.wandb` file, decoded with wandb-core's reader.
pub fn records(run_file: &Path) -> Vec<wandb_core::proto::Record> {
    let out = wandb_core::store::read_file(run_file).expect("read .wandb");
    assert!(
        out.problems.is_empty(),
        "problems reading the file: {:?}",
        out.problems
    );
    out.records
}

/// History rows as flat JSON objects (nested keys joined with `.`, as the
/// official reader shows them).
pub fn history_rows(run_file: &Path) -> Vec<Map<String, J>> {
    records(run_file)
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::History(h)) => Some(
                h.item
                    .into_iter()
                    .map(|i| {
                        let key = if i.nested_key.is_empty() {
                            i.key
                        } else {
                            i.nested_key.join(".")
                        };
                        let v = serde_json::from_str(&i.value_json).unwrap_or(J::Null);
                        (key, v)
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// Metric definition records: (name or glob, step metric, goal, summary).
pub fn metric_records(run_file: &Path) -> Vec<wandb_core::proto::MetricRecord> {
    records(run_file)
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::Metric(m)) => Some(m),
            _ => None,
        })
        .collect()
}

/// Paths of `files` records.
pub fn file_records(run_file: &Path) -> Vec<String> {
    records(run_file)
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::Files(f)) => Some(f.files.into_iter().map(|i| i.path)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The `artifact` records, in order.
pub fn artifact_records(run_file: &Path) -> Vec<wandb_core::proto::ArtifactRecord> {
    records(run_file)
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::Artifact(a)) => Some(a),
            _ => None,
        })
        .collect()
}
