//! Fuzzes each parser with mutants of its seeds (tests/fixtures/fuzz/<target>/,
//! regressions included, plus what our own writers produce). A few thousand
//! inputs per target run in the normal suite; `FUZZ_ITERS=1000000 cargo test
//! --release -p wandb-fuzz -- --nocapture` is the long run (docs/fuzzing.md).

use std::path::Path;

use wandb_fuzz::fixup;
use wandb_fuzz::harness::{fuzz, Config, Report};
use wandb_fuzz::targets;
use wandb_test_support::{fixtures_dir, ScratchDir};

const DEFAULT_ITERS: u64 = 3000;

/// The files of tests/fixtures/fuzz/<name>/, in name order.
fn seeds(name: &str) -> Vec<Vec<u8>> {
    let dir = fixtures_dir().join("fuzz").join(name);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no seeds in {}", dir.display());
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn report(name: &str, r: &Report) {
    eprintln!(
        "fuzz {name}: {} inputs in {:.1?}, 0 panics, 0 hangs; slowest input {:.1?}, largest peak allocation {} KiB",
        r.inputs,
        r.elapsed,
        r.max_time,
        r.max_peak / 1024
    );
}

/// A `.wandb` file written by our own run (offline, hermetic).
fn our_wandb_file(scratch: &Path) -> Vec<u8> {
    use wandb_core::{init, row, Console, InitOptions, Mode};
    let run = init(
        InitOptions::new()
            .dir(scratch)
            .mode(Mode::Offline)
            .project("fuzz")
            .id("fuzzseed")
            .console(Console::Off)
            .system_metrics(false)
            .environment([("HOME", scratch.join("home").display().to_string())])
            .config(&serde_json::json!({"lr": 0.1, "layers": [8, 4], "opt": {"name": "adam"}})),
    )
    .unwrap();
    for i in 0..20 {
        run.log(row! {"loss" => 1.0 / (i as f64 + 1.0), "epoch" => i, "tag" => "x\"y", "nan" => f64::NAN})
            .unwrap();
    }
    run.summary().set("best", 0.9).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "wandb"))
        .expect("the run wrote a .wandb file");
    std::fs::read(file).unwrap()
}

/// An event file written by our own `SummaryWriter`: scalars, a histogram,
/// an image, text and a PR curve.
fn our_event_file(scratch: &Path) -> Vec<u8> {
    use wandb_tensorboard::proto::{
        summary, summary_metadata::PluginData, tensor_shape_proto::Dim, DataType, SummaryMetadata,
        TensorProto, TensorShapeProto,
    };
    use wandb_tensorboard::SummaryWriter;
    let w = SummaryWriter::new(scratch.join("tb")).unwrap();
    for step in 0..3 {
        w.add_scalar("loss", 1.0 / (step as f32 + 1.0), step)
            .unwrap();
    }
    w.add_histogram("w", &[0.1, 0.5, 0.5, 2.0, -1.0], 3)
        .unwrap();
    let png = std::fs::read(
        fixtures_dir()
            .join("tensorboard/official_media/images/b59xckhg4bx5g8dmfarpivofywgs8qiq.png"),
    )
    .unwrap();
    w.add_image_png("img", png, 4).unwrap();
    w.add_text("note", "hello", 5).unwrap();
    let pr = summary::Value {
        tag: "pr".into(),
        metadata: Some(SummaryMetadata {
            plugin_data: Some(PluginData {
                plugin_name: "pr_curves".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        value: Some(summary::value::Value::Tensor(TensorProto {
            dtype: DataType::DtFloat as i32,
            tensor_shape: Some(TensorShapeProto {
                dim: vec![
                    Dim {
                        size: 6,
                        ..Default::default()
                    },
                    Dim {
                        size: 2,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
            float_val: vec![1.0, 2.0, 0.0, 1.0, 3.0, 4.0, 0.0, 0.0, 0.5, 0.75, 1.0, 0.5],
            ..Default::default()
        })),
        ..Default::default()
    };
    w.add_value(6, pr.clone()).unwrap();
    // regression: a PR curve shape whose size overflows (2^33 x 2^31, no values)
    let mut overflow = pr;
    if let Some(summary::value::Value::Tensor(t)) = &mut overflow.value {
        t.float_val.clear();
        if let Some(shape) = &mut t.tensor_shape {
            shape.dim[0].size = 1 << 33;
            shape.dim[1].size = 1 << 31;
        }
    }
    w.add_value(7, overflow).unwrap();
    let path = w.path().to_path_buf();
    w.close().unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn fuzz_wandb_reader() {
    let scratch = ScratchDir::new("fuzz-wandb");
    let mut s = seeds("wandb");
    s.push(our_wandb_file(scratch.path()));
    let cfg = Config {
        fixup: Some(fixup::wandb_crcs),
        ..Config::new("wandb", DEFAULT_ITERS)
    };
    report("wandb", &fuzz(cfg, s, targets::wandb_file));
}

#[test]
fn fuzz_tfevents_reader() {
    let scratch = ScratchDir::new("fuzz-tfevents");
    let mut s = seeds("tfevents");
    s.push(our_event_file(scratch.path()));
    let file = scratch.path().join("events.out.tfevents.fuzz");
    let cfg = Config {
        fixup: Some(fixup::tfrecord_crcs),
        ..Config::new("tfevents", DEFAULT_ITERS)
    };
    let r = fuzz(cfg, s, move |input| targets::tfevents(&file, input));
    report("tfevents", &r);
}

#[test]
fn fuzz_json_parser() {
    let cfg = Config {
        dictionary: &[
            b"NaN",
            b"Infinity",
            b"-Infinity",
            b"null",
            b"true",
            b"[",
            b"]",
            b"{",
            b"}",
            b"\"",
            b"\\",
            b"\\u",
            b"\\ud800",
            b":",
            b",",
            b"-",
            b"1e999",
            b"-0.0e-5",
            b"18446744073709551616",
        ],
        ..Config::new("json", DEFAULT_ITERS)
    };
    report("json", &fuzz(cfg, seeds("json"), targets::json));
}

#[test]
fn fuzz_settings_ini() {
    let cfg = Config {
        dictionary: &[
            b"[default]",
            b"[",
            b"]",
            b"\n",
            b"=",
            b":",
            b"mode",
            b"x_stats_sampling_interval",
            b"1e300",
            b"1e-300",
            b"inf",
            b"NaN",
            b"-1",
            b"silent",
            b"resume",
            b"console",
            b"base_url",
            b"run_tags",
            b"sync_tensorboard",
        ],
        ..Config::new("settings", DEFAULT_ITERS)
    };
    report(
        "settings",
        &fuzz(cfg, seeds("settings"), targets::settings_ini),
    );
}

#[test]
fn fuzz_netrc() {
    let cfg = Config {
        dictionary: &[
            b"machine",
            b"default",
            b"password",
            b"login",
            b"account",
            b"macdef",
            b"http://",
            b"https://",
            b":",
            b"/",
            b"@",
            b"\n",
            b" ",
            b"api.",
            b"forge.coreweave.com",
        ],
        ..Config::new("netrc", DEFAULT_ITERS)
    };
    report("netrc", &fuzz(cfg, seeds("netrc"), targets::netrc));
}
