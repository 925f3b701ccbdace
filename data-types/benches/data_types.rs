//! Speed targets: Histogram of 1M f32 (≤ 2 ms), Image 256x256 RGB
//! encode + materialize (≤ 2 ms), Table of 10k rows (build + materialize).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use wandb_core::{Media, MediaContext, MediaStep, RunInfo};
use wandb_data_types::{cells, histc_f32, Histogram, Image, Table};

fn values(n: usize) -> Vec<f32> {
    let mut s = 0x9E37_79B9u32;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32) * 4.0 - 2.0
        })
        .collect()
}

fn bench_histogram(c: &mut Criterion) {
    let v = values(1_000_000);
    c.bench_function("histogram_numpy_1M_f32_64bins", |b| {
        b.iter(|| Histogram::from_f32(black_box(&v)).unwrap())
    });
    let mut counts = [0u64; 64];
    c.bench_function("histc_1M_f32_64bins", |b| {
        b.iter(|| histc_f32(black_box(&v), -2.0, 2.0, &mut counts))
    });
}

fn bench_image(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let run = RunInfo {
        run_id: "bench".into(),
        ..Default::default()
    };
    // A smooth gradient with some noise, like a real picture.
    let px: Vec<u8> = (0..256 * 256)
        .flat_map(|i| {
            let (x, y) = (i % 256, i / 256);
            let n = ((i * 2_654_435_761usize) >> 28) as u8 & 7;
            [x as u8 ^ n, y as u8, (x + y) as u8 / 2]
        })
        .collect();
    let mut step = 0u64;
    c.bench_function("image_256x256_rgb_encode_materialize", |b| {
        b.iter(|| {
            let img = Image::from_rgb8(256, 256, black_box(&px)).unwrap();
            let mut records = Vec::new();
            let mut ctx =
                MediaContext::new(&files, "img", MediaStep::Step(step), &run, &mut records);
            step += 1;
            img.materialize(&mut ctx).unwrap()
        })
    });
}

fn bench_table(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    // Keep staging files inside the temp dir.
    let run = RunInfo {
        run_id: "bench".into(),
        ..Default::default()
    };
    let mut step = 0u64;
    c.bench_function("table_10k_rows_build_materialize", |b| {
        b.iter(|| {
            let mut t = Table::new(["step", "loss", "label", "ok"]);
            for i in 0..10_000i64 {
                t.add_row(cells![
                    i,
                    1.0 / (i as f64 + 1.0),
                    format!("class_{}", i % 10),
                    i % 2 == 0
                ])
                .unwrap();
            }
            let mut records = Vec::new();
            let mut ctx =
                MediaContext::new(&files, "tbl", MediaStep::Step(step), &run, &mut records);
            step += 1;
            t.materialize(&mut ctx).unwrap()
        })
    });
}

criterion_group!(benches, bench_histogram, bench_image, bench_table);
criterion_main!(benches);
