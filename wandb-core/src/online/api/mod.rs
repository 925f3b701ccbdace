//! The read API: runs on a W&B server, their config, summary, history and
//! files — what the official `wandb.Api()` gives Python users, with the same
//! GraphQL queries (so any server that answers one answers the other).
//!
//! ```no_run
//! use wandb_core::online::Api;
//! let api = Api::from_env()?;
//! let run = api.run("my-team/my-project/abc123")?;
//! println!("lr = {:?}", run.config().get("lr"));
//! println!("best = {:?}", run.summary().get("best_acc"));
//! for row in run.scan_history(&["loss"], 1000)? {
//!     let row = row?;
//!     println!("{:?} {:?}", row.get("_step"), row.get("loss"));
//! }
//! for file in run.files()? {
//!     file.download(std::path::Path::new("downloads"), true)?;
//! }
//! # Ok::<(), wandb_core::online::OnlineError>(())
//! ```
//!
//! Every answer is checked: a missing run is [`OnlineError::RunNotFound`],
//! an answer of the wrong shape [`OnlineError::UnexpectedAnswer`]; nothing
//! a server sends can make these functions panic.

mod artifact;
mod artifact_queries;
mod files;
mod history;
mod queries;
mod run;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value as JValue};

use super::auth::{resolve_api_key, ApiKey};
use super::error::{OnlineError, Result};
use super::http::{Client, RetryPolicy};
use crate::settings::Settings;

pub use artifact::{ApiArtifact, ManifestEntry};
pub use files::RunFile;
pub use history::HistoryScan;
pub use run::{ApiRun, Runs};

/// How long one read may keep retrying (429, 5xx, connection errors)
/// before it fails with [`OnlineError::Unreachable`].
pub const DEFAULT_API_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of the W&B read API. Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct Api {
    inner: Arc<Inner>,
    timeout: Duration,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    entity: Option<String>,
    /// The default project of artifact paths without one.
    project: Option<String>,
    /// The artifact download cache (`$WANDB_CACHE_DIR`).
    cache_dir: Option<PathBuf>,
}

