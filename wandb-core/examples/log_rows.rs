//! Logs N rows of 3 scalars into an offline run and prints the rate; used
//! by `scripts/bench-vs-python.sh` and for profiling.
//! `cargo run --release -p wandb-core --example log_rows -- [N] [DIR]`

use std::time::Instant;

fn main() -> wandb_core::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = args.next().unwrap_or_else(|| ".".into());
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .dir(&dir)
            .mode(wandb_core::Mode::Offline)
            .system_metrics(false),
    )?;
    let t = Instant::now();
    for i in 0..n {
        let x = i as f64 + 1.0;
        run.log(wandb_core::row! {"loss" => 1.0 / x, "acc" => 1.0 - 1.0 / x, "lr" => 1e-3})?;
    }
    let logged = t.elapsed();
    run.finish()?;
    let total = t.elapsed();
    let bytes = std::fs::metadata(run.wandb_file())
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "wandb-rs: {n} rows, log() {:.3} us/row on the caller, {:.0} rows/s until finish, {:.1} bytes/row, file {}",
        logged.as_secs_f64() * 1e6 / n as f64,
        n as f64 / total.as_secs_f64(),
        bytes as f64 / n as f64,
        run.wandb_file().display()
    );
    Ok(())
}
