//! End to end: every data type logged to an offline run with `wandb::init`,
//! then read back with the official reader (`wandb leet inspect`) and checked
//! against the official media run and the files on disk.

mod common;

use std::path::Path;

use common::{fixture, fixture_bytes, golden_value, num_norm};
use serde_json::Value as J;
use wandb_core::{init, row, InitOptions, LogOptions, Mode};
use wandb_data_types::*;
use wandb_test_support::{leet_inspect, leet_summary};

fn red_dot() -> Vec<u8> {
    let mut px = vec![0u8; 4 * 6 * 3];
    px[(6 + 2) * 3] = 255;
    px
}

fn history_item(h: &J, key: &str) -> Option<J> {
    let items = h["history"]["item"].as_object()?;
    if let Some(v) = items.get(key) {
        return Some(v.clone());
    }
    let prefix = format!("{key}.");
    let nested: serde_json::Map<String, J> = items
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|f| (f.to_owned(), v.clone())))
        .collect();
    (!nested.is_empty()).then_some(J::Object(nested))
}

fn opts(dir: &Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Offline)
        .system_metrics(false)
        .environment([("HOME", dir.join("home").display().to_string())])
}

#[test]
fn every_data_type_in_an_offline_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).project("fmt-media").id("mediarun1")).unwrap();
    let sine: Vec<f32> = {
        let step = 100.0f64 / 799.0;
        (0..800)
            .map(|i| (if i == 799 { 100.0 } else { i as f64 * step }).sin() as f32)
            .collect()
    };
    let table =
        Table::from_rows(["a", "b", "c"], [cells![1, 2.5, "x"], cells![3, 4.5, "y"]]).unwrap();
    let frames: Vec<u8> = (0..3 * 8 * 8 * 3).map(|i| (i * 37 % 255) as u8).collect();
    let img = Image::from_rgb8(6, 4, &red_dot()).unwrap();
    let mask = ImageMask::new(
        6,
        4,
        &[
            0, 1, 1, 0, 0, 2, 0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,
        ],
        [(0, "bg"), (1, "obj"), (2, "x")],
    )
    .unwrap();
    let boxes = BoundingBoxes::new(
        vec![BoxData::new(
            BoxPosition::MinMax {
                min_x: 0.1,
                max_x: 0.5,
                min_y: 0.2,
                max_y: 0.6,
            },
            1,
        )
        .caption("cat")],
        [(1, "cat")],
    );
    let log =
        |step: u64, r: wandb_core::Row| run.log_with(r, LogOptions::new().step(step)).unwrap();
    log(0, row! {"img" => img.clone().caption("red dot")});
    log(
        1,
        row! {"imgs" => Images::new(vec![img.clone(), Image::from_rgb8(6, 4, &[7; 72]).unwrap()]).unwrap()},
    );
    log(2, row! {"tbl" => table.clone()});
    log(
        3,
        row! {"hist" => Histogram::from_i64(&[1, 2, 2, 3, 3, 3, 10]).unwrap()},
    );
    log(
        4,
        row! {"hist_np" => Histogram::from_np_histogram(vec![1.0, 1.0, 2.0], vec![1.0, 2.0, 3.0, 4.0]).unwrap()},
    );
    log(5, row! {"html" => Html::new("<b>hello</b>")});
    log(
        6,
        row! {"audio" => Audio::mono(&sine, 8000).unwrap().caption("sine")},
    );
    log(
        7,
        row! {"video" => Video::from_path(fixture("files/video_7_d664e237156f5219e204.gif")).unwrap().caption("gif")},
    );
    log(
        8,
        row! {"video_np" => Video::from_rgb8_frames(8, 8, &frames, 4).unwrap()},
    );
    log(
        9,
        row! {"seg" => img.clone().mask("gt", mask).unwrap().boxes("predictions", boxes), "tbl_again" => table},
    );
    run.summary().set("final_img", img).unwrap();
    let wandb_file = run.wandb_file().to_path_buf();
    let files_dir = run.files_dir().to_path_buf();
    run.finish().unwrap();

    let records = leet_inspect(&wandb_file);
    let histories: Vec<&J> = records.iter().filter(|r| r["type"] == "history").collect();
    assert_eq!(histories.len(), 10);
    let item = |step: usize, key: &str| {
        history_item(histories[step], key)
            .unwrap_or_else(|| panic!("{key} missing in {}", histories[step]))
    };

    // Values identical to the official run where the bytes are identical.
    for (step, key) in [(2, "tbl"), (5, "html"), (6, "audio"), (7, "video")] {
        let ours = item(step, key);
        let want = golden_value(key);
        for (k, v) in want.as_object().unwrap() {
            if k.contains("artifact_path") {
                continue;
            }
            assert_eq!(num_norm(&ours[k]), num_norm(v), "{key}.{k}");
        }
    }
    for (step, key) in [(3, "hist"), (4, "hist_np")] {
        assert_eq!(
            num_norm(&item(step, key)),
            num_norm(&golden_value(key)),
            "{key}"
        );
    }
    // PNG/GIF values: same type and keys, files present.
    for (step, key) in [(0, "img"), (8, "video_np")] {
        let ours = item(step, key);
        let want = golden_value(key);
        let mut a: Vec<&String> = ours.as_object().unwrap().keys().collect();
        let mut b: Vec<&String> = want.as_object().unwrap().keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{key} keys");
        assert_eq!(ours["_type"], want["_type"]);
        let bytes = std::fs::read(files_dir.join(ours["path"].as_str().unwrap())).unwrap();
        assert_eq!(J::from(bytes.len()), ours["size"]);
    }
    let imgs = item(1, "imgs");
    assert_eq!(imgs["_type"], "images/separated");
    assert_eq!(imgs["count"], 2);
    for f in imgs["filenames"].as_array().unwrap() {
        assert!(files_dir.join(f.as_str().unwrap()).exists());
    }
    // Same bytes on disk as the official run.
    assert_eq!(
        std::fs::read(files_dir.join("media/table/tbl_2_9e5c4aef22f19118541b.table.json")).unwrap(),
        fixture_bytes("files/tbl_2_9e5c4aef22f19118541b.table.json")
    );
    assert_eq!(
        std::fs::read(files_dir.join("media/audio/audio_6_477e42581d341f19f076.wav")).unwrap(),
        fixture_bytes("files/audio_6_477e42581d341f19f076.wav")
    );

    // Masks and boxes: files, values and class labels in the config.
    let seg = item(9, "seg");
    // The official reader joins nested keys with dots.
    assert_eq!(seg["masks.gt._type"], "mask", "{seg}");
    assert_eq!(seg["boxes.predictions._type"], "boxes2D");
    let mask_path = seg["masks.gt.path"].as_str().unwrap();
    assert!(mask_path.starts_with("media/images/mask/seg_9_") && mask_path.ends_with(".mask.png"));
    assert!(files_dir.join(mask_path).exists());
    let box_path = seg["boxes.predictions.path"].as_str().unwrap();
    assert!(box_path.starts_with("media/metadata/boxes2D/seg_9_"));
    let configs: String = records
        .iter()
        .filter(|r| r["type"] == "config")
        .map(|r| r.to_string())
        .collect();
    assert!(configs.contains("seg_wandb_delimeter_gt"), "{configs}");
    assert!(
        configs.contains("seg_wandb_delimeter_predictions"),
        "{configs}"
    );
    // The re-logged table points at the first file and artifact.
    assert_eq!(item(9, "tbl_again")["path"], item(2, "tbl")["path"]);
    assert_eq!(
        item(9, "tbl_again")["artifact_path"],
        item(2, "tbl")["artifact_path"]
    );

    // One run_table artifact, identical digest to the official one.
    let artifacts: Vec<&J> = records.iter().filter(|r| r["type"] == "artifact").collect();
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    let art = artifacts[0].to_string();
    assert!(art.contains("run-mediarun1-tbl"), "{art}");
    assert!(art.contains("47dd5fb51036074954453148d3ec0f15"), "{art}");

    // Every media file has a files record.
    let files: String = records
        .iter()
        .filter(|r| r["type"] == "files")
        .map(|r| r.to_string())
        .collect();
    for p in [
        mask_path,
        box_path,
        "media/html/html_5_e6b39dc156ffb15138b2.html",
    ] {
        assert!(files.contains(p), "no files record for {p}");
    }

    let summary = leet_summary(&wandb_file);
    assert_eq!(summary["state"], "finished");
    let fi = &summary["summary"]["final_img"];
    assert_eq!(fi["_type"], "image-file");
    assert!(fi["path"]
        .as_str()
        .unwrap()
        .starts_with("media/images/final_img_summary_"));
}
