//! The fake server fixture and the cleanup guard.

use std::panic::{catch_unwind, AssertUnwindSafe};

use wandb_core::row;
use wandb_testkit::{CleanupGuard, FakeWandb, Fault, Target, DEFAULT_ENTITY};

#[test]
fn a_run_uploads_to_the_fixture_through_injected_faults() {
    let server = FakeWandb::start().unwrap();
    // The first two file_stream requests fail with 503: the run retries.
    server.inject(Fault::status(Target::FileStream, 503, 2));
    let run = wandb_core::init(server.init_options().project("p").id("up1")).unwrap();
    for i in 0..5 {
        run.log(row! {"i" => i}).unwrap();
    }
    run.finish().unwrap();
    assert_eq!(server.faults_fired(), 2);
    let stored = server.run(DEFAULT_ENTITY, "p", "up1").expect("uploaded");
    let steps: Vec<i64> = stored
        .history()
        .iter()
        .map(|r| r["_step"].as_i64().unwrap())
        .collect();
    assert_eq!(steps, [0, 1, 2, 3, 4]);
    assert_eq!(stored.exitcode, Some(0));
    assert!(stored.complete);
}

#[test]
fn the_guard_deletes_tracked_runs_even_when_the_test_panics() {
    let server = FakeWandb::start().unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let guard = server.cleanup_guard().unwrap();
        for id in ["gone1", "gone2"] {
            let run = wandb_core::init(server.init_options().project("p").id(id)).unwrap();
            guard.track(&run);
            run.log(row! {"x" => 1}).unwrap();
            run.finish().unwrap();
        }
        assert_eq!(server.runs().len(), 2);
        panic!("the test fails after creating its runs");
    }));
    assert!(result.is_err());
    assert!(server.runs().is_empty(), "{:?}", server.runs());
    let deletes = server.ops().iter().filter(|op| *op == "DeleteRun").count();
    assert_eq!(deletes, 2);
}

#[test]
fn the_guard_leaves_other_runs_alone_and_reports_failures() {
    let server = FakeWandb::start().unwrap();
    let keep = wandb_core::init(server.init_options().project("p").id("keep")).unwrap();
    keep.finish().unwrap();
    let guard = server.cleanup_guard().unwrap();
    let run = wandb_core::init(server.init_options().project("p").id("tmp")).unwrap();
    guard.track(&run);
    run.finish().unwrap();
    // A run that never reached the server counts as deleted.
    guard.track_run("", "p", "never-uploaded");
    assert_eq!(guard.cleanup().unwrap(), 2);
    let left: Vec<String> = server.runs().into_iter().map(|r| r.name).collect();
    assert_eq!(left, ["keep"]);

    // The server refuses the deletion: the error names the run, and the
    // run stays tracked for the next try.
    let run = wandb_core::init(server.init_options().project("p").id("stuck")).unwrap();
    run.finish().unwrap();
    guard.track(&run);
    server.inject(Fault::status(Target::op("DeleteRun"), 400, 1));
    let errors = guard.cleanup().unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().contains("p/stuck"), "{}", errors[0]);
    assert_eq!(guard.cleanup().unwrap(), 1);
    let left: Vec<String> = server.runs().into_iter().map(|r| r.name).collect();
    assert_eq!(left, ["keep"]);
}

#[test]
fn a_malformed_api_key_is_a_clear_error() {
    let err = CleanupGuard::new("http://127.0.0.1:9", "short").unwrap_err();
    assert!(err.to_string().contains("API key"), "{err}");
}
