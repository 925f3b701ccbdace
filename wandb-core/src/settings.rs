//! Run settings and where they come from.
//!
//! Precedence, highest first (as the official client): explicit
//! [`crate::InitOptions`] > environment variables > `./wandb/settings` >
//! `$WANDB_CONFIG_DIR/settings` (default `~/.config/wandb/settings`, INI
//! section `[default]`) > defaults. Offline is the default mode when no API
//! key is found.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

mod limits;
mod shared;
pub use limits::{MIN_FLUSH_INTERVAL, MIN_STATS_SAMPLING_INTERVAL};

/// Where a run's data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the run directory only; upload later with `wandb sync`.
    Offline,
    /// Write the run directory and stream it to the W&B server.
    Online,
    /// Do nothing at all: no files, no network; every call succeeds.
    Disabled,
}

impl FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "offline" | "dryrun" => Ok(Mode::Offline),
            "online" | "run" => Ok(Mode::Online),
            "disabled" => Ok(Mode::Disabled),
            other => Err(Error::InvalidSetting {
                name: "mode".into(),
                reason: format!("{other:?} is not one of online, offline, disabled"),
            }),
        }
    }
}

/// Console capture (`console` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Console {
    /// Capture where it can be done safely (see docs/system-metrics.md).
    #[default]
    Auto,
    /// Do not capture.
    Off,
    /// Redirect stdout/stderr through the run (still shown on the terminal).
    Redirect,
}

impl FromStr for Console {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Console::Auto),
            "off" => Ok(Console::Off),
            "redirect" | "wrap" => Ok(Console::Redirect),
            other => Err(Error::InvalidSetting {
                name: "console".into(),
                reason: format!("{other:?} is not one of auto, off, redirect"),
            }),
        }
    }
}

/// What `log()` does when the writer queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverflowPolicy {
    /// Wait for room (back-pressure). Nothing is lost.
    #[default]
    Block,
    /// Drop the row, count it, and return [`Error::QueueFull`].
    DropAndCount,
}

/// What `log()` does with an explicit step lower than the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepPolicy {
    /// Return [`Error::StepDecreased`].
    #[default]
    Error,
    /// Drop the row with a `tracing` warning and return `Ok` (the official behaviour).
    Warn,
}

/// `resume` setting (`WANDB_RESUME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Resume the run if it exists, else start it.
    Allow,
    /// The run must exist.
    Must,
    /// Never resume.
    Never,
    /// Resume automatically after a crash.
    Auto,
}

impl FromStr for Resume {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allow" => Ok(Resume::Allow),
            "must" => Ok(Resume::Must),
            "never" => Ok(Resume::Never),
            // `true` is `auto`, as the official `resume=True`
            "auto" | "true" => Ok(Resume::Auto),
            other => Err(Error::InvalidSetting {
                name: "resume".into(),
                reason: format!("{other:?} is not one of allow, must, never, auto"),
            }),
        }
    }
}

/// The default W&B API endpoint of wandb 0.31.0 (spec §6.1).
pub const DEFAULT_BASE_URL: &str = "https://api.forge.coreweave.com";

