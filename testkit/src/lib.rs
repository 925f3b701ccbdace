//! Test training code that logs to W&B, without uploading anything and
//! without mocking the client.
//!
//! - **Capture mode** — [`capture_run`] gives a real [`wandb_core::Run`]
//!   whose records stay in memory (no run directory, no network), and a
//!   [`Capture`] to assert on: history rows, values by step, summary,
//!   config, metric definitions, files, artifacts.
//! - **A fake W&B server** — [`FakeWandb`] starts the in-process fake server
//!   on `127.0.0.1:0` and hands out hermetic [`wandb_core::InitOptions`]
//!   pointed at it; read what it stored and inject faults ([`Fault`]). No
//!   Python needed.
//! - **Cleanup** — [`CleanupGuard`] deletes the runs (and their artifacts) a
//!   test created on a server, fake or real, when it drops, even when the
//!   test panics.
//!
//! Add it as a dev-dependency and test the function that logs:
//!
//! ```
//! /// The code under test: any function that takes a run.
//! fn train(run: &wandb_core::Run, epochs: u64) -> wandb_core::Result<()> {
//!     run.define_metric(wandb_core::MetricDefinition::new("loss").summary(wandb_core::MetricSummary::Min))?;
//!     for epoch in 0..epochs {
//!         run.log(serde_json::json!({"loss": 1.0 / (epoch + 1) as f64, "epoch": epoch}))?;
//!     }
//!     Ok(())
//! }
//!
//! let (run, capture) = wandb_testkit::capture_run(
//!     wandb_core::InitOptions::new().config(&serde_json::json!({"lr": 0.1})),
//! )?;
//! train(&run, 3)?;
//! run.finish()?;
//!
//! assert_eq!(capture.scalars("loss"), vec![(0, 1.0), (1, 0.5), (2, 1.0 / 3.0)]);
//! assert_eq!(capture.history().len(), 3);
//! assert_eq!(capture.config()["lr"].as_f64(), Some(0.1));
//! assert_eq!(capture.summary()["loss"]["min"].as_f64(), Some(1.0 / 3.0));
//! assert_eq!(capture.metric_definitions()[0].name, "loss");
//! assert_eq!(capture.exit_code(), Some(0));
//! # Ok::<(), wandb_testkit::Error>(())
//! ```

mod capture;
mod cleanup;
mod error;
mod server;
mod sink;

pub use capture::{capture_run, Capture};
pub use cleanup::CleanupGuard;
pub use error::{Error, Result};
pub use server::FakeWandb;
pub use wandb_fake_server::{
    ArtifactData, FakeServer, Fault, FaultAction, RunData, Stream, Target, DEFAULT_API_KEY,
    DEFAULT_ENTITY,
};
