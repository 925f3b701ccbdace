//! Quickstart: an offline run in `./wandb/`, no account needed.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//! It prints a header and, at the end, sparklines of the metrics and the
//! summary; upload the run with the official CLI (`wandb sync <dir>`) or
//! ours (`cargo run -p wandb-cli -- sync <dir>`).

use wandb::{row, InitOptions, LogOptions, MetricDefinition, MetricSummary, Mode};

#[derive(serde::Serialize)]
struct Hyperparameters {
    learning_rate: f64,
    batch_size: u32,
    layers: Vec<u32>,
}

pub fn main() -> wandb::Result<()> {
    let run = wandb::init(
        InitOptions::new()
            .project("quickstart")
            .mode(Mode::Offline)
            .config(&Hyperparameters {
                learning_rate: 3e-4,
                batch_size: 64,
                layers: vec![128, 64],
            })
            .tags(["example"]),
    )?;
    run.define_metric(
        MetricDefinition::new("val/loss")
            .step_metric("epoch")
            .summary(MetricSummary::Min),
    )?;

    let mut step = 0u64;
    for epoch in 0..5u32 {
        for batch in 0..200u32 {
            let t = (epoch * 200 + batch) as f64;
            let loss = 2.0 * (-t / 300.0).exp() + 0.05 * (t / 7.0).sin().abs();
            run.log(row! {"train/loss" => loss, "train/lr" => 3e-4 * 0.99f64.powi(epoch as i32), "epoch" => epoch})?;
            step += 1;
        }
        let val_loss = 1.5 * (-(epoch as f64) / 2.0).exp() + 0.1;
        // A partial row: joins the next committed row (the official commit=False).
        run.log_with(
            row! {"val/loss" => val_loss},
            LogOptions::new().commit(false),
        )?;
        run.log(row! {"val/acc" => 1.0 - val_loss / 2.0, "epoch" => epoch})?;
        step += 1;
    }
    run.summary().set("steps", step)?;

    // The footer (sparklines, summary, how to upload) is printed on stderr.
    run.finish()?;
    Ok(())
}
