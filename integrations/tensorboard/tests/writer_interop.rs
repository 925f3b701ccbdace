//! Event files written by our SummaryWriter, read by TensorBoard's own
//! loader (EventAccumulator) and by tbparse from the oracle venv.

mod common;

use base64::Engine as _;
use wandb_tensorboard::{histogram_of, read_events, SummaryWriter, WriterOptions};

fn load_with_tensorboard(logdir: &std::path::Path, scratch: &std::path::Path) -> serde_json::Value {
    let out = wandb_test_support::oracle_python_run(
        include_str!("py/read_events.py"),
        &[logdir.to_str().unwrap()],
        scratch,
    );
    serde_json::from_str(&out).expect("JSON from read_events.py")
}

#[test]
fn tensorboard_loads_every_value_we_write() {
    let scratch = tempfile::tempdir().unwrap();
    let logdir = scratch.path().join("run");
    let opts = WriterOptions {
        flush_bytes: 512, // exercise threshold writes too
        ..WriterOptions::default()
    };
    let w = SummaryWriter::with_options(&logdir, opts).unwrap();
    let t0 = 1_795_305_028.25;
    let mut scalars = Vec::new();
    for step in 0..300i64 {
        let v = ((step as f32) * 0.37).sin() / 3.0;
        let wt = t0 + step as f64 * 0.125;
        w.add_scalar_at("train/loss", v, step, wt).unwrap();
        scalars.push((wt, step, v));
    }
    w.add_scalar_at("big_step", f32::MAX, 1 << 40, t0).unwrap();
    w.add_scalar_at("neg", -1.5e-30, -3, t0).unwrap();
    let data: Vec<f64> = (0..1000)
        .map(|i| ((i * 7919) % 1000) as f64 / 10.0 - 20.0)
        .collect();
    w.add_histogram("weights", &data, 10).unwrap();
    w.add_histogram_bins("custom", &[0.0, 1.0, 2.5, 4.0], &[3.0, 0.0, 5.0], 11)
        .unwrap();
    let mut pixels = vec![0u8; 5 * 4 * 3];
    pixels[(5 + 2) * 3] = 255; // row 1, column 2
    w.add_image("sample", &pixels, 5, 4, 3, 12).unwrap();
    w.add_image("gray", &[0, 64, 128, 255], 2, 2, 1, 13)
        .unwrap();
    w.add_text("notes", "héllo *world*", 14).unwrap();
    w.flush().unwrap();
    let file = w.path().to_path_buf();
    drop(w);

    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    let parts: Vec<&str> = name.split('.').collect();
    assert_eq!(&parts[..3], ["events", "out", "tfevents"]);
    assert!(parts[3].parse::<u64>().unwrap() > 1_700_000_000);
    assert_eq!(parts[parts.len() - 2], std::process::id().to_string());

    let got = load_with_tensorboard(&logdir, scratch.path());
    assert_eq!(got["file_version"].as_f64(), Some(2.0)); // EventAccumulator parses "brain.Event:2"
    let loss = got["scalars"]["train/loss"].as_array().unwrap();
    assert_eq!(loss.len(), scalars.len());
    for (g, (wt, step, v)) in loss.iter().zip(&scalars) {
        assert_eq!(g[0].as_f64().unwrap(), *wt);
        assert_eq!(g[1].as_i64().unwrap(), *step);
        assert_eq!(g[2].as_f64().unwrap(), f64::from(*v));
    }
    assert_eq!(got["scalars"]["big_step"][0][1].as_i64(), Some(1 << 40));
    assert_eq!(
        got["scalars"]["big_step"][0][2].as_f64(),
        Some(f64::from(f32::MAX))
    );
    assert_eq!(got["scalars"]["neg"][0][1].as_i64(), Some(-3));
    assert_eq!(
        got["scalars"]["neg"][0][2].as_f64(),
        Some(f64::from(-1.5e-30f32))
    );

    let h = &got["histograms"]["weights"][0];
    let expect = histogram_of(&data, 30);
    assert_eq!(h["step"].as_i64(), Some(10));
    for (k, v) in [
        ("min", expect.min),
        ("max", expect.max),
        ("num", expect.num),
        ("sum", expect.sum),
        ("sum_squares", expect.sum_squares),
    ] {
        assert_eq!(h[k].as_f64(), Some(v), "{k}");
    }
    let f = |j: &serde_json::Value| {
        j.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(f(&h["bucket_limit"]), expect.bucket_limit);
    assert_eq!(f(&h["bucket"]), expect.bucket);
    assert_eq!(f(&h["bucket"]).iter().sum::<f64>(), 1000.0);
    let c = &got["histograms"]["custom"][0];
    assert_eq!(f(&c["bucket_limit"]), [0.0, 1.0, 2.5, 4.0]);
    assert_eq!(f(&c["bucket"]), [0.0, 3.0, 0.0, 5.0]);

    let img = &got["images"]["sample"][0];
    assert_eq!(
        (
            img["step"].as_i64(),
            img["width"].as_i64(),
            img["height"].as_i64()
        ),
        (Some(12), Some(5), Some(4))
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(img["png"].as_str().unwrap())
        .unwrap();
    let decoded = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!(decoded.as_raw(), &pixels);
    let gray = &got["images"]["gray"][0];
    let png = base64::engine::general_purpose::STANDARD
        .decode(gray["png"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        image::load_from_memory(&png).unwrap().to_luma8().as_raw(),
        &[0, 64, 128, 255]
    );

    let t = &got["tensors"]["notes"][0];
    assert_eq!(t["plugin"].as_str(), Some("text"));
    assert_eq!(t["step"].as_i64(), Some(14));
    assert_eq!(t["value"].as_str(), Some("héllo *world*"));

    // tbparse sees the same scalars.
    let tb = got["tbparse_scalars"].as_array().unwrap();
    let tb_loss: Vec<(i64, f64)> = tb
        .iter()
        .filter(|r| r[1] == "train/loss")
        .map(|r| (r[0].as_i64().unwrap(), r[2].as_f64().unwrap()))
        .collect();
    let ours: Vec<(i64, f64)> = scalars
        .iter()
        .map(|(_, s, v)| (*s, f64::from(*v)))
        .collect();
    assert_eq!(tb_loss, ours);

    // And our own reader agrees with what we wrote.
    let events = read_events(&file).unwrap();
    assert_eq!(events.len(), 1 + 300 + 2 + 2 + 2 + 1);
}

#[test]
fn writer_errors_are_typed() {
    let scratch = tempfile::tempdir().unwrap();
    let w = SummaryWriter::new(scratch.path()).unwrap();
    assert!(w.add_scalar("", 1.0, 0).is_err());
    assert!(w.add_image("x", &[1, 2, 3], 2, 2, 3, 0).is_err());
    assert!(w.add_image("x", &[1, 2, 3, 4], 2, 2, 5, 0).is_err());
    assert!(w.add_histogram_bins("h", &[0.0], &[1.0], 0).is_err());
    assert!(w.add_image_png("p", vec![1, 2, 3], 0).is_err());
    w.close().unwrap();
}

#[test]
fn background_flush_makes_events_visible_without_flush() {
    let scratch = tempfile::tempdir().unwrap();
    let w = SummaryWriter::with_options(
        scratch.path(),
        WriterOptions {
            flush_interval: Some(std::time::Duration::from_millis(50)),
            ..WriterOptions::default()
        },
    )
    .unwrap();
    w.add_scalar("a", 1.0, 1).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if read_events(w.path()).unwrap().len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "background flush did not happen"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
