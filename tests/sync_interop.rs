//! The official `wandb sync` accepts everything wandb-rs writes, and
//! `wandb-rs sync` sends the server the same: each run directory written
//! here is synced twice, to two instances of the loopback reference mock
//! (tests/fixtures/oracle/mock_wandb_server.py), and the captured requests
//! are compared after the normalisation listed in
//! `tests/support/src/sync_capture.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{
    init, row, Audio, Console, Histogram, Html, Image, InitOptions, LogOptions, MetricDefinition,
    MetricSummary, Mode, Run, Table, Video,
};
use wandb_test_support::{assert_same_sync, official_and_our_sync, ScratchDir, SyncCapture};

fn opts(root: &Path, id: &str) -> InitOptions {
    InitOptions::new()
        .dir(root)
        .mode(Mode::Offline)
        .project("interop")
        .id(id)
        .console(Console::Off)
        .system_metrics(false)
        .environment([("HOME", root.join("home").display().to_string())])
}

/// wandb-rs sync of `dir` to the mock at `url`.
fn our_sync(dir: &Path, url: &str, key: &str) {
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(url.into()),
        api_key: Some(key.into()),
        timeout: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(dir, &o, |_| {}).expect("wandb-rs sync");
    assert!(report.unsent.is_empty(), "{report:?}");
}

/// Finishes `run`, syncs its directory both ways and asserts the captures
/// are equal; returns the official one for further checks.
fn finish_and_compare(run: Run) -> SyncCapture {
    let dir: PathBuf = run.dir().to_path_buf();
    run.finish().expect("finish");
    let (official, ours) = official_and_our_sync(&dir, our_sync);
    assert_same_sync(&official, &ours);
    official
}

#[test]
fn scalars_config_summary_and_metrics_sync_like_wandb_sync() {
    let scratch = ScratchDir::new("interop-scalars");
    let run = init(
        opts(scratch.path(), "scalars1")
            .config(&serde_json::json!({"lr": 0.01, "layers": [8, 4], "opt": {"name": "adam"}}))
            .tags(["a", "b"])
            .notes("interop"),
    )
    .unwrap();
    run.define_metric(MetricDefinition::new("loss").summary(MetricSummary::Min))
        .unwrap();
    run.define_metric(MetricDefinition::new("val/*").step_metric("epoch"))
        .unwrap();
    for i in 0..30u32 {
        let loss = 1.0 / (f64::from(i) + 1.0);
        run.log(row! {"loss" => loss, "acc" => f64::from(i) / 30.0, "nested" => serde_json::json!({"a": i})})
            .unwrap();
        if i % 10 == 9 {
            run.log(row! {"epoch" => i / 10, "val/loss" => loss * 2.0})
                .unwrap();
        }
    }
    run.log(row! {"nan" => f64::NAN, "inf" => f64::INFINITY})
        .unwrap();
    run.summary().set("best", 0.98).unwrap();
    let official = finish_and_compare(run);
    assert_eq!(official.history.len(), 34);
    assert_eq!(
        official.summary["loss"]["min"],
        serde_json::json!(1.0 / 30.0)
    );
    assert_eq!(official.config["lr"]["value"], serde_json::json!(0.01));
}

#[test]
fn console_output_and_system_metrics_sync_like_wandb_sync() {
    let scratch = ScratchDir::new("interop-console");
    let root = scratch.path();
    let run = init(
        opts(root, "console1")
            .console(Console::Redirect)
            .system_metrics(true)
            .environment([
                ("HOME", root.join("home").display().to_string()),
                ("WANDB_X_STATS_SAMPLING_INTERVAL", "0.1".to_string()),
            ]),
    )
    .unwrap();
    println!("hello from stdout");
    eprintln!("warning on stderr");
    for i in 0..5 {
        println!("step {i}");
        run.log(row! {"x" => i}).unwrap();
    }
    std::thread::sleep(Duration::from_millis(350));
    let wandb_file = run.wandb_file().to_path_buf();
    let official = finish_and_compare(run);
    // every system metrics sample of the run was uploaded, once
    let sampled = wandb_core::store::read_file(&wandb_file)
        .unwrap()
        .records
        .into_iter()
        .filter(|r| {
            matches!(
                r.record_type,
                Some(wandb_core::proto::record::RecordType::Stats(_))
            )
        })
        .count();
    assert!(sampled >= 2, "{sampled} samples in 350 ms at 0.1 s");
    assert_eq!(official.events.len(), sampled);
    // every console line, in order, on its stream
    let stdout: Vec<&str> = official
        .output
        .iter()
        .filter(|(err, _)| !err)
        .map(|(_, l)| l.as_str())
        .collect();
    let mut want = vec!["hello from stdout".to_string()];
    want.extend((0..5).map(|i| format!("step {i}")));
    assert_eq!(stdout, want);
    let stderr: Vec<&str> = official
        .output
        .iter()
        .filter(|(err, _)| *err)
        .map(|(_, l)| l.as_str())
        .collect();
    assert_eq!(stderr, ["warning on stderr"]);
}

