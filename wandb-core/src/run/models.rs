//! `run.log_model`, `run.use_model` and `run.link_model`, with the official
//! client's semantics (wandb_run.py 0.31.0): `log_model` is `log_artifact`
//! of a path as type `model`, `use_model` is `use_artifact` + download,
//! `link_model` logs, waits for the commit and links the version into
//! `<entity>/model-registry/<registered model>`.

use std::path::{Path, PathBuf};
#[cfg(feature = "online")]
use std::time::Duration;

use crate::artifact::{Artifact, ArtifactError, LinkedModel, LoggedArtifact};
use crate::error::Result;
use crate::settings::Mode;

use super::Run;

/// How long `link_model` waits for the version to be committed before it
/// links it.
#[cfg(feature = "online")]
const LINK_WAIT: Duration = Duration::from_secs(600);

impl Run {
    /// The artifact `log_model`/`link_model` log for `path`: a file (added
    /// under its name), a directory (its files), or a URI with `://`
    /// (a reference), named `name` or `run-<run id>-<basename>`.
    fn path_artifact(&self, path: &str, name: Option<&str>, r#type: &str) -> Result<Artifact> {
        let base = Path::new(path.trim_end_matches('/'))
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = match name {
            Some(n) => n.to_string(),
            None => format!("run-{}-{base}", self.id()),
        };
        let mut art = Artifact::new(name, r#type)?;
        let local = Path::new(path);
        if local.is_file() {
            art.add_file(local, None)?;
        } else if local.is_dir() {
            art.add_dir(local, None)?;
        } else if path.contains("://") {
            art.add_reference(path, None)?;
        } else {
            return Err(ArtifactError::NotFound {
                path: local.to_path_buf(),
                expected: "file, directory or reference URI",
                hint: "log_model takes a file, a directory or a URI such as s3://bucket/path",
            }
            .into());
        }
        Ok(art)
    }

    /// Logs the model at `path` (a file, a directory, or a reference URI
    /// such as `s3://bucket/path`) as an artifact of type `model` named
    /// `name` (default `run-<run id>-<basename of path>`) with `aliases`
    /// (`latest` is always added), as the official `run.log_model`.
    /// Offline it is recorded for `wandb sync`; online it is uploaded in the
    /// background ([`LoggedArtifact::wait`] waits for the commit).
    pub fn log_model<S: AsRef<str>>(
        &self,
        path: impl AsRef<Path>,
        name: Option<&str>,
        aliases: &[S],
    ) -> Result<LoggedArtifact> {
        let path = path.as_ref().to_string_lossy().into_owned();
        let art = self.path_artifact(&path, name, "model")?;
        self.log_artifact(&art, aliases)
    }

    /// Downloads the model artifact `name` (`[[entity/]project/]name[:alias
    /// or vN]`) into `$WANDB_ARTIFACT_DIR/<name>:<version>` (default
    /// `<root dir>/artifacts/...`) through the artifact cache, declaring
    /// that this run uses it, and returns the path: the file itself when
    /// the version holds exactly one, else the directory (the official
    /// `run.use_model`). Online runs only; an artifact whose type does not
    /// contain `model` is [`ArtifactError::NotAModel`].
    pub fn use_model(&self, name: &str) -> Result<PathBuf> {
        let root = self
            .settings()
            .artifact_dir
            .clone()
            .unwrap_or_else(|| self.settings().root_dir.join("artifacts"));
        self.use_model_into(name, &root)
    }

    /// [`Run::use_model`] downloading under `root` (`<root>/<name>:<version>`).
    pub fn use_model_into(&self, name: &str, root: &Path) -> Result<PathBuf> {
        if self.settings().mode == Mode::Offline {
            return Err(ArtifactError::NeedsServer {
                reference: name.to_string(),
                mode: "offline",
            }
            .into());
        }
        let used = self.use_artifact(name)?;
        if !used.r#type.to_lowercase().contains("model") {
            return Err(ArtifactError::NotAModel {
                name: used.reference.name.clone(),
                r#type: used.r#type,
            }
            .into());
        }
        self.download_used(&used, root)
    }

