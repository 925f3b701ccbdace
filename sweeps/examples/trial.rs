//! A sweep trial: reads its parameters from the sweep (WANDB_SWEEP_PARAM_PATH,
//! set by `wandb-rs sweep`), "trains" a noisy quadratic and logs `loss` to an
//! ordinary wandb-rs run. Try:
//!
//! ```sh
//! cargo build -p wandb-sweeps --example trial
//! wandb-rs sweep sweeps/examples/bayes.yaml --count 12 --jobs 2 -- target/debug/examples/trial
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let params = wandb_sweeps::sweep_params_from_env()?.unwrap_or_default();
    let get = |k: &str, d: f64| params.get(k).and_then(|v| v.as_f64()).unwrap_or(d);
    let (lr, batch, epochs) = (get("lr", 1e-3), get("batch_size", 32.0), get("epochs", 5.0));
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("sweep-demo")
            .config(&params),
    )?;
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