/// Fully resolved settings of a run.
#[derive(Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Offline, online or disabled.
    pub mode: Mode,
    /// Project name (default `uncategorized`).
    pub project: Option<String>,
    /// Entity (user or team).
    pub entity: Option<String>,
    /// Run id: 8 characters `[a-z0-9]` unless given.
    pub run_id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Group.
    pub group: Option<String>,
    /// Job type.
    pub job_type: Option<String>,
    /// Directory under which `wandb/` is created (default: the current directory).
    pub root_dir: PathBuf,
    /// Print nothing.
    pub silent: bool,
    /// Resume behaviour.
    pub resume: Option<Resume>,
    /// Directory of the global settings file (`$WANDB_CONFIG_DIR`).
    pub config_dir: PathBuf,
    /// API key, if one was found (never written to any file).
    pub api_key: Option<String>,
    /// W&B API base URL.
    pub base_url: String,
    /// `$WANDB_DATA_DIR`: where artifact staging copies go (default: the
    /// run directory's `tmp/artifacts/staging`).
    pub data_dir: Option<PathBuf>,
    /// `$WANDB_ARTIFACT_DIR`: where `use_model` downloads artifacts
    /// (default: `<root dir>/artifacts`).
    pub artifact_dir: Option<PathBuf>,
    /// `$WANDB_CACHE_DIR` (default `$HOME/.cache/wandb`): the artifact
    /// cache of downloads (`artifacts/obj/md5/...`).
    pub cache_dir: Option<PathBuf>,
    /// System metrics sampling interval (`x_stats_sampling_interval`; at
    /// least [`MIN_STATS_SAMPLING_INTERVAL`], as the official client).
    pub stats_sampling_interval: Duration,
    /// Online mode: interval between file_stream requests
    /// (`x_file_stream_transmit_interval`); `None` is the default 15 s. Zero
    /// sends as soon as there is data.
    pub file_stream_transmit_interval: Option<Duration>,
    /// Online mode: how often to ask the server whether the run was stopped
    /// from the web UI (`x_stop_poll_interval`, a wandb-rs setting); `None`
    /// is 15 s, as the official client.
    pub stop_poll_interval: Option<Duration>,
    /// Online mode: how long `init` may try to reach the server
    /// (`init_timeout`, `WANDB_INIT_TIMEOUT`); `None` is 30 s.
    pub init_timeout: Option<Duration>,
    /// Console capture.
    pub console: Console,
    /// How often the writer thread flushes the transaction log to disk at
    /// least (at least [`MIN_FLUSH_INTERVAL`]).
    pub flush_interval: Duration,
    /// Capacity of the queue between `log()` and the writer thread.
    pub queue_capacity: usize,
    /// What `log()` does when the queue is full.
    pub overflow: OverflowPolicy,
    /// What `log()` does with a decreasing explicit step.
    pub step_decrease: StepPolicy,
    /// Upper bound on the whole of `finish()`: integrations' hooks, the
    /// writer's last rows, uploads (must be positive; `Duration::MAX` means
    /// no limit).
    pub finish_timeout: Duration,
    /// A TensorBoard log directory to mirror into the run.
    pub sync_tensorboard: Option<PathBuf>,
    /// Sample system metrics (on by default).
    pub system_metrics: bool,
    /// The sweep this run belongs to (`WANDB_SWEEP_ID`, set by sweep
    /// agents): written to the run record, and `project`, `entity` and `id`
    /// given to `init` are ignored, as the official client (docs/sweeps.md).
    pub sweep_id: Option<String>,
    /// The sweep parameter file (`WANDB_SWEEP_PARAM_PATH`): its values go
    /// into the config over the user's and are locked.
    pub sweep_param_path: Option<PathBuf>,
    /// Shared mode (`mode = "shared"`, `WANDB_MODE=shared`): several
    /// processes write one run (docs/distributed.md). Only in effect online
    /// ([`Settings::is_shared`]); `mode = "shared"` sets `mode` to online.
    pub shared: bool,
    /// `x_label` (`WANDB_X_LABEL`): suffixes system metric keys with
    /// `/l:<label>`, names the console log `output_<label>.log` and, online,
    /// prefixes console lines with `[<label>] `. Shared mode without one
    /// generates `<host>-<8 random characters>`, as the official client.
    pub label: Option<String>,
    /// `x_primary` (`WANDB_X_PRIMARY`, default true): whether this process
    /// writes the run's metadata (`environment` record, `requirements.txt`,
    /// `config.yaml`, `wandb-summary.json`, `wandb-metadata.json`).
    pub primary: bool,
    /// `x_update_finish_state` (`WANDB_X_UPDATE_FINISH_STATE`, default
    /// true): whether this process's `finish()` marks the run finished on the
    /// server (`complete` and `exitcode` in the last file_stream request).
    pub update_finish_state: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("mode", &self.mode)
            .field("project", &self.project)
            .field("entity", &self.entity)
            .field("run_id", &self.run_id)
            .field("name", &self.name)
            .field("root_dir", &self.root_dir)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("sweep_id", &self.sweep_id)
            .field("shared", &self.shared)
            .field("label", &self.label)
            .field("primary", &self.primary)
            .field("update_finish_state", &self.update_finish_state)
            .finish_non_exhaustive()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Offline,
            project: None,
            entity: None,
            run_id: None,
            name: None,
            notes: None,
            tags: Vec::new(),
            group: None,
            job_type: None,
            root_dir: PathBuf::from("."),
            silent: false,
            resume: None,
            config_dir: default_config_dir(),
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            data_dir: None,
            artifact_dir: None,
            cache_dir: None,
            stats_sampling_interval: Duration::from_secs(15),
            file_stream_transmit_interval: None,
            stop_poll_interval: None,
            init_timeout: None,
            console: Console::Auto,
            flush_interval: Duration::from_secs(1),
            queue_capacity: 1 << 16,
            overflow: OverflowPolicy::Block,
            step_decrease: StepPolicy::Error,
            finish_timeout: Duration::from_secs(60),
            sync_tensorboard: None,
            system_metrics: true,
            sweep_id: None,
            sweep_param_path: None,
            shared: false,
            label: None,
            primary: true,
            update_finish_state: true,
        }
    }
}

