//! Bayes suggestion latency at 100 and 1000 finished runs (4 searchable
//! parameters and a constant), the history of benches/sweeps_vs_python.py.
//! Compare: `$(scripts/sweeps-venv.sh) sweeps/benches/sweeps_vs_python.py`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::json;
use wandb_sweeps::rng::Mt19937;
use wandb_sweeps::{bayes_next, RunState, SweepConfig, SweepRun};

fn config() -> SweepConfig {
    SweepConfig::from_value(json!({
        "method": "bayes",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {
            "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0},
            "bs": {"values": [16, 32, 64, 128]},
            "depth": {"min": 1, "max": 8},
            "drop": {"min": 0.0, "max": 0.5},
            "act": {"value": "relu"}
        }
    }))
    .expect("valid config")
}

/// `n` finished runs with a smooth objective (deterministic).
pub fn history(n: usize) -> Vec<SweepRun> {
    let mut rng = Mt19937::numpy(1234);
    (0..n)
        .map(|i| {
            let lr = 10f64.powf(-4.0 + 4.0 * rng.next_f64());
            let bs = [16, 32, 64, 128][rng.numpy_randint(0, 4) as usize];
            let depth = rng.numpy_randint(1, 9);
            let drop = 0.5 * rng.next_f64();
            let loss = (lr.log10() + 2.2).powi(2)
                + 0.3 * ((bs as f64).log2() - 5.0).abs()
                + 0.1 * (depth as f64 - 5.0).powi(2)
                + (drop - 0.2).powi(2);
            let cfg = json!({"lr": {"value": lr}, "bs": {"value": bs}, "depth": {"value": depth},
                             "drop": {"value": drop}, "act": {"value": "relu"}});
            let mut run = SweepRun::new(
                format!("r{i}"),
                RunState::Finished,
                cfg.as_object().cloned().unwrap_or_default(),
            );
            run.push("loss", loss);
            run
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cfg = config();
    let mut group = c.benchmark_group("bayes_suggestion");
    group.sample_size(20);
    for n in [100usize, 1000] {
        let runs = history(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &runs, |b, runs| {
            let mut rng = Mt19937::numpy(0);
            b.iter(|| bayes_next(&cfg, runs, &mut rng).expect("suggestion"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
