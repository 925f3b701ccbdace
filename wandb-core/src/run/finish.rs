//! Finishing a run: hooks, the exit record, the writer's report, uploads,
//! all within one deadline (`finish_timeout` from the start of `finish`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::worker::{Msg, WorkerReport};

use super::{writer_stopped, Hook, Shared};

/// What [`crate::Run::finish_report`] did. Everything logged is in
/// [`FinishReport::run_dir`] either way; when the upload was cut short by
/// `finish_timeout`, [`FinishReport::sync_command`] sends the rest later.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FinishReport {
    /// The run directory.
    pub run_dir: PathBuf,
    /// How long `finish` took (at most about `finish_timeout`).
    pub elapsed: Duration,
    /// Online mode: what the upload sent and what it left unsent (`None`
    /// offline and disabled).
    #[cfg(feature = "online")]
    pub upload: Option<crate::online::SyncReport>,
}

impl FinishReport {
    /// True when nothing is left to send (always true offline: the run
    /// directory is the result; upload it with [`FinishReport::sync_command`]).
    pub fn is_complete(&self) -> bool {
        #[cfg(feature = "online")]
        if let Some(up) = &self.upload {
            return up.unsent.is_empty();
        }
        true
    }

    /// The command that uploads the run directory (or the rest of it).
    pub fn sync_command(&self) -> String {
        format!("wandb-rs sync {}", self.run_dir.display())
    }
}

/// How much of the finish time the hooks leave to the writer and the upload
/// (at most a quarter of `finish_timeout`).
const HOOKS_RESERVE: Duration = Duration::from_secs(1);

pub(super) fn finish_shared(shared: &Shared, exit_code: i32) -> Result<FinishReport> {
    let started = Instant::now();
    let deadline = crate::duration::deadline_from(started, shared.settings.finish_timeout);
    let hooks: Vec<Hook> = std::mem::take(&mut *shared.hooks.lock());
    if shared.state.lock().finished {
        return Err(Error::Finished);
    }
    // Hooks (integrations draining) stop early enough to leave the writer
    // and the upload a share of the time.
    let reserve = HOOKS_RESERVE.min(shared.settings.finish_timeout / 4);
    let hooks_deadline = deadline.checked_sub(reserve).unwrap_or(deadline);
    for hook in hooks {
        hook(hooks_deadline);
    }
    // As the official client: a clean finish ends `auto` resuming.
    if exit_code == 0 && shared.queue.is_some() && shared.on_disk {
        crate::resume::remove_auto_file(&super::resume::wandb_dir(&shared.settings));
    }
    let mut out = FinishReport {
        run_dir: shared.dir.clone(),
        elapsed: Duration::ZERO,
        #[cfg(feature = "online")]
        upload: None,
    };
    let Some(queue) = &shared.queue else {
        shared.state.lock().finished = true;
        out.elapsed = started.elapsed();
        return Ok(out);
    };
    let (reply, rx) = crossbeam_channel::bounded::<WorkerReport>(1);
    {
        let mut st = shared.state.lock();
        if st.finished {
            return Err(Error::Finished);
        }
        st.finished = true;
        queue
            .push(
                Msg::Finish {
                    exit_code,
                    elapsed: shared.start.elapsed().as_secs_f64(),
                    reply,
                },
                true,
            )
            .map_err(|_| writer_stopped())?;
    }
    let report = rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .map_err(|_| Error::FinishTimeout(shared.settings.finish_timeout))?;
    // The writer replied after its last write: it only returns now.
    if let Some(h) = shared.worker.lock().take() {
        let _ = h.join();
    }
    // Online mode: upload what is left, by the same deadline; anything
    // unsent stays in the run directory for `wandb-rs sync`.
    #[cfg(feature = "online")]
    if let Some(live) = shared.live.lock().take() {
        let sent = live.finish_by(deadline)?;
        if !sent.unsent.is_empty() {
            warn_unsent(shared, &sent.unsent);
        }
        out.upload = Some(sent);
    }
    // Console capture stopped in a hook above: the footer is not in output.log.
    #[cfg(feature = "online")]
    let uploaded = out
        .upload
        .as_ref()
        .map(|u| (u.files_uploaded.len(), u.artifacts_uploaded));
    #[cfg(not(feature = "online"))]
    let uploaded = None;
    let summary = shared.summary.lock().clone();
    shared.print_footer(&report.sampled_history, &summary, uploaded);
    tracing::info!(
        run_dir = %shared.dir.display(),
        rows = report.history_rows,
        "run finished"
    );
    out.elapsed = started.elapsed();
    match report.error {
        Some(e) => Err(Error::Writer(format!("{e}; {WRITE_FAILED_HINT}"))),
        None => Ok(out),
    }
}

/// What to do after the writer failed (disk full, directory removed or
/// made read-only while the run was live).
pub(crate) const WRITE_FAILED_HINT: &str = "the records written before the error are kept \
     and can be synced; free disk space or set InitOptions::dir (WANDB_DIR) to a writable \
     directory with room for the next run";

/// Says on stderr (unless `silent`) and in the log what did not reach the
/// server and how to send it.
#[cfg(feature = "online")]
fn warn_unsent(shared: &Shared, unsent: &crate::online::Unsent) {
    let dir = shared.dir.display();
    tracing::warn!(?unsent, run_dir = %dir,
        "not everything reached the server within finish_timeout; upload the rest with: wandb-rs sync <run dir>");
    if shared.settings.silent {
        return;
    }
    let mut parts = Vec::new();
    for (n, what) in [
        (unsent.history_lines, "history rows"),
        (unsent.events_lines, "system metrics rows"),
        (unsent.output_lines, "console lines"),
        (unsent.files.len(), "files"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if unsent.unread_bytes > 0 {
        parts.push(format!(
            "{} bytes of the log not read yet",
            unsent.unread_bytes
        ));
    }
    if unsent.summary {
        parts.push("the summary".into());
    }
    if unsent.completion {
        parts.push("the completion".into());
    }
    eprintln!(
        "wandb: WARNING finish_timeout ({:?}) passed before the upload was done; unsent: {}. \
         Everything is in {dir}; send it with: wandb-rs sync {dir}",
        shared.settings.finish_timeout,
        parts.join(", ")
    );
}
