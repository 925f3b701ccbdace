//! [`FakeWandb`]: the in-process fake W&B server as a test fixture.

use std::path::PathBuf;

use wandb_core::{Console, InitOptions, Mode};
use wandb_fake_server::FakeServer;

use crate::cleanup::CleanupGuard;
use crate::error::{Error, Result};

/// A fake W&B server on `127.0.0.1:0` (GraphQL, file_stream, uploads,
/// artifacts) plus a private scratch directory for the runs pointed at it.
/// No Python, no network beyond loopback; it stops and the scratch
/// directory is deleted when it drops.
///
/// It dereferences to [`FakeServer`]: read what it stored with
/// [`FakeServer::runs`], [`FakeServer::only_run`], [`FakeServer::artifacts`]
/// and inject faults with [`FakeServer::inject`] or [`FakeServer::outage`].
///
/// ```
/// use wandb_testkit::FakeWandb;
///
/// let server = FakeWandb::start()?;
/// let run = wandb_core::init(server.init_options().project("demo").id("run1"))?;
/// run.log(serde_json::json!({"loss": 0.25}))?;
/// run.finish()?;
///
/// let stored = server.run(wandb_testkit::DEFAULT_ENTITY, "demo", "run1").expect("uploaded");
/// assert_eq!(stored.history().len(), 1);
/// assert_eq!(stored.history()[0]["loss"], 0.25);
/// assert!(stored.complete);
/// # Ok::<(), wandb_testkit::Error>(())
/// ```
pub struct FakeWandb {
    server: FakeServer,
    scratch: PathBuf,
}

impl FakeWandb {
    /// Starts a server that accepts [`wandb_fake_server::DEFAULT_API_KEY`].
    pub fn start() -> Result<Self> {
        let server = FakeServer::try_with_api_key(wandb_fake_server::DEFAULT_API_KEY)
            .map_err(Error::Server)?;
        let scratch = std::env::temp_dir().join(format!(
            "wandb-testkit-server-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        Ok(FakeWandb { server, scratch })
    }

    /// Options for an online run against this server, hermetic: settings
    /// come only from these options (no `WANDB_*` variable, settings file
    /// or netrc of the machine), the run directory is under this fixture's
    /// scratch directory, console capture and system metrics are off, and
    /// file_stream sends every 50 ms. Chain more options after it.
    pub fn init_options(&self) -> InitOptions {
        InitOptions::new()
            .mode(Mode::Online)
            .dir(&self.scratch)
            .console(Console::Off)
            .system_metrics(false)
            .environment([
                ("HOME", self.scratch.join("home").display().to_string()),
                ("WANDB_API_KEY", self.server.api_key().to_string()),
                ("WANDB_BASE_URL", self.server.url().to_string()),
                ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".to_string()),
            ])
    }

    /// A guard that deletes the runs it tracks from this server when it
    /// drops (see [`CleanupGuard`]).
    pub fn cleanup_guard(&self) -> Result<CleanupGuard> {
        CleanupGuard::new(self.server.url(), self.server.api_key())
    }

    /// The fake server itself.
    pub fn server(&self) -> &FakeServer {
        &self.server
    }
}

impl std::ops::Deref for FakeWandb {
    type Target = FakeServer;

    fn deref(&self) -> &FakeServer {
        &self.server
    }
}

impl std::fmt::Debug for FakeWandb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWandb")
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl Drop for FakeWandb {
    fn drop(&mut self) {
        if self.scratch.exists() {
            if let Err(e) = std::fs::remove_dir_all(&self.scratch) {
                eprintln!(
                    "wandb-testkit: cannot remove {}: {e}",
                    self.scratch.display()
                );
            }
        }
    }
}