fn default_config_dir() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".config/wandb"),
        None => PathBuf::from(".config/wandb"),
    }
}

/// One layer of settings as key/value strings (a settings file or the environment).
pub(crate) type Layer = HashMap<String, String>;

impl Settings {
    /// Settings from the environment, `./wandb/settings`, the global settings
    /// file and defaults (no explicit options).
    pub fn from_env() -> Result<Self> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let s = Settings::resolve(&env, Path::new("."))?;
        s.validate()?;
        Ok(s)
    }

    /// Resolves settings from an environment map and a working directory.
    pub(crate) fn resolve(env: &HashMap<String, String>, cwd: &Path) -> Result<Self> {
        let mut s = Settings::default();
        if let Some(dir) = env.get("WANDB_CONFIG_DIR").filter(|v| !v.is_empty()) {
            s.config_dir = PathBuf::from(dir);
        } else if let Some(home) = env.get("HOME") {
            s.config_dir = PathBuf::from(home).join(".config/wandb");
        }
        s.root_dir = cwd.to_path_buf();
        s.data_dir = env
            .get("WANDB_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from);
        s.artifact_dir = env
            .get("WANDB_ARTIFACT_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from);
        s.cache_dir = env
            .get("WANDB_CACHE_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                env.get("HOME")
                    .map(|h| PathBuf::from(h).join(".cache/wandb"))
            });
        let global = read_ini(&s.config_dir.join("settings"))?;
        // The workspace settings file is `<WANDB_DIR or cwd>/wandb/settings`
        // (the official client reads it before `dir=` is applied).
        let workspace = env
            .get("WANDB_DIR")
            .filter(|d| !d.is_empty())
            .map_or_else(|| cwd.to_path_buf(), PathBuf::from);
        let local = read_ini(&workspace.join("wandb/settings"))?;
        let env_layer = env_layer(env);
        let mut explicit_mode = false;
        for layer in [&global, &local, &env_layer] {
            explicit_mode |= layer.contains_key("mode");
            s.apply(layer)?;
        }
        if s.api_key.is_none() {
            s.api_key = env
                .get("WANDB_API_KEY")
                .filter(|k| !k.is_empty())
                .cloned()
                .or_else(|| netrc_key(env, &s.base_url));
        }
        if !explicit_mode {
            s.mode = if s.api_key.is_some() {
                Mode::Online
            } else {
                Mode::Offline
            };
        }
        Ok(s)
    }

    /// The defaults overridden by the text of one INI settings file (what a
    /// `wandb/settings` file alone gives); a bad value is an error naming
    /// the setting.
    pub fn from_ini_text(text: &str) -> Result<Self> {
        let mut s = Settings::default();
        s.apply(&parse_ini(text))?;
        s.validate()?;
        Ok(s)
    }

    /// Applies one layer of `name = value` settings (official setting names).
    pub(crate) fn apply(&mut self, layer: &Layer) -> Result<()> {
        for (k, v) in layer {
            let v = v.trim();
            let some = || Some(v.to_owned());
            match k.as_str() {
                "mode" if v.eq_ignore_ascii_case("shared") => {
                    self.mode = Mode::Online;
                    self.shared = true;
                }
                "mode" => {
                    self.mode = v.parse()?;
                    self.shared = false;
                }
                "x_label" => self.label = Some(v.to_owned()).filter(|l| !l.is_empty()),
                "x_primary" | "x_primary_node" => self.primary = parse_bool(k, v)?,
                "x_update_finish_state" => self.update_finish_state = parse_bool(k, v)?,
                "project" => self.project = some(),
                "entity" => self.entity = some(),
                "run_id" | "id" => self.run_id = some(),
                "run_name" | "name" => self.name = some(),
                "run_notes" | "notes" => self.notes = some(),
                "run_tags" | "tags" => {
                    self.tags = v
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                "run_group" | "group" => self.group = some(),
                "run_job_type" | "job_type" => self.job_type = some(),
                "root_dir" | "dir" => self.root_dir = PathBuf::from(v),
                "silent" | "quiet" => self.silent = parse_bool(k, v)?,
                // `false` (or empty) is no resume setting, as the official
                // `resume=False`
                "resume" => {
                    self.resume = match v.to_ascii_lowercase().as_str() {
                        "false" | "" => None,
                        _ => Some(v.parse()?),
                    }
                }
                "api_key" => self.api_key = Some(v.to_owned()).filter(|k| !k.is_empty()),
                "base_url" => self.base_url = v.trim_end_matches('/').to_owned(),
                "console" => self.console = v.parse()?,
                "x_stats_sampling_interval" => {
                    self.stats_sampling_interval = limits::parse_secs(k, v)?;
                }
                "x_file_stream_transmit_interval" => {
                    self.file_stream_transmit_interval = Some(limits::parse_secs(k, v)?);
                }
                "x_stop_poll_interval" => {
                    self.stop_poll_interval = Some(limits::parse_secs(k, v)?);
                }
                "init_timeout" => self.init_timeout = Some(limits::parse_secs(k, v)?),
                "sweep_id" => self.sweep_id = Some(v.to_owned()).filter(|id| !id.is_empty()),
                "sweep_param_path" => {
                    self.sweep_param_path = Some(PathBuf::from(v)).filter(|_| !v.is_empty());
                }
                "sync_tensorboard" if !v.is_empty() && !matches!(v, "false" | "0") => {
                    self.sync_tensorboard = Some(PathBuf::from(v));
                }
                _ => {} // unknown keys are ignored, as the official client does
            }
        }
        Ok(())
    }
}

fn env_layer(env: &HashMap<String, String>) -> Layer {
    const MAP: &[(&str, &str)] = &[
        ("WANDB_MODE", "mode"),
        ("WANDB_PROJECT", "project"),
        ("WANDB_ENTITY", "entity"),
        ("WANDB_DIR", "root_dir"),
        ("WANDB_RUN_ID", "run_id"),
        ("WANDB_NAME", "run_name"),
        ("WANDB_NOTES", "run_notes"),
        ("WANDB_TAGS", "run_tags"),
        ("WANDB_RUN_GROUP", "run_group"),
        ("WANDB_JOB_TYPE", "run_job_type"),
        ("WANDB_SILENT", "silent"),
        ("WANDB_RESUME", "resume"),
        ("WANDB_BASE_URL", "base_url"),
        ("WANDB_CONSOLE", "console"),
        (
            "WANDB_X_STATS_SAMPLING_INTERVAL",
            "x_stats_sampling_interval",
        ),
        (
            "WANDB__STATS_SAMPLING_INTERVAL",
            "x_stats_sampling_interval",
        ),
        (
            "WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL",
            "x_file_stream_transmit_interval",
        ),
        ("WANDB_X_STOP_POLL_INTERVAL", "x_stop_poll_interval"),
        ("WANDB_INIT_TIMEOUT", "init_timeout"),
        ("WANDB_SWEEP_ID", "sweep_id"),
        ("WANDB_SWEEP_PARAM_PATH", "sweep_param_path"),
        // the official client maps `WANDB_X_<NAME>` and `WANDB__<NAME>` to `x_<name>`
        ("WANDB_X_LABEL", "x_label"),
        ("WANDB__LABEL", "x_label"),
        ("WANDB_X_PRIMARY", "x_primary"),
        ("WANDB__PRIMARY", "x_primary"),
        ("WANDB_X_UPDATE_FINISH_STATE", "x_update_finish_state"),
        ("WANDB__UPDATE_FINISH_STATE", "x_update_finish_state"),
    ];
    MAP.iter()
        .filter_map(|(var, key)| {
            env.get(*var)
                .filter(|v| !v.is_empty())
                .map(|v| ((*key).to_owned(), v.clone()))
        })
        .collect()
}

fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(Error::InvalidSetting {
            name: name.into(),
            reason: format!("{other:?} is not a boolean (use true or false)"),
        }),
    }
}

/// Reads the `[default]` section of an INI settings file; a missing file is empty.
pub(crate) fn read_ini(path: &Path) -> Result<Layer> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Layer::new())
        }
        Err(e) => return Err(Error::io("cannot read settings file", path, e)),
    };
    Ok(parse_ini(&text))
}

/// The `name = value` (or `name: value`) pairs of the `[default]` section of
/// an INI settings file's text; other sections, comments and lines without
/// a separator are ignored.
pub fn parse_ini(text: &str) -> HashMap<String, String> {
    let mut out = Layer::new();
    let mut in_default = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_default = section.trim() == "default";
            continue;
        }
        if !in_default {
            continue;
        }
        if let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) {
            out.insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    out
}

/// The API key stored in netrc (`$NETRC` or `~/.netrc`) for `base_url`
/// (see [`crate::credentials`]: the same lookup as online mode and `login`).
pub fn netrc_key(env: &HashMap<String, String>, base_url: &str) -> Option<String> {
    let path = crate::credentials::netrc_path(|k| env.get(k).cloned())?;
    crate::credentials::find_api_key(&path, base_url)
}

#[cfg(test)]
mod tests;