fn red_dot() -> Vec<u8> {
    let mut px = vec![0u8; 4 * 6 * 3];
    px[(6 + 2) * 3] = 255;
    px
}

#[test]
fn media_and_tables_sync_like_wandb_sync() {
    let scratch = ScratchDir::new("interop-media");
    let run = init(opts(scratch.path(), "media1")).unwrap();
    let sine: Vec<f32> = (0..800).map(|i| (i as f32 / 20.0).sin()).collect();
    let frames: Vec<u8> = (0..3 * 8 * 8 * 3).map(|i| (i * 37 % 255) as u8).collect();
    let table = Table::from_rows(
        ["a", "b", "c"],
        [
            wandb::data_types::cells![1, 2.5, "x"],
            wandb::data_types::cells![3, 4.5, "y"],
        ],
    )
    .unwrap();
    let img = Image::from_rgb8(6, 4, &red_dot()).unwrap();
    let log = |step: u64, r: wandb::Row| run.log_with(r, LogOptions::new().step(step)).unwrap();
    log(0, row! {"img" => img.clone().caption("red dot")});
    log(1, row! {"tbl" => table.clone()});
    log(
        2,
        row! {"hist" => Histogram::from_i64(&[1, 2, 2, 3, 3, 3, 10]).unwrap()},
    );
    log(3, row! {"html" => Html::new("<b>hello</b>")});
    log(
        4,
        row! {"audio" => Audio::mono(&sine, 8000).unwrap().caption("sine")},
    );
    log(
        5,
        row! {"video" => Video::from_rgb8_frames(8, 8, &frames, 4).unwrap()},
    );
    log(6, row! {"tbl" => table});
    run.summary().set("final_img", img).unwrap();
    let official = finish_and_compare(run);
    assert_eq!(official.history.len(), 7);
    assert!(
        official
            .artifacts
            .keys()
            .any(|k| k.starts_with("run_table/")),
        "{:?}",
        official.artifacts.keys()
    );
    assert!(official
        .files
        .keys()
        .any(|f| f.starts_with("media/images/")));
}

#[test]
fn plots_sync_like_wandb_sync() {
    use wandb::plot::ChartRowExt as _;
    let scratch = ScratchDir::new("interop-plots");
    let run = init(opts(scratch.path(), "plots1")).unwrap();
    let t = Table::from_rows(
        ["x", "y"],
        (0..5i64).map(|x| wandb::data_types::cells![x, x * x]),
    )
    .unwrap();
    let y_true = [0, 1, 1, 0];
    let probas = [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]];
    let curve = wandb::plot::CurveOptions::new().labels(["neg", "pos"]);
    run.log(
        wandb::plot::line(&t, "x", "y")
            .unwrap()
            .title("Line")
            .into_row("line"),
    )
    .unwrap();
    run.log(row! {"acc" => 0.5}.with_chart(
        "cm",
        wandb::plot::confusion_matrix(&y_true, &[0, 1, 0, 0], Some(&["neg", "pos"])).unwrap(),
    ))
    .unwrap();
    run.log(
        wandb::plot::roc_curve(&y_true, &probas, &curve)
            .unwrap()
            .into_row("roc"),
    )
    .unwrap();
    let official = finish_and_compare(run);
    assert!(
        official.config["_wandb"]["value"]["visualize"].is_object(),
        "{}",
        official.config
    );
    assert_eq!(
        official.artifacts.len(),
        3,
        "{:?}",
        official.artifacts.keys()
    );
}

