//! The `resume` setting at `init` (semantics in crate::resume): picks the
//! run id (the `auto` resume file), checks the run against the server or
//! the earlier run directories before anything is written, and writes the
//! resume file.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::resume::{self, ResumeState};
use crate::run_dir;
use crate::settings::{Mode, Resume, Settings};

/// What `init` starts from.
pub(super) struct Begin {
    pub(super) run_id: String,
    pub(super) resumed: Option<ResumeState>,
    /// Online: the validated connection (key checked, resume applied).
    #[cfg(feature = "online")]
    pub(super) live: Option<crate::online::LivePrepared>,
}

/// `<root>/wandb`, where run directories and the resume file live.
pub(super) fn wandb_dir(settings: &Settings) -> PathBuf {
    settings.root_dir.join("wandb")
}

/// Resolves the run id and applies the `resume` setting (online or
/// offline; disabled runs ignore it). Errors leave no file behind.
pub(super) fn begin(settings: &mut Settings) -> Result<Begin> {
    let wandb_dir = wandb_dir(settings);
    let auto = settings.resume == Some(Resume::Auto) && settings.mode != Mode::Disabled;
    if auto && settings.run_id.is_none() {
        settings.run_id = resume::load_auto_id(&wandb_dir);
    }
    let run_id = match &settings.run_id {
        Some(id) => {
            run_dir::validate_run_id(id)?;
            id.clone()
        }
        None => run_dir::generate_run_id(),
    };
    #[cfg(feature = "online")]
    let mut live = None;
    let resumed = match settings.mode {
        Mode::Disabled => None,
        #[cfg(feature = "online")]
        Mode::Online => {
            let prepared = crate::online::LiveSync::prepare(settings, &run_id)
                .map_err(|e| unreachable_at_init(settings, e))?;
            let state = prepared.resumed().map(|r| r.state.clone());
            live = Some(prepared);
            state
        }
        // Several labelled processes of one offline run share its id: each
        // gets its own directory (`-1`, `-2`, ...), as the official client.
        _ if settings.label.is_some() && settings.resume.is_none() => None,
        _ => resume::offline::check(&wandb_dir, &run_id, settings.resume)?,
    };
    if auto {
        resume::save_auto_id(&wandb_dir, &run_id)?;
    }
    Ok(Begin {
        run_id,
        resumed,
        #[cfg(feature = "online")]
        live,
    })
}

/// The run's start moved back by the runtime it had, so `_runtime` and the
/// exit runtime continue from there (`_timestamp` stays the wall clock).
/// Returns the start and how far it was moved.
pub(super) fn shifted_start(resumed: Option<&ResumeState>) -> (Instant, Duration) {
    let now = Instant::now();
    let secs = resumed.map_or(0.0, |r| r.runtime_secs);
    let back = Duration::try_from_secs_f64(secs).unwrap_or_default();
    match now.checked_sub(back) {
        Some(start) => (start, back),
        // an Instant cannot go before the clock's origin: runtime restarts
        None => (now, Duration::ZERO),
    }
}

/// The server unreachable at `init`: one message naming the server, how
/// long was tried and what to do (nothing was written; wandb-rs never
/// switches to offline by itself).
#[cfg(feature = "online")]
fn unreachable_at_init(settings: &Settings, e: crate::online::OnlineError) -> crate::Error {
    match e {
        crate::online::OnlineError::Unreachable { attempts, last, .. } => {
            let waited = settings
                .init_timeout
                .unwrap_or(crate::online::LiveOptions::default().start_timeout);
            crate::Error::InvalidSetting {
                name: "base_url".into(),
                reason: format!(
                    "the W&B server at {} could not be reached within {waited:?} ({attempts} \
                     attempts; last error: {last}): check the URL (WANDB_BASE_URL) and the \
                     network, raise init_timeout (WANDB_INIT_TIMEOUT), or run with \
                     Mode::Offline (WANDB_MODE=offline) and upload later with `wandb-rs sync`",
                    settings.base_url
                ),
            }
        }
        other => other.into(),
    }
}
