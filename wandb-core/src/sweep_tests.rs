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
    assert_eq!(
        split_key("a: 1 # note").map(|(k, r)| (k, r.to_owned())),
        Some(("a".into(), "1".into()))
    );
}

#[test]
fn errors_name_the_parameter_and_what_to_do() {
    let block = "wandb_version: 1\n\nlayers:\n  value:\n  - 64\n  - 128\n";
    let e = parse_params(block).unwrap_err();
    assert!(
        e.starts_with("line 4: parameter `layers`: a `value` written as a block list"),
        "{e}"
    );
    assert!(e.contains("as JSON"), "{e}");
    assert_eq!(
        parse_params("wandb_version: 2\n").unwrap_err(),
        "unknown wandb_version Int(2) (only 1 is known)"
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
        "line 1: an indented line outside a parameter"
    );
    assert_eq!(parse_params("[1]").unwrap_err(), "line 1: expected `key:`");
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
