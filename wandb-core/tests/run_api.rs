//! The Run API after `init`, offline, checked with the official reader:
//! `set_name`/`set_tags`/`set_notes` (later run records), `alert`,
//! `mark_preempting`, `name`/`project`/`entity`/`url`.

use std::time::Duration;

use serde_json::json;
use wandb_core::{init, AlertLevel, InitOptions, Mode};
use wandb_test_support::{leet_inspect, leet_summary, ScratchDir};

fn opts(dir: &std::path::Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Offline)
        .project("proj")
        .quiet(true)
        .environment([("HOME", dir.join("home").display().to_string())])
}

#[test]
fn updates_alerts_and_preempting_are_records_the_official_reader_reads() {
    let scratch = ScratchDir::new("run-api");
    let run = init(opts(scratch.path()).tags(["a"]).notes("first")).unwrap();
    assert_eq!(run.name(), None);
    assert_eq!(run.project(), "proj");
    assert_eq!(run.entity(), None);
    assert_eq!(run.url(), None, "no entity: the URL is not known offline");
    assert_eq!(run.tags(), vec!["a"]);
    run.log(json!({"x": 1})).unwrap();
    run.set_name("renamed").unwrap();
    run.set_tags(["b", "c"]).unwrap();
    run.set_notes("second").unwrap();
    run.alert(
        "loss is NaN",
        "at step 1",
        AlertLevel::Warn,
        Some(Duration::from_secs(300)),
    )
    .unwrap();
    run.alert("default wait", "", AlertLevel::Info, None)
        .unwrap();
    run.mark_preempting().unwrap();
    assert_eq!(run.name().as_deref(), Some("renamed"));
    assert_eq!(run.notes(), "second");
    // invalid input is a typed error, nothing written
    assert!(run.set_name(" ").is_err());
    assert!(run.set_tags([""]).is_err());
    assert!(run.alert("", "x", AlertLevel::Error, None).is_err());
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();

    let records = leet_inspect(&dir);
    let runs: Vec<_> = records.iter().filter(|r| r["type"] == "run").collect();
    assert_eq!(runs.len(), 4, "the first run record and three updates");
    let last = &runs[3]["run"];
    assert_eq!(last["display_name"], json!("renamed"));
    assert_eq!(last["tags"], json!(["b", "c"]));
    assert_eq!(last["notes"], json!("second"));
    assert_eq!(last["project"], json!("proj"));
    let alerts: Vec<_> = records
        .iter()
        .filter(|r| r["type"] == "alert")
        .map(|r| &r["alert"])
        .collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0]["title"], json!("loss is NaN"));
    assert_eq!(alerts[0]["text"], json!("at step 1"));
    assert_eq!(alerts[0]["level"], json!("WARN"));
    assert_eq!(
        alerts[0]["wait_duration"].to_string().trim_matches('"'),
        "300000"
    );
    assert_eq!(alerts[1]["level"], json!("INFO"));
    assert_eq!(
        alerts[1]["wait_duration"].to_string().trim_matches('"'),
        "60000"
    );
    assert_eq!(
        records.iter().filter(|r| r["type"] == "preempting").count(),
        1,
        "{records:#?}"
    );

    let s = leet_summary(&dir);
    assert_eq!(s["name"], json!("renamed"), "{s:#}");
    assert_eq!(s["tags"], json!(["b", "c"]));
    assert_eq!(s["notes"], json!("second"));
}

#[test]
fn offline_url_is_the_one_after_sync_when_the_entity_is_known() {
    let scratch = ScratchDir::new("run-url");
    let run = init(opts(scratch.path()).entity("me").name("nice")).unwrap();
    assert_eq!(run.entity().as_deref(), Some("me"));
    assert_eq!(run.name().as_deref(), Some("nice"));
    let app = wandb_core::urls::app_url(&run.settings().base_url);
    assert_eq!(run.url(), Some(format!("{app}/me/proj/runs/{}", run.id())));
    assert_eq!(run.project_url(), Some(format!("{app}/me/proj")));
    run.finish().unwrap();
}

#[test]
fn save_links_matching_files_and_names_them_with_their_policy() {
    let scratch = ScratchDir::new("run-save");
    let src = scratch.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("a.txt"), "A").unwrap();
    std::fs::write(src.join("sub/b.txt"), "B").unwrap();
    std::fs::write(src.join("c.bin"), "C").unwrap();
    let run = init(opts(scratch.path())).unwrap();
    let saved = run
        .save("**/*.txt", Some(&src), wandb_core::SavePolicy::End)
        .unwrap();
    assert_eq!(
        saved,
        vec![
            run.files_dir().join("a.txt"),
            run.files_dir().join("sub/b.txt")
        ]
    );
    let abs = format!("{}/c.bin", src.display());
    let now = run.save(&abs, None, wandb_core::SavePolicy::Now).unwrap();
    assert_eq!(now, vec![run.files_dir().join("c.bin")]);
    assert!(run
        .save("nothing-*.txt", Some(&src), wandb_core::SavePolicy::Live)
        .unwrap()
        .is_empty());
    assert!(
        run.save("[", Some(&src), wandb_core::SavePolicy::Live)
            .is_err(),
        "bad glob"
    );
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("files/a.txt")).unwrap(),
        "A"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("files/sub/b.txt")).unwrap(),
        "B"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("files/c.bin")).unwrap(),
        "C"
    );
    let files: Vec<serde_json::Value> = leet_inspect(&dir)
        .into_iter()
        .filter(|r| r["type"] == "files")
        .flat_map(|r| r["files"]["files"].as_array().cloned().unwrap_or_default())
        .collect();
    let named: Vec<(String, String)> = files
        .iter()
        .filter(|f| f["type"] != "WANDB") // requirements.txt, written by wandb-rs
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["policy"].as_str().unwrap_or("NOW").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            ("a.txt".into(), "END".into()),
            ("sub/b.txt".into(), "END".into()),
            ("c.bin".into(), "NOW".into())
        ],
        "{files:#?}"
    );
}
