//! Best-of-N latency of the hot paths (criterion's mean is inflated on a
//! busy machine; the minimum shows the cost of the code itself).
//! `cargo bench -p wandb-data-types --bench latency`

use std::hint::black_box;
use std::time::Instant;

use wandb_core::{Media, MediaContext, MediaStep, RunInfo};
use wandb_data_types::{finite_min_max_f32, histc_f32, Histogram, Image};

fn best_of(n: usize, mut f: impl FnMut()) -> f64 {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let mut s = 0x9E37_79B9u32;
    let v: Vec<f32> = (0..1_000_000)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32) * 4.0 - 2.0
        })
        .collect();
    let mut counts = [0u64; 64];
    let h = best_of(200, || {
        black_box(Histogram::from_f32(black_box(&v)).unwrap());
    });
    let c = best_of(200, || {
        black_box(histc_f32(black_box(&v), -2.0, 2.0, &mut counts));
    });
    let m = best_of(200, || {
        black_box(finite_min_max_f32(black_box(&v)));
    });

    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let run = RunInfo::default();
    let px: Vec<u8> = (0..256 * 256)
        .flat_map(|i: usize| {
            let (x, y) = (i % 256, i / 256);
            [x as u8, y as u8, ((x + y) / 2) as u8]
        })
        .collect();
    let mut step = 0;
    let i = best_of(200, || {
        let img = Image::from_rgb8(256, 256, &px).unwrap();
        let mut records = Vec::new();
        let mut ctx = MediaContext::new(&files, "img", MediaStep::Step(step), &run, &mut records);
        step += 1;
        black_box(img.materialize(&mut ctx).unwrap());
    });
    println!(
        "best of 200 (ms): Histogram::from_f32 1M {h:.3} | histc_f32 1M {c:.3} | finite_min_max_f32 1M {m:.3} | Image 256x256 RGB encode+materialize {i:.3}"
    );
}