    #[cfg(feature = "online")]
    fn download_used(&self, used: &crate::artifact::UsedArtifact, root: &Path) -> Result<PathBuf> {
        let (client, entity) = self.live_client()?;
        let mut reference = used.reference.clone();
        reference.alias = used.version.clone();
        let dir = root.join(format!("{}:{}", reference.name, used.version));
        let cache = self
            .settings()
            .cache_dir
            .clone()
            .unwrap_or_else(|| self.settings().root_dir.join(".cache/wandb"));
        crate::online::download_artifact(
            &client,
            &reference,
            &entity,
            &self.info().project,
            &dir,
            &cache,
        )?;
        let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| crate::Error::io("cannot list the downloaded model", &dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        Ok(match entries.as_slice() {
            [only] => only.clone(),
            _ => dir,
        })
    }

    #[cfg(not(feature = "online"))]
    fn download_used(&self, used: &crate::artifact::UsedArtifact, _root: &Path) -> Result<PathBuf> {
        Err(ArtifactError::NeedsServer {
            reference: used.reference.to_string(),
            mode: "online (without the `online` feature)",
        }
        .into())
    }

    #[cfg(feature = "online")]
    pub(crate) fn live_client(&self) -> Result<(std::sync::Arc<crate::online::Client>, String)> {
        let live = self.shared().live.lock();
        let live = live.as_ref().ok_or(crate::Error::Finished)?;
        Ok((live.client(), live.entity().to_string()))
    }

    /// Logs the model at `path` (as [`Run::log_model`], artifact `name`,
    /// default `run-<run id>-<basename>`; an existing artifact of that name
    /// keeps its type, which must contain `model`), waits until the version
    /// is committed, and links it into the registered model
    /// `<run entity>/model-registry/<registered_model_name>` with `aliases`
    /// (which apply to the link only; the server moves `latest`), as the
    /// official `run.link_model`. Online runs only: offline the official
    /// client raises too (nothing is logged here).
    pub fn link_model<S: AsRef<str>>(
        &self,
        path: impl AsRef<Path>,
        registered_model_name: &str,
        name: Option<&str>,
        aliases: &[S],
    ) -> Result<LinkedModel> {
        if registered_model_name.is_empty() || registered_model_name.contains('/') {
            return Err(ArtifactError::InvalidRegisteredModel {
                name: registered_model_name.to_string(),
            }
            .into());
        }
        // validated now (the link's aliases do not get `latest` added)
        crate::artifact::validate_aliases(aliases)?;
        let mode = match self.settings().mode {
            Mode::Online => None,
            Mode::Offline => Some("offline"),
            Mode::Disabled => Some("disabled"),
        };
        if let Some(mode) = mode {
            return Err(ArtifactError::NeedsServer {
                reference: format!("model-registry/{registered_model_name}"),
                mode,
            }
            .into());
        }
        let aliases: Vec<String> = aliases.iter().map(|a| a.as_ref().to_string()).collect();
        self.link_model_online(path.as_ref(), registered_model_name, name, &aliases)
    }

    #[cfg(feature = "online")]
    fn link_model_online(
        &self,
        path: &Path,
        registered: &str,
        name: Option<&str>,
        aliases: &[String],
    ) -> Result<LinkedModel> {
        let (client, entity) = self.live_client()?;
        let path = path.to_string_lossy().into_owned();
        let art = self.path_artifact(&path, name, "model")?;
        // an existing collection keeps its type (which must be a model type)
        let r#type = crate::online::latest_type(&client, &entity, &self.info().project, art.name())
            .ok()
            .flatten();
        let art = match r#type {
            Some(t) if !t.to_lowercase().contains("model") => {
                return Err(ArtifactError::NotAModel {
                    name: art.name().to_string(),
                    r#type: t,
                }
                .into())
            }
            Some(t) if t != "model" => self.path_artifact(&path, name, &t)?,
            _ => art,
        };
        let logged = self.log_artifact(&art, &[] as &[&str])?;
        let committed = self.wait_artifact(&logged, LINK_WAIT)?;
        let version_index = crate::online::link_artifact(
            &client,
            &committed.id,
            &entity,
            "model-registry",
            registered,
            aliases,
        )?;
        Ok(LinkedModel {
            artifact: committed,
            target: format!("{entity}/model-registry/{registered}"),
            version_index,
        })
    }

    #[cfg(not(feature = "online"))]
    fn link_model_online(
        &self,
        _path: &Path,
        registered: &str,
        _name: Option<&str>,
        _aliases: &[String],
    ) -> Result<LinkedModel> {
        Err(ArtifactError::NeedsServer {
            reference: format!("model-registry/{registered}"),
            mode: "online (without the `online` feature)",
        }
        .into())
    }
}
