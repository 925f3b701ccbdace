//! TensorBoard both ways, offline:
//!
//! 1. a training loop writes TensorBoard event files (`SummaryWriter`) into
//!    `tb_demo/logs/{train,val}` while `sync` mirrors them into a W&B run;
//! 2. `TensorBoardMirror` writes what the run logs into `tb_demo/mirror`,
//!    so `tensorboard --logdir tb_demo` shows both without an account.
//!
//! Run: `cargo run -p wandb-tensorboard --example tensorboard_both_ways`,
//! then `wandb sync tb_demo/wandb/offline-run-*` or `tensorboard --logdir tb_demo`.
use wandb_core::{row, InitOptions, Mode};
use wandb_tensorboard::{sync, SummaryWriter, TensorBoardMirror};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new("tb_demo");
    let run = wandb_core::init(
        InitOptions::new()
            .project("tensorboard-demo")
            .dir(root)
            .mode(Mode::Offline),
    )?;

    // TensorBoard -> W&B: keys become train/loss, val/loss, train/weights.
    let tb_sync = sync(&run, root.join("logs"))?;
    let train = SummaryWriter::new(root.join("logs/train"))?;
    let val = SummaryWriter::new(root.join("logs/val"))?;
    for step in 0..100i64 {
        let loss = 1.0 / (step as f32 + 1.0);
        train.add_scalar("loss", loss, step)?;
        if step % 10 == 0 {
            val.add_scalar("loss", loss * 1.1, step)?;
            let weights: Vec<f64> = (0..1000)
                .map(|i| ((i * 31 + step as usize) % 997) as f64 / 997.0)
                .collect();
            train.add_histogram("weights", &weights, step)?;
        }
    }
    train.flush()?;
    val.flush()?;

    // W&B -> TensorBoard: the mirror logs to the run and to an event file.
    let mirror = TensorBoardMirror::new(root.join("mirror"))?;
    for epoch in 0..5 {
        mirror.log(
            &run,
            row! {"epoch" => epoch, "eval/accuracy" => 0.8 + epoch as f64 / 50.0},
        )?;
    }
    mirror.flush()?;

    run.finish()?; // drains the TensorBoard sync first
    println!(
        "mirrored {} TensorBoard rows from {} event files into {}",
        tb_sync.rows_logged(),
        tb_sync.files_found(),
        run.dir().display()
    );
    Ok(())
}