/// TensorBoard event files mirrored into the run (scalars, a histogram, an
/// image). Known limitation of the official client: `wandb sync` (0.31.0)
/// re-reads the `tbrecord` log directories when they still exist and its
/// sender panics on the resulting partial-history requests (asserted below,
/// so a fixed version shows up); with the log directories gone it syncs the
/// mirrored rows, which are compared.
#[cfg(feature = "tensorboard")]
#[test]
fn tensorboard_runs_sync_like_wandb_sync() {
    use wandb::tensorboard::{sync, SummaryWriter};
    let scratch = ScratchDir::new("interop-tb");
    let logs = scratch.path().join("tblogs");
    let run = init(opts(scratch.path(), "tb1")).unwrap();
    let tb = sync(&run, &logs).unwrap();
    let w = SummaryWriter::new(logs.join("train")).unwrap();
    for step in 0..5i64 {
        w.add_scalar("loss", 1.0 / (step as f32 + 1.0), step)
            .unwrap();
        w.add_histogram("weights", &[0.1, 0.2, 0.2, 0.9, step as f64], step)
            .unwrap();
    }
    w.add_image_png("sample", red_dot_png(), 4).unwrap();
    w.close().unwrap();
    tb.drain().unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();

    let server = wandb_test_support::MockServer::start();
    let copy = ScratchDir::new("interop-tb-copy");
    let copied = copy.path().join(dir.file_name().unwrap());
    wandb_test_support::mock_server::copy_tree(&dir, &copied);
    let out = wandb_test_support::official_sync_output(&server, &[copied], copy.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("unexpected type *service_go_proto.Request_PartialHistory"),
        "the official wandb sync no longer fails on tbrecords with existing log dirs: {stderr}"
    );

    std::fs::remove_dir_all(&logs).unwrap();
    let (official, ours) = official_and_our_sync(&dir, our_sync);
    assert_same_sync(&official, &ours);
    // one row per TensorBoard step, each with its scalar and histogram
    assert_eq!(official.history.len(), 5, "{:?}", official.history);
    for (step, h) in official.history.iter().enumerate() {
        let loss = 1.0 / (step as f32 + 1.0);
        // written as the f32's shortest decimal
        assert_eq!(
            h["train/loss"].as_f64().map(|v| v as f32),
            Some(loss),
            "{h}"
        );
        assert_eq!(h["train/weights"]["_type"], "histogram", "{h}");
    }
    // TensorBoard images are logged as a list of images, as the official client does
    assert_eq!(
        official.history[4]["train/sample"]["_type"],
        "images/separated"
    );
}

#[cfg(feature = "tensorboard")]
fn red_dot_png() -> Vec<u8> {
    let p = wandb_test_support::fixtures_dir().join("media/files/img_0_90d0a290aedfc1bda5f4.png");
    std::fs::read(p).unwrap()
}

/// A burn loop with `WandbCallback` and `watch` (gradient and parameter
/// histograms).
#[cfg(feature = "burn")]
mod burn_watch {
    use super::*;
    use wandb::burn::burn;
    use wandb::burn::{WandbCallback, WatchLog, WatchOptions};

    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
    use burn::tensor::{Device, Tensor, TensorData};

    #[derive(Module, Debug)]
    struct Net {
        layers: Vec<Linear>,
    }

    #[test]
    fn a_burn_run_with_watch_syncs_like_wandb_sync() {
        let scratch = ScratchDir::new("interop-burn");
        let run = init(opts(scratch.path(), "burn1")).unwrap();
        let device = Device::flex().autodiff();
        let mut model = Net {
            layers: vec![
                LinearConfig::new(2, 4).init(&device),
                LinearConfig::new(4, 1).init(&device),
            ],
        };
        let mut optim: ModuleOptimizer = SgdConfig::new().init();
        let x = Tensor::<2>::from_data(
            TensorData::new(vec![0.5f32, -1.0, 1.5, 2.0], [2, 2]),
            &device,
        );
        let y = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, -1.0], [2, 1]), &device);
        let mut cb =
            WandbCallback::new(&run).watch(WatchOptions::new().log(WatchLog::All).log_freq(2));
        cb.train_begin(Some(2)).unwrap();
        for _epoch in 0..2 {
            cb.epoch_begin().unwrap();
            for _batch in 0..3 {
                let out = model.layers[1].forward(model.layers[0].forward(x.clone()));
                let loss = (out - y.clone()).powi_scalar(2).mean();
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                cb.observe(&model, &grads).unwrap();
                model = optim.step(0.05, model, grads);
                cb.batch_end_loss(loss, Some(0.05)).unwrap();
            }
            cb.validation_end(&[("loss", 0.5)]).unwrap();
            cb.epoch_end().unwrap();
        }
        cb.train_end().unwrap();
        let official = finish_and_compare(run);
        assert!(
            official
                .history
                .iter()
                .any(|h| h["gradients/layers.0.weight"]["_type"] == "histogram"),
            "{:?}",
            official.history
        );
    }
}

