//! A server-driven sweep: `wandb::sweep` creates it, the server picks the
//! parameters, `wandb::agent` trains one run per suggestion.
//!
//! ```sh
//! # against your server (or wandb.ai): needs an API key
//! WANDB_API_KEY=... cargo run --example sweep_agent --features sweeps
//! # no account: starts an in-process fake W&B server and runs against it
//! cargo run --example sweep_agent --features sweeps -- --demo
//! ```

use std::time::Duration;

use wandb::row;
use wandb::sweeps::server::{AgentRun, ServerOptions};
use wandb_testkit::FakeWandb;

/// One trial: the sweep's `lr` and `batch_size` are in the run's config
/// (locked over the defaults given to `init`).
fn train(run: &AgentRun) -> wandb::Result<()> {
    let lr = run
        .config()
        .get("lr")
        .and_then(|v| v.as_f64())
        .unwrap_or(1e-3);
    let batch_size = run
        .config()
        .get("batch_size")
        .and_then(|v| v.as_f64())
        .unwrap_or(32.0);
    let mut loss = 1.0;
    for epoch in 0..20u32 {
        if run.should_stop() {
            break; // the server stopped this run (early termination)
        }
        loss *= 1.0 - lr * (32.0 / batch_size).sqrt();
        run.log(row! {"val_loss" => loss, "epoch" => epoch})?;
    }
    run.summary().set("final_loss", loss)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = serde_json::json!({
        "method": "grid",
        "metric": {"name": "val_loss", "goal": "minimize"},
        "parameters": {
            "lr": {"values": [0.1, 0.05]},
            "batch_size": {"values": [16, 64]},
        },
    });
    let defaults = serde_json::json!({"lr": 1e-3, "batch_size": 32, "epochs": 20});
    if std::env::args().any(|a| a == "--demo") {
        let server = FakeWandb::start()?;
        println!("demo: fake W&B server at {}", server.url());
        let options = ServerOptions::new()
            .project("sweep-example")
            .heartbeat_interval(Duration::from_millis(200))
            .init(server.init_options().quiet(true).config(&defaults));
        let id = wandb::sweep_with(&config, &options)?;
        println!("sweep {id}");
        let report = wandb::agent_with(&id, &options.count(3), train)?;
        for r in &report.runs {
            println!(
                "run {} {} {:?}",
                r.run_id,
                serde_json::Value::Object(r.params.clone()),
                r.outcome
            );
        }
        let sweep = server
            .sweep(&report.sweep_id)
            .ok_or("the fake server has no such sweep")?;
        println!("server: sweep {} has runs {:?}", sweep.name, sweep.runs);
    } else {
        // settings from the environment: WANDB_API_KEY, WANDB_BASE_URL, ...
        let options = ServerOptions::new()
            .project("sweep-example")
            .init(wandb::InitOptions::new().config(&defaults));
        let id = wandb::sweep_with(&config, &options)?;
        let report = wandb::agent_with(&id, &options.count(3), train)?;
        println!("{} runs, ended by {:?}", report.runs.len(), report.end);
    }
    Ok(())
}
