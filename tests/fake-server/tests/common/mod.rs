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
    let p = fixtures()
        .join("captures")
        .join(capture)
        .join("expected.json");
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

use wandb_core::proto::{self, record::RecordType};
use wandb_core::store::LogWriter;

/// Writes a `.wandb` file the way the writer thread does (appends and
/// flushes), for driving `LiveSync` directly.
pub struct LogSim {
    pub path: PathBuf,
    w: LogWriter<std::io::BufWriter<std::fs::File>>,
    num: i64,
}

impl LogSim {
    pub fn create(run_dir: &Path, run_id: &str) -> Self {
        std::fs::create_dir_all(run_dir.join("files")).unwrap();
        let path = run_dir.join(format!("run-{run_id}.wandb"));
        let f = std::fs::File::create(&path).unwrap();
        let w = LogWriter::new(std::io::BufWriter::new(f)).unwrap();
        LogSim { path, w, num: 0 }
    }

    pub fn record(&mut self, rt: RecordType) {
        use prost::Message as _;
        self.num += 1;
        let rec = proto::Record {
            num: self.num,
            record_type: Some(rt),
            ..Default::default()
        };
        self.w.append(&rec.encode_to_vec()).unwrap();
    }

    pub fn flush(&mut self) {
        self.w.flush().unwrap();
    }

    pub fn run(&mut self, entity: &str, project: &str, run_id: &str) {
        self.record(RecordType::Run(proto::RunRecord {
            run_id: run_id.into(),
            entity: entity.into(),
            project: project.into(),
            start_time: Some(prost_types::Timestamp {
                seconds: 1_795_305_000,
                nanos: 0,
            }),
            ..Default::default()
        }));
    }

    pub fn row(&mut self, step: i64, loss: f64) {
        let item = |k: &str, v: String| proto::HistoryItem {
            nested_key: vec![k.into()],
            value_json: v,
            ..Default::default()
        };
        self.record(RecordType::History(proto::HistoryRecord {
            item: vec![
                item("_step", step.to_string()),
                item(
                    "loss",
                    wandb_core::json::to_json_string(&Value::Float(loss)).unwrap(),
                ),
                item("_runtime", "0.5".into()),
            ],
            step: Some(proto::HistoryStep { num: step }),
            ..Default::default()
        }));
        self.record(RecordType::Summary(proto::SummaryRecord {
            update: vec![proto::SummaryItem {
                nested_key: vec!["loss".into()],
                value_json: wandb_core::json::to_json_string(&Value::Float(loss)).unwrap(),
                ..Default::default()
            }],
            ..Default::default()
        }));
    }

    pub fn print(&mut self, text: &str, stderr: bool) {
        self.record(RecordType::OutputRaw(proto::OutputRawRecord {
            output_type: if stderr { 0 } else { 1 },
            line: text.into(),
            timestamp: Some(prost_types::Timestamp {
                seconds: 1_795_305_001,
                nanos: 5000,
            }),
            ..Default::default()
        }));
    }

    pub fn stats(&mut self, cpu: f64) {
        self.record(RecordType::Stats(proto::StatsRecord {
            item: vec![proto::StatsItem {
                key: "cpu".into(),
                value_json: format!("{cpu:?}"),
            }],
            timestamp: Some(prost_types::Timestamp {
                seconds: 1_795_305_002,
                nanos: 0,
            }),
            ..Default::default()
        }));
    }

    pub fn exit(&mut self, code: i32) {
        self.record(RecordType::Exit(proto::RunExitRecord {
            exit_code: code,
            runtime: 3,
            ..Default::default()
        }));
        self.flush();
    }
}

/// The `_step` values of history rows, in offset order.
pub fn steps(run: &wandb_fake_server::RunData) -> Vec<i64> {
    run.stream("wandb-history.jsonl")
        .lines
        .iter()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l.as_deref().expect("no hole")).unwrap();
            v["_step"].as_i64().unwrap()
        })
        .collect()
}
