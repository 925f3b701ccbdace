//! `run.log_artifact` and `run.use_artifact` (see crate::artifact).

use std::time::{Duration, Instant};

use crate::artifact::{
    build_record, stage, Artifact, ArtifactError, ArtifactRef, CommittedArtifact, LoggedArtifact,
    UsedArtifact, WaitHandle,
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
                client_id: String::new(),
                handle: None,
            };
            logged.aliases = crate::artifact::validate_aliases(aliases)?;
            return Ok(logged);
        }
        let (record, mut logged) = build_record(artifact, self.info(), &staging, aliases)?;
        self.emit_record(RecordType::Artifact(record))?;
        if self.settings().mode == Mode::Online {
            logged.handle = Some(WaitHandle(self.downgrade()));
        }
        Ok(logged)
    }

    /// [`LoggedArtifact::wait`]: flushes the run (so the live uploader sees
    /// the record), then waits up to `timeout` for the committed version.
    pub fn wait_artifact(
        &self,
        logged: &LoggedArtifact,
        timeout: Duration,
    ) -> Result<CommittedArtifact> {
        let mode = match self.settings().mode {
            Mode::Offline => "offline",
            Mode::Disabled => "disabled",
            Mode::Online => "online",
        };
        if mode != "online" || logged.client_id.is_empty() {
            return Err(ArtifactError::NotUploaded {
                name: logged.name.clone(),
                mode,
            }
            .into());
        }
        let deadline = crate::duration::deadline_after(timeout);
        if !self.shared().state.lock().finished {
            self.flush()?;
        }
        wait_uploaded_until(logged, timeout, deadline)
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

/// Waits for the upload outcome of `logged` without its run (dropped
/// already): only the uploader's published outcome is left to wait for.
pub(crate) fn wait_uploaded(
    logged: &LoggedArtifact,
    timeout: Duration,
) -> Result<CommittedArtifact> {
    if logged.client_id.is_empty() || logged.handle.is_none() {
        return Err(ArtifactError::NotUploaded {
            name: logged.name.clone(),
            mode: "offline",
        }
        .into());
    }
    wait_uploaded_until(logged, timeout, crate::duration::deadline_after(timeout))
}

#[cfg(feature = "online")]
fn wait_uploaded_until(
    logged: &LoggedArtifact,
    timeout: Duration,
    deadline: Instant,
) -> Result<CommittedArtifact> {
    use crate::online::artifact_wait::{outcome, Uploaded};
    match outcome(&logged.client_id, deadline) {
        None => Err(ArtifactError::WaitTimeout {
            name: logged.name.clone(),
            timeout,
        }
        .into()),
        Some(Uploaded::Failed(message)) => Err(ArtifactError::UploadFailed {
            name: logged.name.clone(),
            message,
        }
        .into()),
        Some(Uploaded::Done { id, client }) => {
            crate::online::artifact_by_id(&client, &id).map_err(|e| {
                ArtifactError::UploadFailed {
                    name: logged.name.clone(),
                    message: format!("committed as {id}, but looking it up failed: {e}"),
                }
                .into()
            })
        }
    }
}

#[cfg(not(feature = "online"))]
fn wait_uploaded_until(
    logged: &LoggedArtifact,
    _timeout: Duration,
    _deadline: Instant,
) -> Result<CommittedArtifact> {
    Err(ArtifactError::NotUploaded {
        name: logged.name.clone(),
        mode: "online (without the `online` feature)",
    }
    .into())
}
