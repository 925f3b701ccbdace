//! Shared helpers: materialise a media value into a temp run directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use wandb_core::proto::record::RecordType;
use wandb_core::{Media, MediaContext, MediaStep, RunInfo, Value};

pub struct Materialized {
    pub value: serde_json::Value,
    pub json: String,
    pub records: Vec<RecordType>,
    pub dir: tempfile::TempDir,
}

impl Materialized {
    pub fn files_dir(&self) -> PathBuf {
        self.dir.path().join("files")
    }
    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.files_dir().join(rel)).expect("media file written")
    }
    pub fn artifact(&self) -> &wandb_core::proto::ArtifactRecord {
        self.records
            .iter()
            .find_map(|r| match r {
                RecordType::Artifact(a) => Some(a),
                _ => None,
            })
            .expect("artifact record")
    }
}

pub fn run_info(id: &str) -> RunInfo {
    RunInfo {
        run_id: id.into(),
        entity: String::new(),
        project: "fmt-media".into(),
        data_dir: None,
    }
}

/// Materialises `media` as key `key` at `step` in a fresh run directory.
pub fn materialize(media: &dyn Media, run: &RunInfo, key: &str, step: MediaStep) -> Materialized {
    let dir = tempfile::tempdir().expect("tempdir");
    materialize_in(media, run, key, step, dir)
}

pub fn materialize_in(
    media: &dyn Media,
    run: &RunInfo,
    key: &str,
    step: MediaStep,
    dir: tempfile::TempDir,
) -> Materialized {
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).expect("files dir");
    let mut records = Vec::new();
    let value = {
        let mut ctx = MediaContext::new(&files, key, step, run, &mut records);
        media.materialize(&mut ctx).expect("materialize")
    };
    let json = wandb_core::json::to_json_string(&value).expect("encode");
    Materialized {
        value: serde_json::from_str(&json).expect("valid JSON"),
        json,
        records,
        dir,
    }
}

pub fn fixture(rel: &str) -> PathBuf {
    wandb_test_support::fixtures_dir().join("media").join(rel)
}

pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// `python_sdk_value_json` of a `media_<key>.json` golden, parsed.
pub fn golden_value(key: &str) -> serde_json::Value {
    let g: serde_json::Value =
        serde_json::from_slice(&fixture_bytes(&format!("media_{key}.json"))).expect("golden");
    serde_json::from_str(g["python_sdk_value_json"].as_str().expect("sdk value")).expect("json")
}

pub fn golden_field(key: &str, field: &str) -> serde_json::Value {
    let g: serde_json::Value =
        serde_json::from_slice(&fixture_bytes(&format!("media_{key}.json"))).expect("golden");
    g[field].clone()
}

pub fn value_of(media: impl Into<Value>) -> Value {
    media.into()
}

pub fn decode_rgba(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let img = image::load_from_memory(bytes).expect("decodes");
    let rgba = img.to_rgba8();
    (rgba.width(), rgba.height(), rgba.into_raw())
}

pub fn files_records(records: &[RecordType]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match r {
            RecordType::Files(f) => {
                Some(f.files.iter().map(|i| i.path.clone()).collect::<Vec<_>>())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// Numbers as `f64`, so that `1` (Go encoding) equals `1.0` (Python encoding).
pub fn num_norm(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Number(n) => {
            serde_json::Number::from_f64(n.as_f64().unwrap_or(f64::NAN)).map_or(J::Null, J::Number)
        }
        J::Array(a) => J::Array(a.iter().map(num_norm).collect()),
        J::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), num_norm(v))).collect()),
        other => other.clone(),
    }
}
