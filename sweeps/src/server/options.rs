//! [`ServerOptions`]: where the sweep lives and how the agent runs.

use std::time::Duration;

use wandb_core::InitOptions;

/// Options of [`super::sweep_with`] and [`super::agent_with`].
///
/// ```
/// use std::time::Duration;
/// use wandb_sweeps::server::ServerOptions;
/// let options = ServerOptions::new()
///     .project("my-project")
///     .count(4)
///     .heartbeat_interval(Duration::from_secs(5))
///     .init(wandb_core::InitOptions::new().quiet(true));
/// assert_eq!(options.count, Some(4));
/// ```
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The base of every run's options, and where the settings (base URL,
    /// API key, entity, `dir`, environment) are resolved from.
    pub init: InitOptions,
    /// The project (else the sweep path's, the config's, `WANDB_PROJECT`).
    pub project: Option<String>,
    /// The entity (else the sweep path's, `WANDB_ENTITY`, the key's user).
    pub entity: Option<String>,
    /// The most runs the agent starts (`None`: until the server says `exit`).
    pub count: Option<usize>,
    /// Time between heartbeats (the official agent's 5 s by default).
    pub heartbeat_interval: Duration,
    /// The host name the agent registers with (default: this machine's).
    pub host: Option<String>,
    /// The agent gives up after this many failed runs in a row (default: never).
    pub max_consecutive_failures: Option<usize>,
}

/// The official agent's `HEARTBEAT_SLEEP_SECONDS`.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            init: InitOptions::new(),
            project: None,
            entity: None,
            count: None,
            heartbeat_interval: HEARTBEAT_INTERVAL,
            host: None,
            max_consecutive_failures: None,
        }
    }
}

impl ServerOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The base options of every run (and the environment to resolve from).
    pub fn init(mut self, init: InitOptions) -> Self {
        self.init = init;
        self
    }

    /// The project.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// The entity.
    pub fn entity(mut self, entity: impl Into<String>) -> Self {
        self.entity = Some(entity.into());
        self
    }

    /// The most runs the agent starts.
    pub fn count(mut self, count: usize) -> Self {
        self.count = Some(count);
        self
    }

    /// Time between heartbeats (any duration; zero heartbeats back to back).
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// The host name the agent registers with.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Give up after this many failed runs in a row.
    pub fn max_consecutive_failures(mut self, n: usize) -> Self {
        self.max_consecutive_failures = Some(n);
        self
    }
}