/// Two run directories with the same id (a run continued in a second
/// process), synced one after the other to the same server.
#[test]
fn two_directories_of_the_same_run_id_sync_like_wandb_sync() {
    use wandb_test_support::mock_server::copy_tree;
    use wandb_test_support::{official_sync, MockServer};
    let scratch = ScratchDir::new("interop-same-id");
    let mut dirs = Vec::new();
    for (part, root) in ["first", "second"].iter().enumerate() {
        let run = init(opts(&scratch.path().join(root), "sameid1")).unwrap();
        for i in 0..5 {
            run.log(row! {"part" => part as i64, "i" => i}).unwrap();
        }
        dirs.push(run.dir().to_path_buf());
        run.finish().unwrap();
    }
    let copies = |name: &str| -> Vec<PathBuf> {
        dirs.iter()
            .enumerate()
            .map(|(i, d)| {
                let to = scratch
                    .path()
                    .join(name)
                    .join(i.to_string())
                    .join(d.file_name().unwrap());
                copy_tree(d, &to);
                to
            })
            .collect()
    };
    let official = {
        let server = MockServer::start();
        official_sync(&server, &copies("official"), scratch.path());
        SyncCapture::from_requests(&server.requests(), &server.uploads())
    };
    let ours = {
        let server = MockServer::start();
        for d in copies("ours") {
            our_sync(&d, &server.url(), wandb_test_support::MOCK_API_KEY);
        }
        SyncCapture::from_requests(&server.requests(), &server.uploads())
    };
    assert_same_sync(&official, &ours);
    // the mock reports no earlier history (`RunResumeStatus` without a
    // bucket), so both clients start the second directory at offset 0 and
    // its rows replace the first directory's
    let parts: Vec<_> = official.history.iter().map(|h| h["part"].clone()).collect();
    assert_eq!(parts, vec![serde_json::json!(1); 5]);
}

/// A run under a sweep agent (WANDB_SWEEP_ID and the parameter file in its
/// environment): both syncs link it to the sweep (`UpsertBucket.sweep`)
/// with the sweep's parameter over the user's value.
#[test]
fn sweep_runs_sync_their_sweep_id_like_wandb_sync() {
    let scratch = ScratchDir::new("interop-sweep");
    let root = scratch.path();
    let params = root.join("config-swrun101.yaml");
    std::fs::write(&params, "wandb_version: 1\n\nlr:\n  value: 0.1\n").unwrap();
    let run = init(
        InitOptions::new()
            .dir(root)
            .console(Console::Off)
            .system_metrics(false)
            .config(&serde_json::json!({"lr": 999, "epochs": 2}))
            .environment([
                ("HOME", root.join("home").display().to_string()),
                ("WANDB_MODE", "offline".into()),
                ("WANDB_PROJECT", "interop".into()),
                ("WANDB_SWEEP_ID", "swp00001".into()),
                ("WANDB_SWEEP_PARAM_PATH", params.display().to_string()),
                ("WANDB_RUN_ID", "swrun101".into()),
                ("WANDB_RUN_GROUP", "swp00001".into()),
            ]),
    )
    .unwrap();
    run.log(row! {"loss" => 0.5}).unwrap();
    let official = finish_and_compare(run);
    assert_eq!(official.run_fields["sweep"], serde_json::json!("swp00001"));
    assert_eq!(official.run_fields["name"], serde_json::json!("swrun101"));
    assert_eq!(
        official.run_fields["groupName"],
        serde_json::json!("swp00001")
    );
    assert_eq!(official.config["lr"]["value"], serde_json::json!(0.1));
    assert_eq!(official.config["epochs"]["value"], serde_json::json!(2));
}