impl Api {
    /// A client of the server at `base_url` (e.g. `https://api.wandb.ai`)
    /// authenticating with `api_key`.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self> {
        super::auth::url_host(base_url)?;
        let key = ApiKey::new(api_key)?;
        Ok(Self::with_client(
            Client::new(base_url, &key, RetryPolicy::default()),
            &Settings::default(),
        ))
    }

    /// A client from resolved [`Settings`]: their `base_url`, `api_key`
    /// (else `WANDB_API_KEY` or netrc) and `entity` (the default entity of
    /// paths without one).
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        super::auth::url_host(&settings.base_url)?;
        let key = resolve_api_key(settings.api_key.as_deref(), &settings.base_url)?;
        Ok(Self::with_client(
            Client::new(&settings.base_url, &key, RetryPolicy::default()),
            settings,
        ))
    }

    /// A client from the process environment (`WANDB_BASE_URL`,
    /// `WANDB_API_KEY`, `WANDB_ENTITY`, settings files, netrc), as the
    /// official `wandb.Api()` resolves it.
    pub fn from_env() -> Result<Self> {
        let settings = Settings::from_env().map_err(|e| OnlineError::InvalidSetting {
            reason: e.to_string(),
        })?;
        Self::from_settings(&settings)
    }

    /// A client from an explicit environment (`HOME`, `WANDB_BASE_URL`,
    /// `WANDB_API_KEY`, ...) instead of the process's: what tests and
    /// embedding programs use to stay hermetic.
    pub fn from_environment<K, V>(env: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let env: HashMap<String, String> =
            env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let settings = Settings::resolve(&env, std::path::Path::new(".")).map_err(|e| {
            OnlineError::InvalidSetting {
                reason: e.to_string(),
            }
        })?;
        let key = match settings.api_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(k) => ApiKey::new(k)?,
            None => {
                return Err(OnlineError::MissingApiKey {
                    host: super::auth::url_host(&settings.base_url)?,
                })
            }
        };
        super::auth::url_host(&settings.base_url)?;
        Ok(Self::with_client(
            Client::new(&settings.base_url, &key, RetryPolicy::default()),
            &settings,
        ))
    }

    fn with_client(client: Client, settings: &Settings) -> Self {
        Api {
            inner: Arc::new(Inner {
                client,
                entity: settings.entity.clone(),
                project: settings.project.clone(),
                cache_dir: settings.cache_dir.clone(),
            }),
            timeout: DEFAULT_API_TIMEOUT,
        }
    }

    /// The artifact cache downloads go through: the `cache_dir` setting
    /// (`$WANDB_CACHE_DIR`, by default `$HOME/.cache/wandb`), else
    /// `$HOME/.cache/wandb` of the process, else the temporary directory.
    pub fn cache_dir(&self) -> PathBuf {
        self.inner.cache_dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/wandb"))
                .unwrap_or_else(|| std::env::temp_dir().join("wandb-cache"))
        })
    }

    /// The same client with another retry limit per read.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.min(crate::duration::FAR_FUTURE);
        self
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        self.inner.client.base_url()
    }

    /// The run at `path`: `entity/project/id`, `entity/project/runs/id` (a
    /// run page URL's path), `entity/project:id`, or `project/id` (the
    /// default entity: the `entity` setting, else the API key's user).
    pub fn run(&self, path: &str) -> Result<ApiRun> {
        let (entity, project, id) = self.parse_run_path(path)?;
        let data = self.query(
            "Run",
            &queries::run(),
            json!({"entity": entity, "project": project, "name": id}),
        )?;
        match data.pointer("/project/run") {
            Some(node) if node.is_object() => ApiRun::from_node(self, &entity, &project, node),
            _ => Err(OnlineError::RunNotFound {
                path: format!("{entity}/{project}/{id}"),
            }),
        }
    }

    /// The runs of a project (`entity/project` or `project`) matching
    /// `filters` (the server's MongoDB-style filters, e.g.
    /// `{"state": "finished", "config.lr": {"$lt": 0.01}}`), oldest first,
    /// fetched a page at a time while iterating.
    pub fn runs(&self, path: &str, filters: Option<&JValue>) -> Result<Runs> {
        let (entity, project) = self.parse_project_path(path)?;
        let filters = filters.cloned().unwrap_or_else(|| json!({}));
        if !filters.is_object() {
            return Err(OnlineError::InvalidPath {
                path: filters.to_string(),
                reason: "filters must be a JSON object",
            });
        }
        Ok(Runs::new(self.clone(), entity, project, filters))
    }

    /// Runs one GraphQL query, retrying until the timeout. (Clones share
    /// the deadline: each call moves it to its own start plus the timeout,
    /// so a concurrent call may retry a little longer, never forever.)
    pub(crate) fn query(&self, op: &str, query: &str, vars: JValue) -> Result<JValue> {
        self.arm_deadline();
        self.inner.client.graphql(op, query, Some(vars))
    }

    pub(crate) fn arm_deadline(&self) {
        let at = crate::duration::deadline_after(self.timeout);
        self.inner.client.deadline.set(at);
    }

    pub(crate) fn client(&self) -> &Client {
        &self.inner.client
    }

    fn default_entity(&self) -> Result<String> {
        if let Some(e) = self.inner.entity.as_ref().filter(|e| !e.is_empty()) {
            return Ok(e.clone());
        }
        self.viewer_entity()
    }

    /// The entity of the API key's user, asked from the server: also the
    /// check that the key is valid there (`wandb-rs login --verify`); a
    /// rejected key is [`OnlineError::Rejected`].
    pub fn viewer_entity(&self) -> Result<String> {
        let data = self.query("GetDefaultEntity", queries::DEFAULT_ENTITY, json!({}))?;
        data.pointer("/viewer/entity")
            .and_then(JValue::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .ok_or_else(|| OnlineError::UnexpectedAnswer {
                op: "GetDefaultEntity".into(),
                reason: "the viewer has no entity; give the entity in the path".into(),
            })
    }

    fn parse_run_path(&self, path: &str) -> Result<(String, String, String)> {
        let bad = |reason| OnlineError::InvalidPath {
            path: path.to_string(),
            reason,
        };
        let cleaned = path.trim().trim_matches('/').replace("/runs/", "/");
        let parts: Vec<&str> = cleaned.split('/').collect();
        let (entity, project, id) = match parts.as_slice() {
            [e, p, id] => (Some(*e), *p, *id),
            [e, rest] => match rest.split_once(':') {
                Some((p, id)) => (Some(*e), p, id),
                None => (None, *e, *rest),
            },
            [one] => match one.split_once(':') {
                Some((p, id)) => (None, p, id),
                None => return Err(bad("a run path is entity/project/run_id or project/run_id")),
            },
            _ => return Err(bad("a run path is entity/project/run_id or project/run_id")),
        };
        if project.is_empty() || id.is_empty() || entity.is_some_and(str::is_empty) {
            return Err(bad("the entity, project and run id must not be empty"));
        }
        let entity = match entity {
            Some(e) => e.to_string(),
            None => self.default_entity()?,
        };
        Ok((entity, project.to_string(), id.to_string()))
    }

    fn parse_project_path(&self, path: &str) -> Result<(String, String)> {
        let cleaned = path.trim().trim_matches('/');
        let parts: Vec<&str> = cleaned.split('/').collect();
        match parts.as_slice() {
            [e, p] if !e.is_empty() && !p.is_empty() => Ok((e.to_string(), p.to_string())),
            [p] if !p.is_empty() => Ok((self.default_entity()?, p.to_string())),
            _ => Err(OnlineError::InvalidPath {
                path: path.to_string(),
                reason: "a project path is entity/project or project",
            }),
        }
    }
}

