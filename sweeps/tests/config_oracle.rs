//! The sweep config against the official `sweeps` package: every example
//! config (the package's repository examples, the spec's captured sweep and
//! hand-made cases for every distribution and every rule) is accepted or
//! rejected as the official `SweepConfig(...)` does, with the same defaults.

mod common;

use serde_json::Value;
use wandb_sweeps::{ConfigError, Parameter, SweepConfig};

fn without_nested(mut v: Value, cfg: &SweepConfig) -> Value {
    // The official filler drops nested (`parameters:`) entries from its
    // filled copy; compare the rest.
    if let Some(ps) = v.get_mut("parameters").and_then(Value::as_object_mut) {
        for (k, p) in &cfg.parameters {
            if matches!(p, Parameter::Nested { .. }) {
                ps.remove(k);
            }
        }
    }
    v
}

#[test]
fn configs_match_the_official_validation_and_defaults() {
    let v = common::vectors();
    let cases = v["configs"].as_array().unwrap();
    assert!(cases.len() >= 40, "expected the full case list");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let parsed = match case.get("file").and_then(Value::as_str) {
            Some(file) => {
                let path = format!(
                    "{}/tests/fixtures/configs/{file}",
                    env!("CARGO_MANIFEST_DIR")
                );
                let text = std::fs::read_to_string(path).unwrap();
                // Our YAML reading agrees with PyYAML's on the example.
                let ours: Value = serde_yaml_ng::from_str(&text).unwrap();
                common::assert_close(&ours, &case["parsed"], 0.0, name);
                SweepConfig::from_yaml(&text)
            }
            None => SweepConfig::from_value(case["config"].clone()),
        };
        let deprecated = case
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if case["ok"].as_bool().unwrap() {
            let cfg = parsed.unwrap_or_else(|e| panic!("{name}: official accepts, we reject: {e}"));
            assert!(cfg.warnings.is_empty(), "{name}: {:?}", cfg.warnings);
            let ours = without_nested(cfg.to_value(), &cfg);
            // `SweepConfig(...)` leaves the metric as given; bayes and
            // hyperband fill it (`fill_validate_metric`) before use, as we do.
            let mut theirs = case["filled"].clone();
            if let Some(m) = theirs.get_mut("metric").and_then(Value::as_object_mut) {
                for (k, d) in [
                    ("goal", "minimize"),
                    ("impute", "worst"),
                    ("impute_while_running", "false"),
                ] {
                    m.entry(k).or_insert(Value::from(d));
                }
            }
            common::assert_close(&ours, &theirs, 0.0, name);
        } else if deprecated {
            // The official package refuses the v1 log forms; we accept them
            // with the official message as a warning.
            let cfg = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                cfg.warnings,
                vec![case["error"].as_str().unwrap().to_string()],
                "{name}"
            );
        } else {
            let err = parsed.expect_err(name);
            let key = case["key"].as_str().unwrap();
            assert_eq!(err.key(), key, "{name}: {err}");
            assert!(
                err.to_string().contains(&format!("`{key}`")),
                "{name}: {err}"
            );
        }
    }
}

#[test]
fn serde_deserialize_validates_too() {
    let ok: SweepConfig =
        serde_json::from_str(r#"{"method":"random","parameters":{"lr":{"min":0.0,"max":1.0}}}"#)
            .unwrap();
    assert_eq!(ok.method, wandb_sweeps::Method::Random);
    let err = serde_json::from_str::<SweepConfig>(
        r#"{"method":"random","parameters":{"lr":{"min":2.0,"max":1.0}}}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("parameters.lr.min"), "{err}");
}

#[test]
fn yaml_errors_are_parse_errors() {
    let err = SweepConfig::from_yaml("method: [grid\n").unwrap_err();
    assert!(matches!(err, ConfigError::Parse(_)), "{err}");
    let err = SweepConfig::from_yaml("- 1\n- 2\n").unwrap_err();
    assert_eq!(err.key(), "");
}
