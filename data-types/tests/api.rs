//! Constructors and validation of the public API.

mod common;

use common::*;
use wandb_core::MediaStep;
use wandb_data_types::*;

#[test]
fn image_constructors_and_validation() {
    // f32 in [0,1]: Auto scales by 255, Cast reproduces wandb 0.31.0.
    let img = Image::from_f32(3, 1, 1, &[0.0, 0.5, 1.0]).unwrap();
    assert_eq!(
        decode_rgba(img.bytes()).2,
        vec![0, 0, 0, 255, 127, 127, 127, 255, 255, 255, 255, 255]
    );
    let cast = Image::from_f32_scaled(3, 1, 1, &[0.0, 0.5, 1.0], FloatScaling::Cast).unwrap();
    assert_eq!(
        decode_rgba(cast.bytes()).2[..9],
        [0, 0, 0, 255, 0, 0, 0, 255, 1]
    );
    // DynamicImage and JPEG.
    let dynimg = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
        5,
        2,
        image::Rgba([1, 2, 3, 4]),
    ));
    let img = Image::from_dynamic(&dynimg).unwrap();
    assert_eq!((img.width(), img.height(), img.format()), (5, 2, "png"));
    assert_eq!(decode_rgba(img.bytes()).2[..4], [1, 2, 3, 4]);
    let jpg = img.into_jpeg(90).unwrap();
    assert_eq!(jpg.format(), "jpg");
    let m = materialize(&jpg, &run_info("r"), "j", MediaStep::Step(0));
    assert!(m.value["path"].as_str().unwrap().ends_with(".jpg"));
    assert_eq!(m.value["format"], "jpg");
    // Errors are values, not panics.
    assert!(Image::from_rgb8(2, 2, &[0; 11]).is_err());
    assert!(Image::from_u8(1, 1, 2, &[0, 0]).is_err());
    assert!(Image::from_rgb8(0, 1, &[]).is_err());
    assert!(Image::from_path("/nonexistent/x.png").is_err());
    let mask = ImageMask::new(2, 2, &[0, 1, 1, 0], [(0, "a"), (1, "b")]).unwrap();
    assert!(Image::from_rgb8(3, 1, &[0; 9])
        .unwrap()
        .mask("m", mask)
        .is_err());
}

#[test]
fn table_building() {
    #[derive(serde::Serialize)]
    struct Row {
        epoch: u32,
        loss: f64,
        tag: Option<&'static str>,
    }
    let t = Table::from_serialize(&[
        Row {
            epoch: 1,
            loss: 0.5,
            tag: Some("a"),
        },
        Row {
            epoch: 2,
            loss: 0.25,
            tag: None,
        },
    ])
    .unwrap();
    assert_eq!(t.columns(), ["epoch", "loss", "tag"]);
    assert_eq!(
        t.run_file_json(),
        r#"{"columns":["epoch","loss","tag"],"data":[[1,0.5,"a"],[2,0.25,null]]}"#
    );

    let mut t = Table::new(["x"]);
    t.add_row(cells![1]).unwrap();
    t.add_row(cells![2]).unwrap();
    t.add_column("y", cells!["a", "b"]).unwrap();
    assert_eq!(t.rows()[1][1].as_str(), Some("b"));
    assert!(t.add_column("z", cells![1]).is_err(), "wrong length");
    assert!(t.add_column("y", cells![1, 2]).is_err(), "duplicate name");
    assert!(t.add_row(cells![1]).is_err(), "wrong width");
    let err = t.add_row(cells!["s", "c"]).unwrap_err().to_string();
    assert!(err.contains("\"x\""), "{err}");
    assert_eq!(t.column("x").unwrap().len(), 2);

    let mut empty = Table::default();
    empty.add_column("only", cells![1, 2, 3]).unwrap();
    assert_eq!(empty.nrows(), 3);
}

#[test]
fn table_row_limits() {
    let mut t = Table::new(["i"]);
    for i in 0..MAX_RUN_FILE_ROWS + 5 {
        t.add_row(cells![i as i64]).unwrap();
    }
    // The run file holds the first 10 000 rows; the value counts them all.
    let json: serde_json::Value = serde_json::from_str(&t.run_file_json()).unwrap();
    assert_eq!(json["data"].as_array().unwrap().len(), MAX_RUN_FILE_ROWS);
    let m = materialize(&t, &run_info("r"), "big", MediaStep::Step(0));
    assert_eq!(m.value["nrows"], (MAX_RUN_FILE_ROWS + 5) as u64);
    let staged = &m.artifact().manifest.as_ref().unwrap().contents[0].local_path;
    let art: serde_json::Value = serde_json::from_slice(&std::fs::read(staged).unwrap()).unwrap();
    assert_eq!(art["nrows"], (MAX_RUN_FILE_ROWS + 5) as u64);
}

#[test]
fn histogram_helpers() {
    let h = Histogram::from_f32(&[0.1, 0.2, f32::NAN, 0.9]).unwrap();
    assert_eq!(h.dropped_non_finite(), 1);
    assert_eq!(h.counts().iter().sum::<f64>(), 3.0);
    assert_eq!(h.edges()[0], 0.1f32 as f64);
    let s = wandb_core::json::to_json_string(&summary_array(&[1.0; 40])).unwrap();
    assert!(
        s.starts_with(r#"{"_type":"numpy.ndarray","var":0,"mean":1,"min":1,"max":1"#),
        "{s}"
    );
    assert_eq!(
        finite_min_max_f32(&[f32::INFINITY, 1.0, -3.0, f32::NAN]),
        Some((-3.0, 1.0))
    );
    assert_eq!(finite_min_max_f32(&[f32::NAN]), None);
}

#[test]
fn audio_and_video_validation() {
    assert!(Audio::from_f32(&[0.0; 3], 2, 8000).is_err());
    assert!(Audio::from_f32(&[0.0; 4], 0, 8000).is_err());
    let st = Audio::stereo(&[0.5, -0.5], &[1.0, -1.0], 16000).unwrap();
    let r = hound::WavReader::new(std::io::Cursor::new(st.bytes())).unwrap();
    assert_eq!(r.spec().channels, 2);
    let s: Vec<i16> = r.into_samples::<i16>().map(|x| x.unwrap()).collect();
    assert_eq!(s, vec![16384, 32767, -16384, -32768]);
    assert!(Video::from_rgb8_frames(2, 2, &[0; 11], 4).is_err());
    assert!(Video::from_rgb8_frames(2, 2, &[0; 12], 0).is_err());
    assert!(Video::from_path("clip.avi").is_err());
}
