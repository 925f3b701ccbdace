//! Sync: train offline, upload later, as `wandb sync` does.
//!
//! ```sh
//! # write an offline run, then upload it to your server
//! WANDB_API_KEY=... WANDB_BASE_URL=https://api.wandb.ai cargo run --example sync
//! # upload a run directory written earlier
//! cargo run --example sync -- wandb/offline-run-20250101_120000-abc123
//! # no account: upload to an in-process fake W&B server
//! cargo run --example sync -- --demo
//! ```
//! The same upload is available as a command: `wandb-rs sync <dir>`.

use std::path::PathBuf;

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{row, InitOptions, Mode};
use wandb_testkit::FakeWandb;

/// A small offline run in `./wandb/`; returns its directory.
fn offline_run() -> wandb::Result<PathBuf> {
    let run = wandb::init(
        InitOptions::new()
            .project("sync-example")
            .mode(Mode::Offline),
    )?;
    for step in 0..10u32 {
        run.log(row! {"loss" => 1.0 / (1.0 + step as f64)})?;
    }
    let dir = run.dir().to_path_buf();
    run.finish()?;
    Ok(dir)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo = args.iter().any(|a| a == "--demo");
    let dir = match args.iter().find(|a| !a.starts_with("--")) {
        Some(d) => PathBuf::from(d),
        None => offline_run()?,
    };
    let server = if demo {
        Some(FakeWandb::start()?)
    } else {
        None
    };
    // None: WANDB_BASE_URL / WANDB_API_KEY / ~/.netrc, as `wandb sync`
    let options = SyncOptions {
        base_url: server.as_ref().map(|s| s.url().to_string()),
        api_key: server.as_ref().map(|s| s.api_key().to_string()),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(&dir, &options, |_| {})?;
    println!(
        "synced {} to {}/{}/{}: {} history rows, {} files",
        dir.display(),
        report.entity,
        report.project,
        report.run_id,
        report.history_lines,
        report.files_uploaded.len()
    );
    if let Some(server) = &server {
        let stored = server
            .run(&report.entity, &report.project, &report.run_id)
            .ok_or("the fake server has no such run")?;
        println!(
            "server stored {} history rows, complete = {}",
            stored.history().len(),
            stored.complete
        );
    }
    Ok(())
}
