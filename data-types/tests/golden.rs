//! Our JSON and files against the official client's (wandb 0.31.0) media run,
//! reproducing the inputs of `generators/make_media_run.py`.

mod common;

use common::*;
use serde_json::json;
use wandb_core::MediaStep;
use wandb_data_types::*;

/// `img = np.zeros((4, 6, 3), uint8); img[1, 2] = [255, 0, 0]`.
fn red_dot() -> Vec<u8> {
    let mut px = vec![0u8; 4 * 6 * 3];
    px[(6 + 2) * 3] = 255;
    px
}

fn assert_same_pixels(ours: &[u8], golden: &[u8]) {
    assert_eq!(
        decode_rgba(ours),
        decode_rgba(golden),
        "decoded pixels differ"
    );
}

#[test]
fn image_with_caption_matches_golden() {
    let img = Image::from_rgb8(6, 4, &red_dot())
        .unwrap()
        .caption("red dot");
    let m = materialize(&img, &run_info("mediarun1"), "img", MediaStep::Step(0));
    let want = golden_value("img");
    for k in ["caption", "_type", "format", "width", "height"] {
        assert_eq!(m.value[k], want[k], "field {k}");
    }
    let obj = m.value.as_object().unwrap();
    let keys: Vec<&String> = obj.keys().collect();
    let want_keys: Vec<&String> = want.as_object().unwrap().keys().collect();
    assert_eq!(keys, want_keys, "same keys in the same order");
    // PNG bytes differ (our encoder is not PIL's); the pixels are the same
    // and path/sha256/size describe our file.
    let path = m.value["path"].as_str().unwrap();
    let bytes = m.read(path);
    assert_same_pixels(
        &bytes,
        &fixture_bytes("files/img_0_90d0a290aedfc1bda5f4.png"),
    );
    let sha = wandb_core::media::hex_sha256(&bytes);
    assert_eq!(m.value["sha256"], json!(sha));
    assert_eq!(m.value["size"], json!(bytes.len()));
    assert_eq!(path, format!("media/images/img_0_{}.png", &sha[..20]));
    assert_eq!(files_records(&m.records), vec![path.to_owned()]);
}

#[test]
fn summary_image_uses_summary_in_the_name() {
    let img = Image::from_rgb8(6, 4, &red_dot()).unwrap();
    let m = materialize(
        &img,
        &run_info("mediarun1"),
        "final_img",
        MediaStep::Summary,
    );
    let path = m.value["path"].as_str().unwrap();
    assert!(
        path.starts_with("media/images/final_img_summary_"),
        "{path}"
    );
    assert_same_pixels(
        &m.read(path),
        &fixture_bytes("files/final_img_summary_90d0a290aedfc1bda5f4.png"),
    );
}

#[test]
fn image_from_existing_png_keeps_bytes_and_hash() {
    let img = Image::from_path(fixture("files/img_0_90d0a290aedfc1bda5f4.png"))
        .unwrap()
        .caption("red dot");
    let m = materialize(&img, &run_info("mediarun1"), "img", MediaStep::Step(0));
    assert_eq!(m.value, golden_value("img"));
}

#[test]
fn image_list_matches_golden() {
    let a = Image::from_rgb8(6, 4, &red_dot()).unwrap();
    // img * 0 + 7
    let b = Image::from_rgb8(6, 4, &[7u8; 6 * 4 * 3]).unwrap();
    let m = materialize(
        &Images::new(vec![a, b]).unwrap(),
        &run_info("mediarun1"),
        "imgs",
        MediaStep::Step(1),
    );
    let want = golden_value("imgs");
    for k in ["_type", "width", "height", "format", "count"] {
        assert_eq!(m.value[k], want[k], "field {k}");
    }
    assert!(m.value.get("captions").is_none());
    let names = m.value["filenames"].as_array().unwrap();
    assert_eq!(names.len(), 2);
    assert_same_pixels(
        &m.read(names[0].as_str().unwrap()),
        &fixture_bytes("files/imgs_1_90d0a290aedfc1bda5f4.png"),
    );
    assert_same_pixels(
        &m.read(names[1].as_str().unwrap()),
        &fixture_bytes("files/imgs_1_ba8245aadece789b9d36.png"),
    );
    // From the official files the value is identical, hashes included.
    let a = Image::from_path(fixture("files/imgs_1_90d0a290aedfc1bda5f4.png")).unwrap();
    let b = Image::from_path(fixture("files/imgs_1_ba8245aadece789b9d36.png")).unwrap();
    let m = materialize(
        &Images::new(vec![a, b]).unwrap(),
        &run_info("mediarun1"),
        "imgs",
        MediaStep::Step(1),
    );
    assert_eq!(m.value, want);
}

