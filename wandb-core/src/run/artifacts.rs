//! `run.log_artifact` and `run.use_artifact` (see crate::artifact).

use crate::artifact::{
    build_record, stage, Artifact, ArtifactError, ArtifactRef, LoggedArtifact, UsedArtifact,
};
use crate::error::{Error, Result};
#[cfg(feature = "online")]
use crate::proto;
use crate::proto::record::RecordType;
use crate::settings::Mode;

use super::Run;

impl Run {
    /// Logs `artifact` with `aliases` (`latest` is always added): copies its
    /// files into the staging directory (`$WANDB_DATA_DIR/artifacts/staging`
    /// when the run has a data directory, else `<run dir>/tmp/artifacts/staging`),
    /// read-only, and writes the `artifact` record, as the official client
    /// does offline. `wandb sync` (official or `wandb-rs sync`) uploads it;
    /// an online run uploads it while it runs. The copy happens on the
    /// calling thread (artifacts are logged between epochs, not per step).
    ///
    /// Errors: an invalid alias; a file that changed since it was added
    /// ([`ArtifactError::Changed`]); staging I/O; a finished run.
    pub fn log_artifact<S: AsRef<str>>(
        &self,
        artifact: &Artifact,
        aliases: &[S],
    ) -> Result<LoggedArtifact> {
        if self.shared().state.lock().finished {
            return Err(Error::Finished);
        }
        let staging = stage::staging_dir(self.info(), self.dir());
        if self.is_disabled() {
            // validate only: a disabled run writes nothing
            let mut logged = LoggedArtifact {
                name: artifact.name().to_string(),
                r#type: artifact.artifact_type().to_string(),
                digest: artifact.digest(),
                aliases: Vec::new(),
                staged: Vec::new(),
            };
            logged.aliases = crate::artifact::validate_aliases(aliases)?;
            return Ok(logged);
        }
        let (record, logged) = build_record(artifact, self.info(), &staging, aliases)?;
        self.emit_record(RecordType::Artifact(record))?;
        Ok(logged)
    }

    /// Declares that this run uses the artifact `reference`
    /// (`[[entity/]project/]name[:alias]`; entity and project default to the
    /// run's). Online, the version is looked up, the server records the
    /// "used by" edge (`UseArtifact`) and a `use_artifact` record is written,
    /// as the official client; this blocks on the server. Offline and
    /// disabled runs fail with [`ArtifactError::NeedsServer`] and write
    /// nothing (the official client raises offline too).
    pub fn use_artifact(&self, reference: &str) -> Result<UsedArtifact> {
        let parsed = ArtifactRef::parse(reference)?;
        let mode = match self.settings().mode {
            Mode::Offline => "offline",
            Mode::Disabled => "disabled",
            Mode::Online => return self.use_artifact_online(parsed),
        };
        Err(ArtifactError::NeedsServer {
            reference: parsed.to_string(),
            mode,
        }
        .into())
    }

    #[cfg(feature = "online")]
    fn use_artifact_online(&self, parsed: ArtifactRef) -> Result<UsedArtifact> {
        let (client, entity) = {
            let live = self.shared().live.lock();
            let live = live.as_ref().ok_or(Error::Finished)?;
            (live.client(), live.entity().to_string())
        };
        let info = self.info();
        let used =
            crate::online::use_artifact(&client, &parsed, &entity, &info.project, &info.run_id)?;
        self.emit_record(RecordType::UseArtifact(proto::UseArtifactRecord {
            id: used.id.clone(),
            r#type: used.r#type.clone(),
            name: format!("{}:{}", parsed.name, parsed.alias),
            info: None,
        }))?;
        Ok(used)
    }

    #[cfg(not(feature = "online"))]
    fn use_artifact_online(&self, parsed: ArtifactRef) -> Result<UsedArtifact> {
        Err(ArtifactError::NeedsServer {
            reference: parsed.to_string(),
            mode: "online (without the `online` feature)",
        }
        .into())
    }
}
