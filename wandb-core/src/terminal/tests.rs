//! The footer panel against the official client's rendering (expected lines
//! produced by wandb 0.31 `Run._footer_history_summary_info` from the same
//! sampled history and summary).

use super::*;

fn official_case() -> (Vec<(String, Vec<f32>)>, Map) {
    let mut history = vec![
        (
            "loss".to_owned(),
            (0..48)
                .map(|i| (2.0 - f64::from(i) * 0.03) as f32)
                .collect(),
        ),
        ("acc".to_owned(), vec![0.1, 0.5, 0.4, 0.9]),
        ("_step".to_owned(), vec![0.0, 1.0, 2.0]),
        ("flat".to_owned(), vec![3.0; 5]),
    ];
    for i in 0..11u8 {
        history.push((format!("m{i:02}"), vec![f32::from(i), f32::from(i) + 1.0]));
    }
    let mut summary = Map::new();
    let mut nested = Map::new();
    nested.insert("a".into(), Value::Int(1));
    for (k, v) in [
        ("loss", Value::Float(0.123456789)),
        ("name", Value::Str("a very long string value here".into())),
        ("short", Value::Str("abc".into())),
        ("steps", Value::UInt(1000)),
        ("ok", Value::Bool(true)),
        ("_runtime", Value::Float(3.2)),
        ("nested", Value::Map(nested)),
        ("tiny", Value::Float(0.000015)),
        ("big", Value::Float(1e16)),
    ] {
        summary.insert(k.into(), v);
    }
    (history, summary)
}

#[test]
fn history_and_summary_panel_matches_the_official_footer() {
    let (history, summary) = official_case();
    let want = [
        "",
        "Run history:",
        " acc ▁▅▄█",
        "flat ▁▁▁▁▁",
        "loss ████▇▇▇▇▇▇▆▆▆▆▆▅▅▅▅▅▄▄▄▄▄▄▃▃▃▃▃▂▂▂▂▂▂▁▁▁",
        " m00 ▁█",
        " m01 ▁█",
        " m02 ▁█",
        " m03 ▁█",
        " m04 ▁█",
        " m05 ▁█",
        " m06 ▁█",
        "  +4 ...",
        "",
        "Run summary:",
        "  big 1e+16",
        " loss 0.12346",
        " name a very long string v...",
        "   ok True",
        "short abc",
        "steps 1000",
        " tiny 2e-05",
        "",
    ];
    assert_eq!(history_summary_lines(&history, &summary), want);
}

#[test]
fn empty_run_has_no_panel() {
    assert!(history_summary_lines(&[], &Map::new()).is_empty());
}

#[test]
fn offline_footer_and_header_say_where_the_run_is_and_how_to_sync() {
    let p = Printer { styled: false };
    let dir = Path::new("/tmp/x/wandb/offline-run-1-abc");
    let (history, summary) = official_case();
    let f = footer_lines(
        &p,
        &FooterInfo {
            offline: true,
            dir,
            name: "abc",
            run_url: None,
            project_url: None,
            history: &history,
            summary: &summary,
            files_written: 3,
            uploaded: None,
        },
    );
    let tail = &f[f.len() - 4..];
    assert_eq!(
        tail[0],
        "3 file(s) written to /tmp/x/wandb/offline-run-1-abc/files"
    );
    assert_eq!(tail[1], "You can sync this run to the cloud by running:");
    assert_eq!(tail[2], "wandb-rs sync /tmp/x/wandb/offline-run-1-abc");
    assert_eq!(tail[3], "Find logs at: /tmp/x/wandb/offline-run-1-abc/logs");
    let h = header_lines(
        &p,
        &HeaderInfo {
            offline: true,
            dir,
            run_id: "abc",
            name: None,
            project: "proj",
            run_url: None,
            project_url: None,
            resumed: false,
        },
    );
    assert_eq!(
        h[0],
        format!("Tracking run with wandb-rs version {}", crate::VERSION)
    );
    assert!(h
        .iter()
        .any(|l| l == "Run data is saved locally in /tmp/x/wandb/offline-run-1-abc"));
    assert!(
        h.iter().any(|l| l.contains("abc")
            && l.contains("proj")
            && l.ends_with("wandb-rs sync /tmp/x/wandb/offline-run-1-abc")),
        "{h:?}"
    );
}

#[test]
fn online_header_has_the_urls() {
    let p = Printer { styled: false };
    let h = header_lines(
        &p,
        &HeaderInfo {
            offline: false,
            dir: Path::new("/d"),
            run_id: "abc",
            name: Some("brave-run"),
            project: "proj",
            run_url: Some("https://wandb.ai/me/proj/runs/abc"),
            project_url: Some("https://wandb.ai/me/proj"),
            resumed: false,
        },
    );
    assert_eq!(h[2], "Syncing run brave-run (id abc)");
    assert_eq!(h[3], "⭐️ View project at https://wandb.ai/me/proj");
    assert_eq!(h[4], "🚀 View run at https://wandb.ai/me/proj/runs/abc");
}

#[test]
fn thousands_separators() {
    assert_eq!(thousands(4), "4");
    assert_eq!(thousands(1234), "1,234");
    assert_eq!(thousands(1234567), "1,234,567");
}
