//! [`InitOptions`]: the builder passed to [`crate::init`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::settings::{Console, Mode, OverflowPolicy, Resume, Settings, StepPolicy};
use crate::value::{Map, Value};

type Override = Arc<dyn Fn(&mut Settings) + Send + Sync>;

/// Options of [`crate::init`]; each one overrides environment variables and
/// settings files.
///
/// ```no_run
/// #[derive(serde::Serialize)]
/// struct Hp { lr: f64, batch_size: u32 }
/// let run = wandb_core::init(
///     wandb_core::InitOptions::new()
///         .project("demo")
///         .config(&Hp { lr: 1e-3, batch_size: 32 })
///         .tags(["baseline", "cpu"]),
/// )?;
/// # Ok::<(), wandb_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct InitOptions {
    pub(crate) overrides: Vec<Override>,
    pub(crate) config: Option<std::result::Result<Map, String>>,
    pub(crate) env: Option<HashMap<String, String>>,
}

macro_rules! string_opt {
    ($(#[$doc:meta] $method:ident => $field:ident),* $(,)?) => {$(
        #[$doc]
        pub fn $method(self, value: impl Into<String>) -> Self {
            let value = value.into();
            self.with(move |s| s.$field = Some(value.clone()))
        }
    )*};
}

impl InitOptions {
    /// Options with nothing set.
    pub fn new() -> Self {
        InitOptions::default()
    }

    /// Applies any change to the resolved [`Settings`] (after env and files).
    pub fn with(mut self, f: impl Fn(&mut Settings) + Send + Sync + 'static) -> Self {
        self.overrides.push(Arc::new(f));
        self
    }

    string_opt! {
        /// The project (default `uncategorized`).
        project => project,
        /// The entity (user or team).
        entity => entity,
        /// The run's display name.
        name => name,
        /// The run id (default: 8 random characters). Reusing an id resumes the run on sync.
        id => run_id,
        /// Notes for the run.
        notes => notes,
        /// The run group.
        group => group,
        /// The job type.
        job_type => job_type,
    }

    /// Directory in which `wandb/` and the run directory are created (any path).
    pub fn dir(self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.with(move |s| s.root_dir = dir.clone())
    }

    /// Offline, online or disabled.
    pub fn mode(self, mode: Mode) -> Self {
        self.with(move |s| s.mode = mode)
    }

    /// Shared mode (the official `mode="shared"`): this process writes to a
    /// run that other processes write too, under the same id
    /// ([`InitOptions::id`]); sets the mode to online. See
    /// docs/distributed.md and [`crate::distributed`].
    pub fn shared(self, on: bool) -> Self {
        self.with(move |s| {
            s.shared = on;
            if on {
                s.mode = Mode::Online;
            }
        })
    }

    /// `x_label`: names this process in a run written by several
    /// (`/l:<label>` system metric keys, `output_<label>.log`, `[<label>] `
    /// before console lines online).
    pub fn label(self, label: impl Into<String>) -> Self {
        let label = label.into();
        self.with(move |s| s.label = Some(label.clone()))
    }

    /// `x_primary` (default true): whether this process writes the run's
    /// metadata and generated files.
    pub fn primary(self, primary: bool) -> Self {
        self.with(move |s| s.primary = primary)
    }

    /// `x_update_finish_state` (default true): whether this process's
    /// `finish()` marks the run finished on the server.
    pub fn update_finish_state(self, on: bool) -> Self {
        self.with(move |s| s.update_finish_state = on)
    }

    /// Tags of the run.
    pub fn tags<I, S>(self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tags: Vec<String> = tags.into_iter().map(Into::into).collect();
        self.with(move |s| s.tags = tags.clone())
    }

    /// The run config, from any value that serialises to an object (a struct
    /// or a map). A value that cannot be serialised, or is not an object,
    /// makes [`crate::init`] fail with a clear error.
    pub fn config<T: serde::Serialize + ?Sized>(mut self, config: &T) -> Self {
        self.config = Some(match Value::from_serialize(config) {
            Ok(Value::Map(m)) => Ok(m),
            Ok(other) => Err(format!(
                "the config must serialise to an object (a struct or a map), got {other:?}"
            )),
            Err(e) => Err(e.to_string()),
        });
        self
    }

    /// The resume behaviour.
    pub fn resume(self, resume: Resume) -> Self {
        self.with(move |s| s.resume = Some(resume))
    }

    /// Console capture.
    pub fn console(self, console: Console) -> Self {
        self.with(move |s| s.console = console)
    }

    /// Mirrors a TensorBoard log directory into the run (needs the `tensorboard` feature).
    pub fn sync_tensorboard(self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.with(move |s| s.sync_tensorboard = Some(dir.clone()))
    }

