//! [`CheckpointManager`]: model checkpoints as versions of one `model`
//! artifact, following the official integrations' conventions (spec
//! artifacts.md §6): name `model-<run id>`, type `model`, aliases `latest`,
//! `epoch_<n>` and `best`, the monitored score in the metadata.

use std::path::Path;

use super::{Artifact, LoggedArtifact};
use crate::error::Result;
use crate::metric::Goal;
use crate::run::Run;

/// Metadata of every checkpoint version.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
struct CheckpointMetadata<'a> {
    /// The monitored value (`null` when unknown), as Lightning's `score`.
    score: Option<f64>,
    /// The file or directory name that was logged.
    original_filename: &'a str,
    /// The epoch the checkpoint was taken at.
    epoch: u64,
    /// The monitored metric, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    monitor: Option<&'a str>,
    /// `min` or `max`.
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'static str>,
}

/// One checkpoint logged by a [`CheckpointManager`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedCheckpoint {
    /// The epoch.
    pub epoch: u64,
    /// The monitored value.
    pub score: Option<f64>,
    /// Whether it was the best so far (and got the `best` alias).
    pub is_best: bool,
    /// What was recorded.
    pub artifact: LoggedArtifact,
}

/// Logs checkpoints (a file or a directory each) as versions of one
/// `model` artifact of a run.
///
/// ```no_run
/// # let run = wandb_core::init(wandb_core::InitOptions::new())?;
/// use wandb_core::{artifact::CheckpointManager, Goal};
/// let mut ckpts = CheckpointManager::new(&run).monitor("val_loss", Goal::Minimize);
/// // after writing epoch 3's weights to model.bin:
/// let logged = ckpts.save("model.bin", 3, Some(0.12))?;
/// assert!(logged.artifact.aliases.contains(&"epoch_3".to_string()));
/// # Ok::<(), wandb_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CheckpointManager {
    run: Run,
    name: String,
    monitor: Option<(String, Goal)>,
    best: Option<(f64, u64)>,
    logged: Vec<LoggedCheckpoint>,
}

impl CheckpointManager {
    /// Checkpoints of `run`, named `model-<run id>`, without a monitored
    /// metric (every checkpoint gets `latest` and `epoch_<n>`, none `best`).
    pub fn new(run: &Run) -> Self {
        CheckpointManager {
            name: format!("model-{}", run.id()),
            run: run.clone(),
            monitor: None,
            best: None,
            logged: Vec::new(),
        }
    }

    /// Another artifact name (validated as [`Artifact::new`]).
    pub fn name(mut self, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        Artifact::new(name.as_str(), "model")?;
        self.name = name;
        Ok(self)
    }

    /// Tracks `metric`: a checkpoint whose score improves on every earlier
    /// one gets the `best` alias (which the server moves to it).
    pub fn monitor(mut self, metric: impl Into<String>, goal: Goal) -> Self {
        self.monitor = Some((metric.into(), goal));
        self
    }

    /// The artifact name.
    pub fn artifact_name(&self) -> &str {
        &self.name
    }

    /// The best score so far and its epoch.
    pub fn best(&self) -> Option<(f64, u64)> {
        self.best
    }

    /// Every checkpoint logged so far.
    pub fn logged(&self) -> &[LoggedCheckpoint] {
        &self.logged
    }

    fn improves(&self, score: f64) -> bool {
        let Some((_, goal)) = &self.monitor else {
            return false;
        };
        if score.is_nan() {
            return false;
        }
        match (self.best, goal) {
            (None, _) => true,
            (Some((b, _)), Goal::Minimize) => score < b,
            (Some((b, _)), Goal::Maximize) => score > b,
        }
    }

    /// Logs the checkpoint at `path` (a file, logged under its file name,
    /// or a directory, logged with its relative paths) taken at `epoch`
    /// with the monitored `score`. Aliases: `latest`, `epoch_<epoch>`, and
    /// `best` when the score improves on every earlier checkpoint.
    pub fn save(
        &mut self,
        path: impl AsRef<Path>,
        epoch: u64,
        score: Option<f64>,
    ) -> Result<LoggedCheckpoint> {
        let is_best = score.is_some_and(|s| self.improves(s));
        self.save_as(path, epoch, score, is_best)
    }

    /// [`CheckpointManager::save`] with the caller's decision whether this
    /// checkpoint is the best (for callers that track the metric
    /// themselves, e.g. with a minimum improvement).
    pub fn save_as(
        &mut self,
        path: impl AsRef<Path>,
        epoch: u64,
        score: Option<f64>,
        is_best: bool,
    ) -> Result<LoggedCheckpoint> {
        let path = path.as_ref();
        let original = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let metadata = CheckpointMetadata {
            score: score.filter(|s| s.is_finite()),
            original_filename: &original,
            epoch,
            monitor: self.monitor.as_ref().map(|(m, _)| m.as_str()),
            mode: self.monitor.as_ref().map(|(_, g)| match g {
                Goal::Minimize => "min",
                Goal::Maximize => "max",
            }),
        };
        let mut art = Artifact::new(self.name.as_str(), "model")?.metadata(&metadata)?;
        if path.is_dir() {
            art.add_dir(path, None)?;
        } else {
            art.add_file(path, None)?;
        }
        let mut aliases = vec!["latest".to_string(), format!("epoch_{epoch}")];
        if is_best {
            aliases.push("best".into());
        }
        let artifact = self.run.log_artifact(&art, &aliases)?;
        if let Some(s) = score.filter(|_| is_best) {
            self.best = Some((s, epoch));
        }
        let logged = LoggedCheckpoint {
            epoch,
            score,
            is_best,
            artifact,
        };
        self.logged.push(logged.clone());
        Ok(logged)
    }

    /// Online runs: waits until every checkpoint logged so far has been
    /// uploaded (within `timeout` in all), then keeps only the newest `keep`
    /// versions of the checkpoint artifact on the server and deletes the
    /// older ones, except versions holding `best` or a user alias (see
    /// [`crate::online::keep_latest`]: idempotent, retried, and the report
    /// says what was deleted). A checkpoint the server refused is not on the
    /// server and is skipped. Offline runs: [`ArtifactError::NeedsServer`]
    /// (sync, then call [`crate::online::keep_latest`]).
    #[cfg(feature = "online")]
    pub fn keep_latest(
        &self,
        keep: usize,
        timeout: std::time::Duration,
    ) -> Result<crate::online::CleanupReport> {
        use super::ArtifactError;
        if self.run.settings().mode == crate::settings::Mode::Offline {
            return Err(ArtifactError::NeedsServer {
                reference: self.name.clone(),
                mode: "offline",
            }
            .into());
        }
        let deadline = crate::duration::deadline_after(timeout);
        for c in &self.logged {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match c.artifact.wait(left) {
                Ok(_) | Err(crate::Error::Artifact(ArtifactError::UploadFailed { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        let (client, entity) = self.run.live_client()?;
        Ok(crate::online::keep_latest(
            &client,
            &entity,
            &self.run.info().project,
            "model",
            &self.name,
            keep,
        )?)
    }
}
