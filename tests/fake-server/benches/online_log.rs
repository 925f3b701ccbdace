//! Sustained online logging to the fake server: the cost of `log()` with the
//! uploader running (vs offline), and end-to-end throughput (rows logged,
//! streamed and acknowledged per second).

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wandb_core::{init, row, Console, InitOptions, Mode, Run};
use wandb_fake_server::FakeServer;

fn start(server: &FakeServer, dir: &std::path::Path, mode: Mode, id: &str) -> Run {
    init(
        InitOptions::new()
            .dir(dir)
            .mode(mode)
            .project("bench")
            .entity("me")
            .id(id)
            .console(Console::Off)
            .system_metrics(false)
            .environment([
                ("HOME", dir.join("home").display().to_string()),
                ("WANDB_API_KEY", server.api_key().to_string()),
                ("WANDB_BASE_URL", server.url().to_string()),
                // file_stream requests every 1 s instead of 15 s
                ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "1".to_string()),
            ]),
    )
    .unwrap()
}

fn log_call(c: &mut Criterion) {
    let server = FakeServer::start();
    let mut g = c.benchmark_group("log_call");
    g.throughput(Throughput::Elements(1));
    for (name, mode) in [("offline", Mode::Offline), ("online", Mode::Online)] {
        let tmp = tempfile::tempdir().unwrap();
        let run = start(&server, tmp.path(), mode, &format!("call-{name}"));
        let mut i = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                run.log(row! {"loss" => 1.0 / (i as f64), "acc" => 0.5, "epoch" => i / 1000})
                    .unwrap();
            })
        });
        run.finish().unwrap();
    }
    g.finish();
}

const ROWS: u64 = 100_000;

fn sustained(c: &mut Criterion) {
    let server = FakeServer::start();
    let mut g = c.benchmark_group("online_sustained");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS));
    let mut n = 0;
    g.bench_function("100k_rows_logged_and_acknowledged", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let id = format!("sustained{n}");
                let tmp = tempfile::tempdir().unwrap();
                let t = Instant::now();
                let run = start(&server, tmp.path(), Mode::Online, &id);
                for i in 0..ROWS {
                    run.log(
                        row! {"loss" => 1.0 / (i as f64 + 1.0), "acc" => 0.5, "epoch" => i / 1000},
                    )
                    .unwrap();
                }
                run.finish().unwrap();
                total += t.elapsed();
                let got = server.run("me", "bench", &id).unwrap();
                assert_eq!(got.stream("wandb-history.jsonl").lines.len() as u64, ROWS);
                assert!(got.complete);
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, log_call, sustained);
criterion_main!(benches);
