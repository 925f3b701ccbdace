//! Media and plots: images, a histogram, a table and a line chart, in an
//! offline run under `./wandb/` (no account needed).
//!
//! ```sh
//! cargo run --example media_and_plots
//! wandb sync wandb/latest-run   # or: cargo run -p wandb-cli -- sync wandb/latest-run
//! ```
//! Each value is written as the official client writes it: media files
//! under `files/media/`, tables as `.table.json`, charts as a table plus a
//! Vega preset, so the W&B UI shows them after sync.

use wandb::data_types::{cells, Histogram, Image, Table};
use wandb::{row, InitOptions, Mode};

/// A `size`×`size` RGB gradient whose colour shifts with `step`.
fn gradient(size: u32, step: u32) -> Vec<u8> {
    let mut px = Vec::with_capacity((size * size * 3) as usize);
    for y in 0..size {
        for x in 0..size {
            px.extend([
                (x * 255 / size) as u8,
                (y * 255 / size) as u8,
                (step * 40 % 256) as u8,
            ]);
        }
    }
    px
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let run = wandb::init(
        InitOptions::new()
            .project("media-and-plots")
            .mode(Mode::Offline),
    )?;
    let mut curve = Table::new(["step", "loss"]);
    for step in 0..5u32 {
        let loss = 1.0 / (1.0 + step as f64);
        let weights: Vec<f32> = (0..200)
            .map(|i| ((i as f32) * 0.37 + step as f32).sin())
            .collect();
        curve.add_row(cells![step, loss])?;
        run.log(row! {
            "loss" => loss,
            "sample" => Image::from_rgb8(16, 16, &gradient(16, step))?.caption(format!("step {step}")),
            "weights" => Histogram::from_f32(&weights)?,
        })?;
    }
    // a table of predictions, and the loss curve as a line chart
    let predictions = Table::from_rows(
        ["id", "label", "score"],
        [
            cells![0, "cat", 0.9],
            cells![1, "dog", 0.7],
            cells![2, "cat", 0.4],
        ],
    )?;
    run.log(row! {"predictions" => predictions})?;
    run.log(
        wandb::plot::line(&curve, "step", "loss")?
            .title("Loss")
            .into_row("loss_curve"),
    )?;
    println!("run directory: {}", run.dir().display());
    run.finish()?;
    Ok(())
}
