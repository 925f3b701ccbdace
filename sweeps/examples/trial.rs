//! A sweep trial: a plain `wandb_core::init` gets the trial's parameters
//! (WANDB_SWEEP_PARAM_PATH, set by `wandb-rs sweep`) over the defaults given
//! here, "trains" a noisy quadratic and logs `loss` to an ordinary wandb-rs
//! run. Try:
//!
//! ```sh
//! cargo build -p wandb-sweeps --example trial
//! wandb-rs sweep sweeps/examples/bayes.yaml --count 12 --jobs 2 -- target/debug/examples/trial
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Defaults for a run outside a sweep; in a sweep its values win.
    let defaults = serde_json::json!({"lr": 1e-3, "batch_size": 32, "epochs": 5});
    let run = wandb_core::init(wandb_core::InitOptions::new().config(&defaults))?;
    let get = |k: &str| run.config().get(k).and_then(|v| v.as_f64()).unwrap_or(1.0);
    let (lr, batch, epochs) = (get("lr"), get("batch_size"), get("epochs"));
    for epoch in 0..epochs as u32 {
        // Best near lr = 1e-2 and batch = 64; improves with epochs.
        let loss = (lr.log10() + 2.0).powi(2)
            + 0.1 * (batch.log2() - 6.0).powi(2)
            + 1.0 / (epoch as f64 + 1.0);
        run.log(wandb_core::row! {"epoch" => epoch, "loss" => loss})?;
    }
    run.finish()?;
    Ok(())
}