#[test]
fn image_list_captions_masks_and_limit() {
    let a = Image::from_rgb8(6, 4, &red_dot()).unwrap().caption("a");
    let b = Image::from_rgb8(6, 4, &red_dot()).unwrap();
    let m = materialize(
        &Images::new(vec![a.clone(), b]).unwrap(),
        &run_info("r"),
        "mimgs2",
        MediaStep::Step(2),
    );
    assert_eq!(m.value["captions"], json!(["a", null]));
    let too_many = vec![a; MAX_IMAGES + 1];
    let err = Images::new(too_many).unwrap_err().to_string();
    assert!(err.contains("108"), "{err}");
}

#[test]
fn table_matches_golden_file_value_and_artifact() {
    let t = Table::from_rows(["a", "b", "c"], [cells![1, 2.5, "x"], cells![3, 4.5, "y"]]).unwrap();
    let m = materialize(&t, &run_info("mediarun1"), "tbl", MediaStep::Step(2));
    let want = golden_value("tbl");
    // Run file: byte-identical, so sha256/size/path are equal.
    let text = golden_field("tbl", "table_json_file_text");
    assert_eq!(t.run_file_json(), text.as_str().unwrap());
    for k in [
        "_type", "sha256", "size", "path", "ncols", "nrows", "log_mode",
    ] {
        assert_eq!(m.value[k], want[k], "field {k}");
    }
    let keys: Vec<&String> = m.value.as_object().unwrap().keys().collect();
    let want_keys: Vec<&String> = want.as_object().unwrap().keys().collect();
    assert_eq!(keys, want_keys);
    assert_eq!(
        m.read("media/table/tbl_2_9e5c4aef22f19118541b.table.json"),
        fixture_bytes("files/tbl_2_9e5c4aef22f19118541b.table.json")
    );
    // Artifact record.
    let a = m.artifact();
    let golden: serde_json::Value =
        serde_json::from_slice(&fixture_bytes("record_artifact_run_table.json")).unwrap();
    let g = &golden["artifact"];
    assert_eq!(a.run_id, g["run_id"].as_str().unwrap());
    assert_eq!(a.project, g["project"].as_str().unwrap());
    assert_eq!(a.r#type, "run_table");
    assert_eq!(a.name, g["name"].as_str().unwrap());
    assert_eq!(a.digest, g["digest"].as_str().unwrap());
    assert_eq!(a.aliases, vec!["latest".to_owned()]);
    assert!(a.finalize);
    assert_eq!(a.digest_algorithm, "MANIFEST_MD5");
    for id in [&a.client_id, &a.sequence_client_id] {
        assert_eq!(id.len(), 128);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    }
    assert_ne!(a.client_id, a.sequence_client_id);
    let man = a.manifest.as_ref().unwrap();
    assert_eq!(man.version, 1);
    assert_eq!(man.storage_policy, "wandb-storage-policy-v1");
    assert_eq!(man.storage_policy_config.len(), 1);
    assert_eq!(man.storage_policy_config[0].key, "storageLayout");
    assert_eq!(man.storage_policy_config[0].value_json, "\"V2\"");
    assert_eq!(man.contents.len(), 1);
    let e = &man.contents[0];
    let ge = &g["manifest"]["contents"][0];
    assert_eq!(e.path, ge["path"].as_str().unwrap());
    assert_eq!(e.digest, ge["digest"].as_str().unwrap());
    assert_eq!(e.size.to_string(), ge["size"].as_str().unwrap());
    // The staging copy is the artifact table file, byte for byte, read-only.
    let staged = std::fs::read(&e.local_path).unwrap();
    assert_eq!(staged, fixture_bytes("artifacts/tbl.table.json"));
    assert!(std::path::Path::new(&e.local_path).starts_with(m.dir.path()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&e.local_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o400);
    }
    // Value paths point at the record's client ids.
    assert_eq!(
        m.value["artifact_path"],
        json!(format!(
            "wandb-client-artifact://{}/tbl.table.json",
            a.client_id
        ))
    );
    assert_eq!(
        m.value["_latest_artifact_path"],
        json!(format!(
            "wandb-client-artifact://{}:latest/tbl.table.json",
            a.sequence_client_id
        ))
    );
}

#[test]
fn plot_tables_files_are_byte_identical() {
    // The tables of the wandb.plot.* calls in the media run.
    let cases: Vec<(&str, Table, &str)> = vec![
        (
            "line_plot_table",
            Table::from_rows(["x", "y"], (0..5).map(|x: i64| cells![x, x * x])).unwrap(),
            "line_plot_table_9_f0f6932c42bea9073343",
        ),
        (
            "bar_plot_table",
            Table::from_rows(["label", "value"], [cells!["a", 1], cells!["b", 3]]).unwrap(),
            "bar_plot_table_11_c8c765a122c30f364825",
        ),
        (
            "hist_plot_table",
            Table::from_rows(["v"], [1, 2, 2, 3].into_iter().map(|v| cells![v])).unwrap(),
            "hist_plot_table_12_6f11c086f439650fb2c1",
        ),
        (
            "cm_table",
            Table::from_rows(
                ["Actual", "Predicted", "nPredictions"],
                [
                    cells!["neg", "neg", 2.0],
                    cells!["neg", "pos", 0.0],
                    cells!["pos", "neg", 1.0],
                    cells!["pos", "pos", 1.0],
                ],
            )
            .unwrap(),
            "cm_table_13_78de6c060dd65025e533",
        ),
        (
            "line_series_table",
            Table::from_rows(
                ["step", "lineKey", "lineVal"],
                [
                    cells![0, "s1", 1],
                    cells![1, "s1", 2],
                    cells![2, "s1", 3],
                    cells![0, "s2", 3],
                    cells![1, "s2", 2],
                    cells![2, "s2", 1],
                ],
            )
            .unwrap(),
            "line_series_table_16_98bc34c88cb1a18adf95",
        ),
    ];
    for (key, t, file) in cases {
        assert_eq!(
            t.run_file_json().as_bytes(),
            fixture_bytes(&format!("files/{file}.table.json")),
            "{key} run file"
        );
        assert_eq!(
            t.artifact_json().as_bytes(),
            fixture_bytes(&format!("artifacts/{key}.table.json")),
            "{key} artifact file"
        );
    }
}

#[test]
fn table_with_image_and_html_cells_matches_oracle() {
    // Inputs of an oracle run (wandb 0.31.0): key "eval/preds" and "ht".
    let img = Image::from_path(fixture("files/img_0_90d0a290aedfc1bda5f4.png")).unwrap();
    let mut t = Table::new(["img", "x"]);
    t.add_row(cells![img.clone().caption("cap"), 1]).unwrap();
    t.add_row(cells![img, 2.5]).unwrap();
    t.add_row(cells![(), ()]).unwrap();
    assert_eq!(
        t.run_file_json().as_bytes(),
        fixture_bytes("oracle/run_eval_preds.table.json")
    );
    let m = materialize(&t, &run_info("dtexp2"), "eval/preds", MediaStep::Step(0));
    assert!(m.value["path"]
        .as_str()
        .unwrap()
        .starts_with("media/table/eval/preds_0_"));
    let a = m.artifact();
    let golden: serde_json::Value = serde_json::from_str(
        std::str::from_utf8(&fixture_bytes("oracle/exp2_artifact_records.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a.name, golden["name"].as_str().unwrap());
    assert_eq!(a.digest, golden["digest"].as_str().unwrap());
    let gc = golden["manifest"]["contents"].as_array().unwrap();
    let contents = &a.manifest.as_ref().unwrap().contents;
    assert_eq!(contents.len(), gc.len());
    for (e, g) in contents.iter().zip(gc) {
        assert_eq!(e.path, g["path"].as_str().unwrap());
        assert_eq!(e.digest, g["digest"].as_str().unwrap());
    }
    assert_eq!(
        std::fs::read(&contents[0].local_path).unwrap(),
        fixture_bytes("oracle/artifact_eval_preds.table.json")
    );

    let t2 = Table::from_rows(["h", "uni"], [cells![Html::new("<b>x</b>"), "é😀"]]).unwrap();
    assert_eq!(
        t2.run_file_json().as_bytes(),
        fixture_bytes("oracle/run_ht.table.json")
    );
    assert_eq!(
        t2.artifact_json().as_bytes(),
        fixture_bytes("oracle/artifact_ht.table.json")
    );
}

#[test]
fn same_table_logged_twice_reuses_file_and_artifact() {
    let t = Table::from_rows(["x", "y"], (0..5).map(|x: i64| cells![x, x * x])).unwrap();
    let run = run_info("mediarun1");
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let mut records = Vec::new();
    let first = {
        let mut ctx = wandb_core::MediaContext::new(
            &files,
            "line_plot_table",
            MediaStep::Step(9),
            &run,
            &mut records,
        );
        wandb_core::Media::materialize(&t, &mut ctx).unwrap()
    };
    let n = records.len();
    let again = t.clone();
    let second = {
        let mut ctx = wandb_core::MediaContext::new(
            &files,
            "scatter_plot_table",
            MediaStep::Step(10),
            &run,
            &mut records,
        );
        wandb_core::Media::materialize(&again, &mut ctx).unwrap()
    };
    assert_eq!(records.len(), n, "no new file or artifact record");
    assert_eq!(
        wandb_core::json::to_json_string(&first).unwrap(),
        wandb_core::json::to_json_string(&second).unwrap()
    );
    assert_eq!(
        second.as_map().unwrap()["path"].as_str().unwrap(),
        "media/table/line_plot_table_9_f0f6932c42bea9073343.table.json"
    );
    // A mutated copy is a new table.
    let mut changed = t.clone();
    changed.add_row(cells![5, 25]).unwrap();
    let mut ctx = wandb_core::MediaContext::new(
        &files,
        "line_plot_table",
        MediaStep::Step(11),
        &run,
        &mut records,
    );
    let third = wandb_core::Media::materialize(&changed, &mut ctx).unwrap();
    assert_ne!(
        third.as_map().unwrap()["path"],
        first.as_map().unwrap()["path"]
    );
}

#[test]
fn histogram_from_sequence_matches_golden() {
    let h = Histogram::from_i64(&[1, 2, 2, 3, 3, 3, 10]).unwrap();
    let m = materialize(&h, &run_info("mediarun1"), "hist", MediaStep::Step(3));
    assert_eq!(num_norm(&m.value), num_norm(&golden_value("hist")));
    // Exactly what wandb-core stored (Go number encoding, `1` for 1.0).
    let stored = golden_field("hist", "history_value");
    assert_eq!(m.value, stored);
    let h = Histogram::from_f64_bins(&[0.1, 0.2, 0.5, 0.7, 1.0], 4).unwrap();
    assert_eq!(
        wandb_core::json::to_json_string(&h.to_value()).unwrap(),
        r#"{"_type":"histogram","values":[2,1,1,1],"bins":[0.1,0.325,0.55,0.775,1]}"#
    );
}

#[test]
fn histogram_passthrough_matches_golden() {
    // np.histogram([1, 2, 3, 4], bins=3)
    let h = Histogram::from_np_histogram(vec![1.0, 1.0, 2.0], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let m = materialize(&h, &run_info("mediarun1"), "hist_np", MediaStep::Step(4));
    assert_eq!(num_norm(&m.value), num_norm(&golden_value("hist_np")));
    assert_eq!(m.value, golden_field("hist_np", "history_value"));
    let (counts, edges, _) = numpy_histogram(&[1.0f64, 2.0, 3.0, 4.0], 3);
    assert_eq!(counts, vec![1, 1, 2]);
    assert_eq!(edges, vec![1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn html_matches_golden_byte_for_byte() {
    let m = materialize(
        &Html::new("<b>hello</b>"),
        &run_info("mediarun1"),
        "html",
        MediaStep::Step(5),
    );
    assert_eq!(m.value, golden_value("html"));
    assert_eq!(
        m.read("media/html/html_5_e6b39dc156ffb15138b2.html"),
        fixture_bytes("files/html_5_e6b39dc156ffb15138b2.html")
    );
    // inject=False (checked with wandb 0.31.0).
    let m = materialize(
        &Html::without_injection("<i>x</i>"),
        &run_info("r"),
        "html_noinj",
        MediaStep::Step(6),
    );
    assert_eq!(
        m.value["path"],
        json!("media/html/html_noinj_6_46207cb26322bd73178e.html")
    );
    assert_eq!(m.value["size"], json!(8));
}

/// `np.sin(np.linspace(0, 100, 800)).astype(np.float32)`.
fn golden_sine() -> Vec<f32> {
    let n = 800;
    let step = 100.0f64 / (n - 1) as f64;
    (0..n)
        .map(|i| {
            let x = if i == n - 1 { 100.0 } else { i as f64 * step };
            x.sin() as f32
        })
        .collect()
}

#[test]
fn audio_matches_golden_wav() {
    let a = Audio::mono(&golden_sine(), 8000).unwrap().caption("sine");
    let m = materialize(&a, &run_info("mediarun1"), "audio", MediaStep::Step(6));
    let golden = fixture_bytes("files/audio_6_477e42581d341f19f076.wav");
    let ours = m.read(m.value["path"].as_str().unwrap());
    // Same header (RIFF/WAVE, PCM 16-bit mono 8000 Hz), same length.
    assert_eq!(ours.len(), golden.len());
    assert_eq!(&ours[..44], &golden[..44]);
    let diff = ours[44..]
        .chunks(2)
        .zip(golden[44..].chunks(2))
        .map(|(a, b)| {
            (i16::from_le_bytes([a[0], a[1]]) as i32 - i16::from_le_bytes([b[0], b[1]]) as i32)
                .abs()
        })
        .max()
        .unwrap();
    assert_eq!(diff, 0, "samples differ by up to {diff}");
    assert_eq!(ours, golden);
    assert_eq!(m.value, golden_value("audio"));
}

#[test]
fn video_from_gif_file_matches_golden() {
    let v = Video::from_path(fixture("files/video_7_d664e237156f5219e204.gif"))
        .unwrap()
        .caption("gif");
    let m = materialize(&v, &run_info("mediarun1"), "video", MediaStep::Step(7));
    assert_eq!(m.value, golden_value("video"));
}

#[test]
fn video_from_frames_has_official_keys() {
    let frames: Vec<u8> = (0..3 * 8 * 8 * 3).map(|i| (i * 37 % 255) as u8).collect();
    let v = Video::from_rgb8_frames(8, 8, &frames, 4).unwrap();
    let m = materialize(&v, &run_info("mediarun1"), "video_np", MediaStep::Step(8));
    let want = golden_value("video_np");
    let keys: Vec<&String> = m.value.as_object().unwrap().keys().collect();
    let want_keys: Vec<&String> = want.as_object().unwrap().keys().collect();
    assert_eq!(keys, want_keys);
    for k in ["_type", "width", "height"] {
        assert_eq!(m.value[k], want[k]);
    }
    let bytes = m.read(m.value["path"].as_str().unwrap());
    assert!(bytes.starts_with(b"GIF89a"));
    let frames = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).unwrap();
    let n = image::AnimationDecoder::into_frames(frames).count();
    assert_eq!(n, 3);
}
