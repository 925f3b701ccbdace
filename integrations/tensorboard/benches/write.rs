//! Cost of one `add_scalar` (target: p50 <= 0.5 us): events are buffered in
//! memory and written at the size threshold, on flush, or by the background
//! flusher.
use criterion::{criterion_group, criterion_main, Criterion};
use wandb_tensorboard::SummaryWriter;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let w = SummaryWriter::new(dir.path()).unwrap();
    let mut step = 0i64;
    c.bench_function("add_scalar", |b| {
        b.iter(|| {
            step += 1;
            w.add_scalar("train/loss", 0.25, step).unwrap();
        })
    });
    w.flush().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
