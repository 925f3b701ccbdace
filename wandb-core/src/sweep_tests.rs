use super::*;

fn v(s: &str) -> Value {
    scalar(s).unwrap()
}

#[test]
fn reads_the_official_agents_file() {
    // As `config_util.save_config_file_from_dict` writes it (PyYAML block style).
    let text = "wandb_version: 1\n\nbatch_size:\n  value: 16\nlr:\n  value: 1.0e-05\nopt:\n  value: adam\n\
                flag:\n  value: true\nnum_str:\n  value: '0.1'\nnothing:\n  value: null\n";
    let m = parse_params(text).unwrap();
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["batch_size", "lr", "opt", "flag", "num_str", "nothing"]
    );
    assert_eq!(m["batch_size"], Value::Int(16));
    assert_eq!(m["lr"], Value::Float(1e-5));
    assert_eq!(m["opt"], Value::Str("adam".into()));
    assert_eq!(m["flag"], Value::Bool(true));
    assert_eq!(m["num_str"], Value::Str("0.1".into()));
    assert_eq!(m["nothing"], Value::Null);
}

#[test]
fn reads_what_wandb_rs_sweep_writes_and_json() {
    let text = "wandb_version: 1\n\n\"odd key\":\n  value: \"a \\\"b\\\"\"\nopt:\n  value: {\"beta\": 0.9, \"name\": \"adam\"}\n\
                layers:\n  value: [64, 128]\nbad:\n  value: .nan\n";
    let m = parse_params(text).unwrap();
    assert_eq!(m["odd key"], Value::Str("a \"b\"".into()));
    let Value::Map(opt) = &m["opt"] else {
        panic!("{m:?}")
    };
    assert_eq!(opt["beta"], Value::Float(0.9));
    assert_eq!(
        m["layers"],
        Value::List(vec![Value::Int(64), Value::Int(128)])
    );
    assert!(matches!(m["bad"], Value::Float(x) if x.is_nan()));

    let json = r#"{"wandb_version": 1, "lr": {"value": 0.1}, "n": {"value": 3}}"#;
    let m = parse_params(json).unwrap();
    assert_eq!(m["lr"], Value::Float(0.1));
    assert_eq!(m["n"], Value::Int(3));
    assert_eq!(m.len(), 2);
}

#[test]
fn yaml_scalars_as_pyyaml() {
    assert_eq!(v("~"), Value::Null);
    assert_eq!(v("yes"), Value::Bool(true));
    assert_eq!(v("Off"), Value::Bool(false));
    assert_eq!(v("-.inf"), Value::Float(f64::NEG_INFINITY));
    assert_eq!(v("1_000"), Value::Int(1000));
    assert_eq!(v("'it''s'"), Value::Str("it's".into()));
    assert_eq!(v("inf"), Value::Str("inf".into()));
    assert_eq!(v("1.2.3"), Value::Str("1.2.3".into()));
    assert_eq!(v("1e-5"), Value::Str("1e-5".into()));
    assert_eq!(v("1.0e-05"), Value::Float(1e-5));
    assert_eq!(
        split_key("a: 1 # note").map(|(k, r)| (k, r.to_owned())),
        Some(("a".into(), "1".into()))
    );
}

/// What the official agent writes for list, nested and long parameters
/// (PyYAML `SafeDumper`, `default_flow_style=False`, printed by the oracle venv).
const PYYAML_BLOCK: &str = "wandb_version: 1

layers:
  value:
  - 64
  - 128
opt:
  value:
    beta: 0.9
    name: adam
    sched:
      gamma: 0.1
      steps:
      - 1
      - 2
lol:
  value:
  - - 1
    - 2
  - - 3
lod:
  value:
  - a: 1
    b: x
  - a: 2
e:
  value: []
em:
  value: {}
long:
  value: 'word word word word word word word word word word word word word word word
    word word word '
s:
  value: 'yes'
n:
  value: null
big:
  value: 1.0e+20
q:
  value: 'a: b'
ml:
  value: 'line1

    line2'
";

