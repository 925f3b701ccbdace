//! Converting the golden event files gives the history the official client
//! wrote for them (`tensorboard_records.jsonl`), row by row.

mod common;

use std::collections::BTreeMap;

use common::fixtures;
use wandb_core::{json::to_json_string, MediaContext, MediaStep, RunInfo, Value};
use wandb_tensorboard::group::{StepGrouper, TbRow};
use wandb_tensorboard::read_events;

/// Materialises media values like the run's writer thread does.
fn materialize(
    v: Value,
    key: &str,
    files: &std::path::Path,
    records: &mut Vec<wandb_core::proto::record::RecordType>,
) -> Value {
    match v {
        Value::Media(m) => {
            let info = RunInfo::default();
            let mut ctx = MediaContext::new(files, key, MediaStep::Step(0), &info, records);
            m.materialize(&mut ctx).unwrap()
        }
        other => other,
    }
}

fn rows_of(dir: &str, namespace: &str) -> Vec<TbRow> {
    let d = fixtures().join("tblogs").join(dir);
    let file = std::fs::read_dir(&d)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut g = StepGrouper::new(namespace);
    let mut rows = Vec::new();
    for ev in read_events(file).unwrap() {
        rows.extend(g.push(&ev));
    }
    rows.extend(g.finish());
    rows
}

#[test]
fn golden_history_rows_match_official_records() {
    let text = std::fs::read_to_string(fixtures().join("tensorboard_records.jsonl")).unwrap();
    let official: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["type"] == "history")
        .collect();
    assert_eq!(official.len(), 6);
    let ours: Vec<TbRow> = rows_of("train", "train")
        .into_iter()
        .chain(rows_of("val", "val"))
        .collect();
    assert_eq!(ours.len(), official.len());

    let scratch = tempfile::tempdir().unwrap();
    let mut records = Vec::new();
    let media = fixtures().join("official_media");
    for (row, rec) in ours.into_iter().zip(&official) {
        // Scalar items: the exact value_json strings.
        let items: BTreeMap<Vec<String>, String> = rec["history"]["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let key = i["nested_key"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap().to_owned())
                    .collect();
                (key, i["value_json"].as_str().unwrap().to_owned())
            })
            .collect();
        let official_row = rec["row"].as_object().unwrap();
        let mut keys = Vec::new();
        for (key, value) in row.into_row().into_map() {
            let v = materialize(value, &key, scratch.path(), &mut records);
            let json = to_json_string(&v).unwrap();
            keys.push(key.clone());
            let theirs = &official_row[&key];
            if let Some(exact) = items.get(&vec![key.clone()]) {
                assert_eq!(&json, exact, "{key}");
                continue;
            }
            let ours: serde_json::Value = serde_json::from_str(&json).unwrap();
            match theirs["_type"].as_str().unwrap() {
                "histogram" => assert_eq!(&ours, theirs, "{key}"),
                "images/separated" => {
                    for k in ["count", "format", "width", "height"] {
                        assert_eq!(ours[k], theirs[k], "{key}.{k}");
                    }
                    let ours_f = ours["filenames"][0].as_str().unwrap();
                    let theirs_f = theirs["filenames"][0].as_str().unwrap();
                    assert!(
                        ours_f.starts_with("media/images/") && ours_f.len() == theirs_f.len(),
                        "{ours_f}"
                    );
                    let a = std::fs::read(scratch.path().join(ours_f)).unwrap();
                    let b =
                        std::fs::read(media.join(theirs_f.trim_start_matches("media/"))).unwrap();
                    assert_eq!(a, b, "{key} image bytes");
                }
                "table-file" => {
                    for k in ["ncols", "nrows", "size"] {
                        assert_eq!(ours[k], theirs[k], "{key}.{k}");
                    }
                    let ours_p = ours["path"].as_str().unwrap();
                    assert_eq!(ours_p.len(), theirs["path"].as_str().unwrap().len());
                    let a = std::fs::read(scratch.path().join(ours_p)).unwrap();
                    let b = std::fs::read(
                        media.join(
                            theirs["path"]
                                .as_str()
                                .unwrap()
                                .trim_start_matches("media/"),
                        ),
                    )
                    .unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(&a),
                        String::from_utf8_lossy(&b),
                        "{key} table"
                    );
                    // The official client writes the raw digest here (a bug); we write hex.
                    assert_eq!(
                        ours["sha256"].as_str().unwrap(),
                        wandb_core::media::hex_sha256(&a)
                    );
                }
                t => panic!("unexpected type {t}"),
            }
        }
        let mut expected: Vec<&String> = official_row
            .keys()
            .filter(|k| !["_step", "_runtime"].contains(&k.as_str()))
            .collect();
        expected.sort();
        keys.sort();
        assert_eq!(keys.iter().collect::<Vec<_>>(), expected);
    }
    // The PR curve's chart config.
    let config: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            wandb_core::proto::record::RecordType::Config(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(config.len(), 1);
    let item = &config[0].update[0];
    assert_eq!(item.nested_key, ["_wandb", "visualize", "train/pr"]);
    let chart: serde_json::Value = serde_json::from_str(&item.value_json).unwrap();
    assert_eq!(chart["panel_type"], "Vega2");
    assert_eq!(
        chart["panel_config"]["stringSettings"]["title"],
        "train/pr Precision v. Recall"
    );
    assert_eq!(
        chart["panel_config"]["fieldSettings"],
        serde_json::json!({"x": "recall", "y": "precision"})
    );
    assert_eq!(
        chart["panel_config"]["userQuery"]["queryFields"][0]["fields"][3]["args"][0]["value"],
        "train/pr"
    );
}
