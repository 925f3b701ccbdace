//! The errors a user meets most: each is one message that says what was
//! wrong and what to do (issue 15, item 4). The online ones (no key, key
//! rejected) are in tests/fake-server/tests/run_api.rs and run_online.rs.

use serde_json::json;
use wandb_core::{init, Error, InitOptions, LogOptions, Mode};
use wandb_test_support::ScratchDir;

fn opts(dir: &std::path::Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Offline)
        .quiet(true)
        .system_metrics(false)
        .environment([("HOME", dir.join("home").display().to_string())])
}

#[test]
fn a_directory_that_cannot_be_created() {
    let scratch = ScratchDir::new("err-dir");
    let file = scratch.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = init(opts(&file)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("cannot create run directory (set InitOptions::dir or WANDB_DIR to a writable directory) "), "{msg}");
    assert!(msg.contains(&file.display().to_string()), "{msg}");
}

#[test]
fn a_step_going_backwards() {
    let scratch = ScratchDir::new("err-step");
    let run = init(opts(scratch.path())).unwrap();
    run.log_with(json!({"a": 1}), LogOptions::new().step(10))
        .unwrap();
    let err = run
        .log_with(json!({"a": 2}), LogOptions::new().step(3))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "step 3 is lower than the current step 10: W&B history steps must not decrease; \
         log without an explicit step or use a step >= 10"
    );
    run.finish().unwrap();
}

#[test]
fn a_value_that_cannot_be_logged() {
    let scratch = ScratchDir::new("err-value");
    let run = init(opts(scratch.path())).unwrap();
    let err = run.log(json!([1, 2, 3])).unwrap_err();
    assert!(matches!(err, Error::InvalidValue(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("invalid value: "), "{msg}");
    assert!(
        msg.contains("object"),
        "says a row must be an object: {msg}"
    );
    let err = run.config().update(&json!(5)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value: config updates must serialise to an object, got 5"
    );
    run.finish().unwrap();
}

#[test]
fn a_key_starting_with_an_underscore() {
    let scratch = ScratchDir::new("err-key");
    let run = init(opts(scratch.path())).unwrap();
    let err = run.log(json!({"_private": 1})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid key \"_private\": keys starting with '_' are reserved by W&B (only _timestamp and \
         _runtime may be set; use LogOptions::step for the step)"
    );
    let err = run.log(json!({"": 1})).unwrap_err();
    assert!(err.to_string().starts_with("invalid key \"\": "), "{err}");
    run.finish().unwrap();
}

#[test]
fn logging_after_finish() {
    let scratch = ScratchDir::new("err-finished");
    let run = init(opts(scratch.path())).unwrap();
    run.finish().unwrap();
    let err = run.log(json!({"a": 1})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the run is finished: call wandb::init for a new run"
    );
}

/// Online mode in a build without the `online` feature.
#[cfg(not(feature = "online"))]
#[test]
fn a_feature_not_compiled_in() {
    let scratch = ScratchDir::new("err-feature");
    let err = init(opts(scratch.path()).mode(Mode::Online)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported: online mode needs the `online` feature of wandb-core (on by default in the \
         wandb-rs facade); use Mode::Offline and sync later"
    );
}
