//! The `wandb` facade: `wandb::init` starts what the settings ask for.

use std::path::Path;

use wandb::proto::record::RecordType;

fn opts(dir: &Path) -> wandb::InitOptions {
    wandb::InitOptions::new()
        .dir(dir)
        .mode(wandb::Mode::Offline)
        .system_metrics(false)
        .console(wandb::Console::Off)
        .environment([("HOME", dir.join("home").display().to_string())])
}

fn history_rows(run: &Path) -> Vec<Vec<(String, String)>> {
    let file = std::fs::read_dir(run)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wandb"))
        .unwrap();
    wandb::store::read_file(&file)
        .unwrap()
        .records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(RecordType::History(h)) => Some(
                h.item
                    .into_iter()
                    .map(|i| (i.nested_key.join("."), i.value_json))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn row_macro_and_json_rows_log_through_the_facade() {
    let tmp = tempfile::tempdir().unwrap();
    let run = wandb::init(opts(tmp.path()).project("facade")).unwrap();
    run.log(wandb::row! {"loss" => 0.5, "nan" => f64::NAN})
        .unwrap();
    run.log(serde_json::json!({"loss": 0.25})).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let rows = history_rows(&dir);
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains(&("nan".into(), "NaN".into())));
    assert!(rows[1].contains(&("loss".into(), "0.25".into())));
}

#[cfg(feature = "tensorboard")]
#[test]
fn init_option_sync_tensorboard_mirrors_the_event_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let logdir = tmp.path().join("tb");
    let writer = wandb::tensorboard::SummaryWriter::new(&logdir).unwrap();
    for step in 0..3 {
        writer
            .add_scalar("loss", 1.0 / (step as f32 + 1.0), step)
            .unwrap();
    }
    writer.close().unwrap();
    let run = wandb::init(opts(tmp.path()).sync_tensorboard(&logdir)).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let rows = history_rows(&dir);
    let steps: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            r.iter()
                .find(|(k, _)| k == "global_step")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(steps, ["0", "1", "2"], "{rows:?}");
    assert!(rows[1].contains(&("loss".into(), "0.5".into())), "{rows:?}");
}
