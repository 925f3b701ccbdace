//! Every chart of the official media run, rebuilt from the same inputs, has
//! the same table file and the same `_wandb.visualize` config value.

mod common;

use wandb_plot::ChartSpec;

#[test]
fn tables_and_configs_equal_the_goldens() {
    for (key, step, chart) in common::media_run_charts() {
        let table_key = chart.table_key(key);
        assert_eq!(table_key, format!("{key}_table"));
        let g = common::golden(&table_key);
        assert_eq!(g["_step"], step, "{key}");

        // The table file, byte for byte.
        assert_eq!(
            chart.table().run_file_json(),
            g["table_json_file_text"].as_str().unwrap(),
            "{key}: table file"
        );
        // Its rows, field by field (numbers keep their int/float kind).
        let ours: serde_json::Value = serde_json::from_str(&chart.table().run_file_json()).unwrap();
        let theirs: serde_json::Value =
            serde_json::from_str(g["table_json_file_text"].as_str().unwrap()).unwrap();
        assert_eq!(ours, theirs, "{key}: table rows");
        assert_eq!(g["history_value"]["ncols"], chart.table().ncols(), "{key}");
        assert_eq!(g["history_value"]["nrows"], chart.table().nrows(), "{key}");

        // The config entry: nested key and exact value_json of the SDK.
        let item = &g["config_record_item"];
        assert_eq!(
            item["nested_key"],
            serde_json::json!(ChartSpec::config_key(key)),
            "{key}"
        );
        let ours = wandb_core::json::to_json_string(&chart.spec().config_value(key)).unwrap();
        assert_eq!(
            ours,
            g["python_sdk_config_value_json"].as_str().unwrap(),
            "{key}: config value_json"
        );
        let parsed: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(parsed, g["config__wandb_visualize_entry"][key], "{key}");
    }
}
