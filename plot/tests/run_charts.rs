//! End to end: every chart of the official media run logged to an offline
//! run; the official reader (`wandb leet inspect`) must find the same history
//! values and `_wandb.visualize` config entries as in the golden run.

mod common;

use std::path::Path;

use serde_json::Value as J;
use wandb_core::{init, row, InitOptions, LogOptions, Mode};
use wandb_plot::ChartRowExt;
use wandb_test_support::{leet_inspect, leet_summary};

fn opts(dir: &Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Offline)
        .system_metrics(false)
        .environment([("HOME", dir.join("home").display().to_string())])
}

/// `wandb-client-artifact://<128 random chars>[:latest]/<entry>`.
fn check_artifact_path(v: &J, latest: bool, entry: &str) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    let rest = s.strip_prefix("wandb-client-artifact://").unwrap();
    let (id, tail) = rest.split_at(128);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{s}");
    let want = if latest {
        format!(":latest/{entry}")
    } else {
        format!("/{entry}")
    };
    assert_eq!(tail, want, "{s}");
}

#[test]
fn charts_in_an_offline_run_match_the_official_records() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).project("fmt-media").id("mediarun1")).unwrap();
    let charts = common::media_run_charts();
    for (key, step, chart) in charts.iter().cloned() {
        if key == "cm" {
            // Charts can share a row with other values.
            run.log_with(row! {}.with_chart(key, chart), LogOptions::new().step(step))
                .unwrap();
        } else {
            run.log_with(chart.into_row(key), LogOptions::new().step(step))
                .unwrap();
        }
    }
    let wandb_file = run.wandb_file().to_path_buf();
    let files_dir = run.files_dir().to_path_buf();
    run.finish().unwrap();

    let records = leet_inspect(&wandb_file);
    let histories: Vec<&J> = records.iter().filter(|r| r["type"] == "history").collect();
    assert_eq!(histories.len(), charts.len());

    let mut visualize = serde_json::Map::new();
    for r in records.iter().filter(|r| r["type"] == "config") {
        let text = r.to_string();
        if let Some(v) = find_visualize(r) {
            for (k, v) in v {
                visualize.insert(k.clone(), v.clone());
            }
        } else {
            assert!(
                !text.contains("visualize"),
                "unexpected config layout: {text}"
            );
        }
    }

    for ((key, step, _), h) in charts.iter().zip(&histories) {
        let table_key = format!("{key}_table");
        let g = common::golden(&table_key);
        let item = history_item(h, &table_key)
            .unwrap_or_else(|| panic!("{table_key} not in history record {h}"));
        assert!(
            history_item(h, key).is_none(),
            "the chart key itself must not be in history: {h}"
        );
        assert_eq!(history_item(h, "_step"), Some(J::from(*step)));
        let want = &g["history_value"];
        for field in [
            "_type", "sha256", "size", "path", "ncols", "nrows", "log_mode",
        ] {
            assert_eq!(item[field], want[field], "{key}: {field}");
        }
        // scatter_plot reuses line_plot's table, file and artifact.
        let entry = want["path"]
            .as_str()
            .unwrap()
            .trim_start_matches("media/table/")
            .split('_')
            .collect::<Vec<_>>();
        let owner = entry[..entry.len() - 2].join("_");
        check_artifact_path(
            &item["artifact_path"],
            false,
            &format!("{owner}.table.json"),
        );
        check_artifact_path(
            &item["_latest_artifact_path"],
            true,
            &format!("{owner}.table.json"),
        );
        // The table file is on disk with the golden content.
        let on_disk =
            std::fs::read_to_string(files_dir.join(want["path"].as_str().unwrap())).unwrap();
        assert_eq!(
            on_disk,
            g["table_json_file_text"].as_str().unwrap(),
            "{key}"
        );

        assert_eq!(
            visualize.get(*key),
            Some(&g["config__wandb_visualize_entry"][*key]),
            "{key}: _wandb.visualize entry"
        );
    }
    assert_eq!(visualize.len(), charts.len());

    // One run_table artifact per distinct table (scatter reuses line's).
    let artifacts: Vec<&J> = records.iter().filter(|r| r["type"] == "artifact").collect();
    assert_eq!(artifacts.len(), charts.len() - 1);

    let summary = leet_summary(&wandb_file);
    assert_eq!(summary["state"], "finished");
    assert_eq!(summary["summary"]["pr_table"]["_type"], "table-file");
    assert_eq!(
        summary["summary"]["cm_table"]["path"],
        common::golden("cm_table")["history_value"]["path"]
    );
}

/// The value of a history item: the official reader prints the items as one
/// object keyed by the nested keys joined with dots.
fn history_item(h: &J, key: &str) -> Option<J> {
    let items = h["history"]["item"].as_object()?;
    if let Some(v) = items.get(key) {
        return Some(v.clone());
    }
    let prefix = format!("{key}.");
    let nested: serde_json::Map<String, J> = items
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|f| (f.to_owned(), v.clone())))
        .collect();
    (!nested.is_empty()).then_some(J::Object(nested))
}

/// `_wandb.visualize` of a config record.
fn find_visualize(r: &J) -> Option<serde_json::Map<String, J>> {
    let update = &r["config"]["update"];
    // The official reader joins nested keys with dots.
    let out: serde_json::Map<String, J> = update
        .as_object()?
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("_wandb.visualize.")
                .map(|name| (name.to_owned(), v.clone()))
        })
        .collect();
    (!out.is_empty()).then_some(out)
}
