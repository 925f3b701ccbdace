//! `run.log_artifact` and `run.use_artifact` (see crate::artifact).

use crate::artifact::{build_record, stage, Artifact, ArtifactError, ArtifactRef, LoggedArtifact};
use crate::error::{Error, Result};
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
    /// (`[[entity/]project/]name[:alias]`). The reference is parsed and
    /// validated; recording the "used by" edge needs the server, so, as the
    /// official client (which raises `TypeError` offline and writes no
    /// record), it fails with [`ArtifactError::NeedsServer`] in offline and
    /// disabled runs. wandb-rs does not yet look artifacts up online either,
    /// so online runs get the same error.
    pub fn use_artifact(&self, reference: &str) -> Result<ArtifactRef> {
        let parsed = ArtifactRef::parse(reference)?;
        let mode = match self.settings().mode {
            Mode::Offline => "offline",
            Mode::Disabled => "disabled",
            Mode::Online => "online (not implemented in wandb-rs yet)",
        };
        Err(ArtifactError::NeedsServer {
            reference: parsed.to_string(),
            mode,
        }
        .into())
    }
}
