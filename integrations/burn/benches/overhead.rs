//! Overhead of `WandbMetricLogger` + `watch(log=all, log_freq=100)` on the
//! `burn_regression` training loop (SupervisedTraining, flex backend) versus
//! the same loop without wandb (burn's in-memory logger, no run). Target: at
//! most 2% more wall time. The run is created before and finished after the
//! timed part (its threads work concurrently with training, as in real use).

#[path = "../../../examples/burn_regression.rs"]
#[allow(dead_code)]
mod example;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use wandb_burn::burn;

use burn::train::logger::MetricLogger;
use burn::train::metric::store::{MetricsUpdate, NumericMetricUpdate, Split};
use burn::train::metric::{
    MetricAttributes, MetricDefinition, MetricEntry, MetricId, NumericAttributes, NumericEntry,
    SerializedEntry,
};

fn config(wandb: bool) -> example::RegressionConfig {
    example::RegressionConfig::benchmark(wandb, 100)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("burn_regression_2_epochs");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for wandb in [false, true] {
        let name = if wandb {
            "wandb_logger_and_watch_100"
        } else {
            "no_wandb"
        };
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let tmp = tempfile::tempdir().unwrap();
                    let run = wandb.then(|| {
                        wandb_core::init(
                            wandb_core::InitOptions::new()
                                .project("burn-bench")
                                .dir(tmp.path())
                                .mode(wandb_core::Mode::Offline),
                        )
                        .unwrap()
                    });
                    let cfg = config(wandb);
                    let start = Instant::now();
                    example::train(run.as_ref(), &tmp.path().join("burn"), &cfg);
                    total += start.elapsed();
                    if let Some(run) = run {
                        run.finish().unwrap();
                    }
                }
                total
            })
        });
    }
    g.finish();
}

/// The per-batch cost of `WandbMetricLogger::log` (it runs on burn's event
/// store thread, next to the training thread), on a live offline run.
fn bench_logger_call(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("burn-bench-logger")
            .dir(tmp.path())
            .mode(wandb_core::Mode::Offline),
    )
    .unwrap();
    let mut logger = wandb_burn::WandbMetricLogger::new(&run);
    let name = Arc::new("Loss".to_owned());
    logger.log_metric_definition(MetricDefinition {
        metric_id: MetricId::new(name.clone()),
        name: name.clone(),
        description: None,
        attributes: MetricAttributes::Numeric(NumericAttributes {
            unit: None,
            higher_is_better: false,
        }),
    });
    let update = MetricsUpdate::new(
        Vec::new(),
        vec![NumericMetricUpdate::new(
            MetricEntry::new(
                MetricId::new(name),
                SerializedEntry::new("0.5".into(), "0.5".into()),
            ),
            Some(NumericEntry::Value(0.5)),
            None,
        )],
    );
    let mut baseline = burn::train::logger::InMemoryMetricLogger::new();
    baseline.log_metric_definition(MetricDefinition {
        metric_id: MetricId::new(Arc::new("Loss".to_owned())),
        name: Arc::new("Loss".to_owned()),
        description: None,
        attributes: MetricAttributes::None,
    });
    c.bench_function("in_memory_metric_logger_log_per_batch", |b| {
        b.iter(|| baseline.log(update.clone(), 1, &Split::Train))
    });
    c.bench_function("wandb_metric_logger_log_per_batch", |b| {
        b.iter(|| logger.log(update.clone(), 1, &Split::Train))
    });
    drop(logger);
    run.finish().unwrap();
}

criterion_group!(benches, bench, bench_logger_call);
criterion_main!(benches);
