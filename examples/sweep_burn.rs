//! Hyperparameter sweeps of the `burn_regression` example without a server:
//! a grid sweep and a bayes sweep over the learning rate and the batch size,
//! chosen by the local controller of `wandb-sweeps` (the official `sweeps`
//! package's algorithms, docs/sweeps.md) and trained in this process. Every
//! trial is an ordinary offline run in the group of its sweep.
//!
//! ```sh
//! cargo run --release --example sweep_burn --features burn,sweeps
//! ```
//!
//! The size is tiny so that the whole example takes seconds; raise
//! `trial_config` for a real search.

#[path = "burn_regression.rs"]
#[allow(dead_code)]
mod regression;

use serde_json::{json, Map, Value as JValue};
use wandb::sweeps::{Controller, RunState, SweepConfig, SweepRun};
use wandb::{InitOptions, Mode, Value};

/// The metric the sweeps minimise: burn's validation loss.
const METRIC: &str = "valid/Loss";

const GRID: &str = r#"
method: grid
metric: {name: valid/Loss, goal: minimize}
parameters:
  learning_rate: {values: [0.01, 0.05, 0.1]}
  batch_size: {values: [16, 32]}
"#;

const BAYES: &str = r#"
method: bayes
metric: {name: valid/Loss, goal: minimize}
run_cap: 4
parameters:
  learning_rate: {min: 0.001, max: 0.2, distribution: log_uniform_values}
  batch_size: {values: [16, 32, 64]}
"#;

/// The trial's training setup: the example's model at test size.
fn trial_config(learning_rate: f64, batch_size: usize) -> regression::RegressionConfig {
    regression::RegressionConfig {
        epochs: 1,
        train_size: 64,
        valid_size: 32,
        batch_size,
        hidden: 8,
        learning_rate,
        wandb: true,
        watch_log_freq: 1000,
    }
}

/// A number from the summary: a plain value, or the `min` of a metric with
/// a summary aggregate.
fn summary_number(v: &Value) -> Option<f64> {
    match v {
        Value::Map(m) => m
            .get("min")
            .or_else(|| m.get("last"))
            .and_then(summary_number),
        other => other.as_f64(),
    }
}

/// Trains one trial as a run of the sweep `sweep`; returns its validation loss.
fn trial(sweep: &str, params: &Map<String, JValue>) -> Result<f64, Box<dyn std::error::Error>> {
    let value = |k: &str| params.get(k).and_then(|p| p.get("value")).cloned();
    let lr = value("learning_rate")
        .and_then(|v| v.as_f64())
        .ok_or("no learning_rate")?;
    let batch = value("batch_size")
        .and_then(|v| v.as_u64())
        .ok_or("no batch_size")?;
    let cfg = trial_config(lr, usize::try_from(batch)?);
    let run = wandb::init(
        InitOptions::new()
            .project("sweep-burn")
            .mode(Mode::Offline)
            .group(sweep)
            .job_type("trial")
            .quiet(true)
            .system_metrics(false)
            .config(&json!({"learning_rate": lr, "batch_size": batch, "epochs": cfg.epochs})),
    )?;
    let dir = std::env::temp_dir().join(format!("sweep-burn-{}", run.id()));
    regression::train(Some(&run), &dir, &cfg);
    let loss = run
        .summary()
        .get(METRIC)?
        .as_ref()
        .and_then(summary_number)
        .ok_or("the trial logged no validation loss")?;
    run.finish()?;
    // burn's checkpoints of the trial
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "  trial {}: batch_size={batch} learning_rate={lr} {METRIC}={loss:.6}",
        run.id()
    );
    Ok(loss)
}

/// Runs one sweep to its end (grid exhausted or `run_cap`); returns the best
/// (loss, parameters).
fn sweep(name: &str, yaml: &str) -> Result<(f64, Map<String, JValue>), Box<dyn std::error::Error>> {
    let config = SweepConfig::from_yaml(yaml)?;
    let sweep_id = format!("{name}-{}", wandb::generate_run_id());
    println!("{name} sweep {sweep_id}:");
    let mut controller = Controller::new(config, 7);
    let mut best: Option<(f64, Map<String, JValue>)> = None;
    let mut n = 0;
    while let Some(params) = controller.suggest()? {
        n += 1;
        let loss = trial(&sweep_id, &params)?;
        let mut run = SweepRun::new(format!("{name}-{n}"), RunState::Finished, params.clone());
        run.push(METRIC, loss);
        controller.upsert(run);
        if best.as_ref().is_none_or(|(b, _)| loss < *b) {
            best = Some((loss, params));
        }
    }
    let best = best.ok_or("the sweep suggested no run")?;
    println!(
        "{name}: {n} runs, best {METRIC}={:.6} with {}",
        best.0,
        JValue::Object(best.1.clone())
    );
    Ok(best)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    sweep("grid", GRID)?;
    sweep("bayes", BAYES)?;
    Ok(())
}
