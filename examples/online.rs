//! Online: a run streamed to a W&B server while it trains.
//!
//! ```sh
//! # against your server (or wandb.ai): needs an API key
//! WANDB_API_KEY=... WANDB_BASE_URL=https://api.wandb.ai cargo run --example online
//! # no account: starts an in-process fake W&B server and runs against it
//! cargo run --example online -- --demo
//! ```
//! The header printed at `init` has the run's URL; the footer says what was
//! uploaded. With `--demo` the example then prints what the server stored.

use wandb::{row, InitOptions, Mode};
use wandb_testkit::FakeWandb;

fn train(options: InitOptions) -> wandb::Result<(String, String, String)> {
    let run = wandb::init(
        options
            .mode(Mode::Online)
            .project("online-example")
            .config(&serde_json::json!({"lr": 0.01, "epochs": 20})),
    )?;
    println!("run URL: {}", run.url().unwrap_or_default());
    for epoch in 0..20u32 {
        let loss = 1.0 / (1.0 + epoch as f64);
        run.log(row! {"loss" => loss, "epoch" => epoch})?;
    }
    run.summary().set("best_loss", 1.0 / 20.0)?;
    let ids = (
        run.entity().unwrap_or_default(),
        run.project().to_string(),
        run.id().to_string(),
    );
    run.finish()?;
    Ok(ids)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--demo") {
        let server = FakeWandb::start()?;
        println!("demo: fake W&B server at {}", server.url());
        let (entity, project, id) = train(server.init_options())?;
        let stored = server
            .run(&entity, &project, &id)
            .ok_or("the fake server has no such run")?;
        println!(
            "server stored {} history rows, summary best_loss = {}, complete = {}",
            stored.history().len(),
            stored.summary["best_loss"],
            stored.complete
        );
    } else {
        // settings from the environment: WANDB_API_KEY, WANDB_BASE_URL, ...
        train(InitOptions::new())?;
    }
    Ok(())
}
