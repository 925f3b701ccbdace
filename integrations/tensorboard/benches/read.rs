//! Reading throughput of scalar event files (target: >= 100 MB/s).
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wandb_tensorboard::{EventFileReader, SummaryWriter, WriterOptions};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let w = SummaryWriter::with_options(
        dir.path(),
        WriterOptions {
            flush_interval: None,
            ..WriterOptions::default()
        },
    )
    .unwrap();
    let tags = ["train/loss", "train/accuracy", "val/loss", "lr"];
    for step in 0..250_000i64 {
        for t in tags {
            w.add_scalar(t, step as f32 * 1e-3, step).unwrap();
        }
    }
    w.flush().unwrap();
    let path = w.path().to_path_buf();
    drop(w);
    let size = std::fs::metadata(&path).unwrap().len();
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Bytes(size));
    g.sample_size(10);
    g.bench_function(format!("scalar_events_{}MB", size >> 20), |b| {
        b.iter(|| {
            let mut r = EventFileReader::open(&path).unwrap();
            let mut n = 0u64;
            while let Some(ev) = r.next_event().unwrap() {
                n += ev.step as u64 & 1;
            }
            n
        })
    });
    g.bench_function(format!("scalar_events_reused_{}MB", size >> 20), |b| {
        b.iter(|| {
            let mut r = EventFileReader::open(&path).unwrap();
            let mut ev = wandb_tensorboard::proto::Event::default();
            let mut n = 0u64;
            while r.next_event_into(&mut ev).unwrap() {
                n += ev.step as u64 & 1;
            }
            n
        })
    });
    g.bench_function(format!("scalar_records_no_decode_{}MB", size >> 20), |b| {
        b.iter(|| {
            let mut r = EventFileReader::open(&path).unwrap();
            let mut n = 0usize;
            while let Some(rec) = r.next_record().unwrap() {
                n += rec.len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