#[test]
fn reads_pyyaml_block_lists_and_mappings() {
    let m = parse_params(PYYAML_BLOCK).unwrap();
    let json = |k: &str| m[k].to_serde_json();
    assert_eq!(json("layers"), serde_json::json!([64, 128]));
    assert_eq!(
        json("opt"),
        serde_json::json!({"beta": 0.9, "name": "adam", "sched": {"gamma": 0.1, "steps": [1, 2]}})
    );
    assert_eq!(json("lol"), serde_json::json!([[1, 2], [3]]));
    assert_eq!(
        json("lod"),
        serde_json::json!([{"a": 1, "b": "x"}, {"a": 2}])
    );
    assert_eq!(json("e"), serde_json::json!([]));
    assert_eq!(json("em"), serde_json::json!({}));
    assert_eq!(json("long"), serde_json::json!("word ".repeat(18)));
    assert_eq!(json("s"), serde_json::json!("yes"));
    assert_eq!(json("n"), serde_json::Value::Null);
    assert_eq!(m["big"], Value::Float(1e20));
    assert_eq!(json("q"), serde_json::json!("a: b"));
    assert_eq!(json("ml"), serde_json::json!("line1\nline2"));
    assert_eq!(m.len(), 12);
}

#[test]
fn errors_name_the_parameter_and_what_to_do() {
    assert_eq!(
        parse_params("lr:\n  value: 1\n    x: 2\n").unwrap_err(),
        "line 3: unexpected indentation"
    );
    for bad in ["|\n    text", "&a 1", "!!float 1", "*a"] {
        let e = parse_params(&format!("lr:\n  value: {bad}\n")).unwrap_err();
        assert!(e.starts_with("line 2: "), "{e}");
        assert!(e.ends_with("are not read by wandb-core; write the parameter file as JSON"));
    }
    assert_eq!(
        parse_params("lr:\n  value: 'open\n").unwrap_err(),
        "line 2: unterminated quoted string 'open"
    );
    assert_eq!(
        parse_params("wandb_version: 2\n").unwrap_err(),
        "unknown wandb_version 2 (only 1 is known)"
    );
    assert_eq!(
        parse_params("lr: 0.1\n").unwrap_err(),
        "parameter `lr` must be a mapping with a `value` key (`lr: {value: ...}`)"
    );
    assert_eq!(
        parse_params("lr:\n  desc: x\n").unwrap_err(),
        "parameter `lr` has no `value`"
    );
    assert_eq!(
        parse_params("  value: 1\n").unwrap_err(),
        "line 1: an indented first line"
    );
    assert_eq!(parse_params("[1]").unwrap_err(), "line 1: expected `key:`");
    assert_eq!(
        parse_params("a:\n  value: 1\n- x\n").unwrap_err(),
        "line 3: expected `key:`"
    );
    assert!(parse_params("{\"a\": ")
        .unwrap_err()
        .starts_with("invalid JSON"));
    let err = read_params(Path::new("/nonexistent/wandb-sweep.yaml")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/wandb-sweep.yaml"),
        "{err}"
    );
}

#[test]
fn merge_locked_overrides_and_merges_mappings() {
    let mut config = Map::new();
    config.insert("lr".into(), Value::Int(999));
    config.insert("epochs".into(), Value::Int(3));
    let mut user_opt = Map::new();
    user_opt.insert("name".into(), Value::Str("sgd".into()));
    user_opt.insert("momentum".into(), Value::Float(0.5));
    config.insert("opt".into(), Value::Map(user_opt));

    let mut params = Map::new();
    params.insert("lr".into(), Value::Float(0.1));
    let mut sweep_opt = Map::new();
    sweep_opt.insert("name".into(), Value::Str("adam".into()));
    params.insert("opt".into(), Value::Map(sweep_opt));
    params.insert("batch".into(), Value::Int(16));

    let locked = merge_locked(&mut config, params);
    assert_eq!(locked, ["lr", "opt", "batch"]);
    assert_eq!(config["lr"], Value::Float(0.1));
    assert_eq!(config["epochs"], Value::Int(3));
    assert_eq!(config["batch"], Value::Int(16));
    let Value::Map(opt) = &config["opt"] else {
        panic!()
    };
    assert_eq!(opt["name"], Value::Str("adam".into()));
    assert_eq!(opt["momentum"], Value::Float(0.5));
}

/// 200 random parameter files written by the official agent's writer and
/// read back by the official reader (tests/fixtures/gen_sweep_params.py):
/// every one reads the same here.
#[test]
fn reads_every_official_golden_file_like_the_official_reader() {
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../tests/fixtures/sweep_params.json")).unwrap();
    assert_eq!(cases.len(), 200);
    for case in &cases {
        let text = case["text"].as_str().unwrap();
        let got = parse_params(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let got = Value::Map(got).to_serde_json();
        assert_eq!(got, case["expected"], "{text}");
    }
}
