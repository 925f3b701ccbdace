//! TensorBoard: event files written during training are mirrored into an
//! offline W&B run, as the official `sync_tensorboard=True` does.
//!
//! ```sh
//! cargo run --example tensorboard --features tensorboard
//! tensorboard --logdir runs/tensorboard-example   # the same data in TensorBoard
//! ```
//! Each event becomes a history row keyed `<subdirectory>/<tag>`
//! (`train/loss`) with `global_step`; the event files are saved with the run.

use wandb::tensorboard::{self, SummaryWriter};
use wandb::{InitOptions, Mode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let logdir = std::path::Path::new("runs/tensorboard-example");
    let run = wandb::init(
        InitOptions::new()
            .project("tensorboard-example")
            .mode(Mode::Offline),
    )?;
    let tb = tensorboard::sync(&run, logdir)?;
    let train = SummaryWriter::new(logdir.join("train"))?;
    let eval = SummaryWriter::new(logdir.join("eval"))?;
    for step in 0..50i64 {
        let loss = 2.0 / (1.0 + step as f32);
        train.add_scalar("loss", loss, step)?;
        if step % 10 == 9 {
            eval.add_scalar("accuracy", 1.0 - loss / 2.0, step)?;
        }
    }
    train.close()?;
    eval.close()?;
    println!("run directory: {}", run.dir().display());
    // finish reads everything written to the log directory first
    run.finish()?;
    println!("TensorBoard rows mirrored: {}", tb.rows_logged());
    Ok(())
}