    /// How often the transaction log is flushed to disk at least (default
    /// 1 s; shorter than [`crate::settings::MIN_FLUSH_INTERVAL`] makes `init`
    /// fail with [`Error::InvalidSetting`]).
    pub fn flush_interval(self, interval: Duration) -> Self {
        self.with(move |s| s.flush_interval = interval)
    }

    /// Capacity of the queue between `log()` and the writer thread.
    pub fn queue_capacity(self, capacity: usize) -> Self {
        self.with(move |s| s.queue_capacity = capacity.max(1))
    }

    /// What `log()` does when the queue is full.
    pub fn overflow(self, policy: OverflowPolicy) -> Self {
        self.with(move |s| s.overflow = policy)
    }

    /// What `log()` does with a decreasing explicit step.
    pub fn step_decrease(self, policy: StepPolicy) -> Self {
        self.with(move |s| s.step_decrease = policy)
    }

    /// Upper bound on the whole of `finish()` (default 60 s): hooks, the
    /// writer's last rows and, online, the upload. Zero makes `init` fail
    /// with [`Error::InvalidSetting`]; `Duration::MAX` means no limit.
    pub fn finish_timeout(self, timeout: Duration) -> Self {
        self.with(move |s| s.finish_timeout = timeout)
    }

    /// `true`: print nothing on stderr (no header at `init`, no footer at
    /// `finish`; they go to the debug log). Same as `WANDB_SILENT=true` or
    /// the `silent`/`quiet` setting.
    pub fn quiet(self, quiet: bool) -> Self {
        self.with(move |s| s.silent = quiet)
    }

    /// Whether to sample system metrics (default true).
    pub fn system_metrics(self, on: bool) -> Self {
        self.with(move |s| s.system_metrics = on)
    }

    /// Resolves settings from these variables instead of the process
    /// environment (for tests and embedding; `HOME` locates the global
    /// settings file and netrc).
    pub fn environment<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Sets one variable of the environment the settings are resolved from:
    /// on top of [`Self::environment`] if given, else of the process
    /// environment (copied now). The sweep agent sets `WANDB_SWEEP_ID`,
    /// `WANDB_RUN_ID`, ... this way, without touching the process's.
    pub fn env_var(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env
            .get_or_insert_with(|| std::env::vars().collect())
            .insert(key.into(), value.into());
        self
    }

    /// The settings these options resolve to.
    pub fn resolve(&self) -> Result<Settings> {
        self.resolve_with_warnings().map(|(s, _)| s)
    }

    /// [`Self::resolve`], and the warnings `init` prints: in a sweep
    /// (`sweep_id` set) the `project`, `entity` and run id given here are
    /// ignored, as the official client ignores them (the agent's win).
    pub(crate) fn resolve_with_warnings(&self) -> Result<(Settings, Vec<String>)> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut settings = match &self.env {
            Some(env) => Settings::resolve(env, &cwd)?,
            None => Settings::resolve(&std::env::vars().collect(), &cwd)?,
        };
        let before = (
            settings.project.clone(),
            settings.entity.clone(),
            settings.run_id.clone(),
        );
        for f in &self.overrides {
            f(&mut settings);
        }
        let mut warnings = Vec::new();
        if settings.sweep_id.is_some() {
            let (project, entity, run_id) = before;
            for (name, field, kept) in [
                ("project", &mut settings.project, project),
                ("entity", &mut settings.entity, entity),
                ("run_id", &mut settings.run_id, run_id),
            ] {
                if *field != kept {
                    if let Some(given) = field.as_deref() {
                        warnings.push(format!("Ignoring {name} '{given}' when running a sweep."));
                    }
                    *field = kept;
                }
            }
        }
        settings.fill_shared_label();
        settings.validate()?;
        Ok((settings, warnings))
    }

    /// Adds `key = value` to the config (after [`Self::config`], or alone);
    /// an invalid config stays invalid.
    pub(crate) fn config_entry(mut self, key: &str, value: Value) -> Self {
        match &mut self.config {
            Some(Ok(m)) => {
                m.insert(key.to_owned(), value);
            }
            Some(Err(_)) => {}
            None => {
                let mut m = Map::new();
                m.insert(key.to_owned(), value);
                self.config = Some(Ok(m));
            }
        }
        self
    }

    pub(crate) fn take_config(&self) -> Result<Map> {
        match &self.config {
            None => Ok(Map::new()),
            Some(Ok(m)) => Ok(m.clone()),
            Some(Err(e)) => Err(Error::InvalidValue(format!("invalid config: {e}"))),
        }
    }
}

impl std::fmt::Debug for InitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitOptions")
            .field("overrides", &self.overrides.len())
            .field("config", &self.config)
            .finish()
    }
}
