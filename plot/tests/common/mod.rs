//! Shared by the plot tests: the charts of the official media run
//! (`generators/make_media_run.py`) rebuilt with wandb-plot, and its goldens.

#![allow(dead_code)]

use wandb_data_types::{cells, Table};
use wandb_plot::{Chart, CurveOptions, Xs};

/// A golden `media_<key>_table.json` of the media run.
pub fn golden(table_key: &str) -> serde_json::Value {
    let path = wandb_test_support::fixtures_dir()
        .join("plot")
        .join(format!("media_{table_key}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The charts of make_media_run.py in logging order: (key, step, chart).
pub fn media_run_charts() -> Vec<(&'static str, u64, Chart)> {
    let line_t = Table::from_rows(["x", "y"], (0..5).map(|x: i64| cells![x, x * x])).unwrap();
    let bar_t = Table::from_rows(["label", "value"], [cells!["a", 1], cells!["b", 3]]).unwrap();
    let hist_t = Table::from_rows(["v"], [1, 2, 2, 3].into_iter().map(|v| cells![v])).unwrap();
    let y_true = [0, 1, 1, 0];
    let probas = [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]];
    let opts = CurveOptions::new().labels(["neg", "pos"]);
    vec![
        (
            "line_plot",
            9,
            wandb_plot::line(&line_t, "x", "y").unwrap().title("Line"),
        ),
        (
            "scatter_plot",
            10,
            wandb_plot::scatter(&line_t, "x", "y")
                .unwrap()
                .title("Scatter"),
        ),
        (
            "bar_plot",
            11,
            wandb_plot::bar(&bar_t, "label", "value")
                .unwrap()
                .title("Bar"),
        ),
        (
            "hist_plot",
            12,
            wandb_plot::histogram(&hist_t, "v").unwrap().title("Hist"),
        ),
        (
            "cm",
            13,
            wandb_plot::confusion_matrix(&y_true, &[0, 1, 0, 0], Some(&["neg", "pos"])).unwrap(),
        ),
        (
            "roc",
            14,
            wandb_plot::roc_curve(&y_true, &probas, &opts).unwrap(),
        ),
        (
            "pr",
            15,
            wandb_plot::pr_curve(&y_true, &probas, &opts).unwrap(),
        ),
        (
            "line_series",
            16,
            wandb_plot::line_series(
                Xs::shared([0, 1, 2]),
                vec![vec![1, 2, 3], vec![3, 2, 1]],
                Some(vec!["s1".into(), "s2".into()]),
            )
            .unwrap()
            .title("LS")
            .xname("step"),
        ),
    ]
}