/// A string field of a GraphQL node (absent or not a string: `None`).
pub(crate) fn str_field(node: &JValue, key: &str) -> Option<String> {
    node.get(key).and_then(JValue::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        let s = Settings {
            base_url: "http://127.0.0.1:9".into(),
            api_key: Some("k".repeat(40)),
            entity: Some("team".into()),
            ..Settings::default()
        };
        Api::from_settings(&s).unwrap()
    }

    #[test]
    fn run_paths() {
        let api = api();
        let p = |s: &str| api.parse_run_path(s).map_err(|e| e.to_string());
        let t = |e: &str, p: &str, i: &str| Ok((e.into(), p.into(), i.into()));
        assert_eq!(p("e/p/r"), t("e", "p", "r"));
        assert_eq!(p("/e/p/runs/r/"), t("e", "p", "r"));
        assert_eq!(p("e/p:r"), t("e", "p", "r"));
        assert_eq!(p("p/r"), t("team", "p", "r"));
        assert_eq!(p("p:r"), t("team", "p", "r"));
        for bad in ["", "r", "a/b/c/d/e", "e//r", "/p:"] {
            let err = p(bad).unwrap_err();
            assert!(err.starts_with("invalid path"), "{bad}: {err}");
        }
        assert_eq!(
            api.parse_project_path("e/p").unwrap(),
            ("e".into(), "p".into())
        );
        assert_eq!(
            api.parse_project_path("p").unwrap(),
            ("team".into(), "p".into())
        );
        assert!(api.parse_project_path("a/b/c").is_err());
    }

    #[test]
    fn bad_credentials_are_typed_errors() {
        assert!(matches!(
            Api::new("http://x", "short"),
            Err(OnlineError::InvalidApiKey(_))
        ));
        assert!(matches!(
            Api::new("ftp://x", &"k".repeat(40)),
            Err(OnlineError::InvalidBaseUrl { .. })
        ));
        let err = Api::from_environment([("HOME", "/nonexistent-home-for-test")]).unwrap_err();
        assert!(matches!(err, OnlineError::MissingApiKey { .. }), "{err}");
    }
}
