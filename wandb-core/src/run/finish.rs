//! Finishing a run: hooks, the exit record, the writer's report, uploads.

use crate::error::{Error, Result};
use crate::worker::{Msg, WorkerReport};

use super::{writer_stopped, Hook, Shared};

pub(super) fn finish_shared(shared: &Shared, exit_code: i32) -> Result<()> {
    let hooks: Vec<Hook> = std::mem::take(&mut *shared.hooks.lock());
    if shared.state.lock().finished {
        return Err(Error::Finished);
    }
    for hook in hooks {
        hook();
    }
    // As the official client: a clean finish ends `auto` resuming.
    if exit_code == 0 && shared.queue.is_some() {
        crate::resume::remove_auto_file(&super::resume::wandb_dir(&shared.settings));
    }
    let Some(queue) = &shared.queue else {
        shared.state.lock().finished = true;
        return Ok(());
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
    let timeout = shared.settings.finish_timeout;
    let report = rx
        .recv_timeout(timeout)
        .map_err(|_| Error::FinishTimeout(timeout))?;
    if let Some(h) = shared.worker.lock().take() {
        let _ = h.join();
    }
    // Online mode: upload what is left (bounded by finish_timeout); anything
    // unsent stays in the run directory for `wandb-rs sync`.
    #[cfg(feature = "online")]
    if let Some(live) = shared.live.lock().take() {
        let sent = live.finish(timeout)?;
        if !sent.unsent.is_empty() {
            tracing::warn!(unsent = ?sent.unsent, run_dir = %shared.dir.display(),
                "not everything reached the server; upload the rest with: wandb-rs sync <run dir>");
        }
    }
    if !shared.settings.silent {
        tracing::info!(
            run_dir = %shared.dir.display(),
            rows = report.history_rows,
            "run finished; upload with: wandb sync {}",
            shared.dir.display()
        );
    }
    match report.error {
        Some(e) => Err(Error::Writer(e)),
        None => Ok(()),
    }
}
