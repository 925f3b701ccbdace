//! `sync`: upload a finished run directory (ours or the official client's)
//! like `wandb sync` does.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;

use super::auth::{resolve_api_key, resolve_base_url};
use super::engine::{Engine, EngineConfig, Mode};
use super::error::{OnlineError, Result};
use super::http::{Client, RetryPolicy};
use super::report::SyncReport;
use super::tail::Tail;
use crate::proto;

/// Options of [`sync_run_dir`].
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Entity override (`-e`).
    pub entity: Option<String>,
    /// Project override (`-p`).
    pub project: Option<String>,
    /// Run id override (`--id`).
    pub run_id: Option<String>,
    /// Sync directories that carry the `.synced` marker again.
    pub include_synced: bool,
    /// Server; `None` = `WANDB_BASE_URL`, the settings files, or the default.
    pub base_url: Option<String>,
    /// API key; `None` = `WANDB_API_KEY` or netrc.
    pub api_key: Option<String>,
    /// Retry tuning.
    pub retry: RetryPolicy,
    /// Give up (reporting what is unsent) after this long; `None` = retry forever.
    pub timeout: Option<Duration>,
    /// Largest file_stream request.
    pub max_request_bytes: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            entity: None,
            project: None,
            run_id: None,
            include_synced: false,
            base_url: None,
            api_key: None,
            retry: RetryPolicy::default(),
            timeout: None,
            max_request_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Progress of a sync, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncProgress {
    /// Reading the log: bytes read of the total.
    Reading {
        /// Bytes read.
        read: u64,
        /// File size.
        total: u64,
    },
    /// Uploading the run files and completing the run.
    Finishing,
}

/// The `.wandb` file of a run directory (or the path itself if it is one).
pub fn find_wandb_file(dir: &Path) -> Result<PathBuf> {
    if dir.is_file() {
        return Ok(dir.to_path_buf());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| OnlineError::io("cannot read directory", dir, e))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wandb") && p.is_file())
        .collect();
    found.sort();
    found
        .into_iter()
        .next()
        .ok_or_else(|| OnlineError::NoWandbFile(dir.to_path_buf()))
}

/// `paths` in the order to sync them: by the start time in the run
/// directory names (`[offline-]run-YYYYMMDD_HHMMSS-<id>[-N]`), so the parts
/// of a resumed run reach the server in order, as `wandb sync` sorts them.
/// Paths without such a name keep their order, first.
pub fn sync_order(paths: &[PathBuf]) -> Vec<PathBuf> {
    let key = |p: &PathBuf| -> (String, u64) {
        let dir = if p.is_file() {
            p.parent()
        } else {
            Some(p.as_path())
        };
        let name = dir
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let rest = name
            .strip_prefix("offline-run-")
            .or_else(|| name.strip_prefix("run-"))
            .unwrap_or("");
        let stamp = rest.get(..15).unwrap_or("").to_string();
        // the official same-second suffix: the last `-N` after the id
        let suffix = rest
            .get(16..)
            .and_then(|id| id.rsplit_once('-'))
            .and_then(|(_, n)| n.parse::<u64>().ok())
            .unwrap_or(0);
        (stamp, suffix)
    };
    let mut out = paths.to_vec();
    out.sort_by_key(key);
    out
}

/// The marker `wandb sync` leaves: `run-<id>.wandb.synced`.
pub fn synced_marker(wandb_file: &Path) -> PathBuf {
    let mut s = wandb_file.as_os_str().to_owned();
    s.push(".synced");
    PathBuf::from(s)
}

/// Uploads a finished run directory: UpsertBucket, file_stream (history,
/// events, summary, console), the generated `config.yaml`,
/// `wandb-summary.json`, `wandb-metadata.json` (also written into `files/`),
/// the files named by `files` records, and completion; then writes the
/// `.synced` marker. A directory with the marker is skipped unless
/// `include_synced`.
pub fn sync_run_dir(
    dir: &Path,
    opts: &SyncOptions,
    mut progress: impl FnMut(SyncProgress),
) -> Result<SyncReport> {
    let file = find_wandb_file(dir)?;
    let marker = synced_marker(&file);
    if marker.exists() && !opts.include_synced {
        return Ok(SyncReport {
            skipped: true,
            ..SyncReport::default()
        });
    }
    let run_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let base_url = opts.base_url.clone().unwrap_or_else(resolve_base_url);
    let key = resolve_api_key(opts.api_key.as_deref(), &base_url)?;
    let client = Arc::new(Client::new(&base_url, &key, opts.retry.clone()));
    if let Some(t) = opts.timeout {
        client.deadline.set(crate::duration::deadline_after(t));
    }
    let cfg = EngineConfig {
        entity: opts.entity.clone(),
        project: opts.project.clone(),
        run_id: opts.run_id.clone(),
        mode: Mode::Sync,
        interval: Duration::from_secs(15),
        max_request_bytes: opts.max_request_bytes,
        heartbeat: Duration::from_secs(30),
        resume: false,
        resumed: None,
        fallback_entity: None,
        writer: Default::default(),
    };
    let mut engine = Engine::new(
        client,
        cfg,
        &run_dir.join("files"),
        Arc::new(AtomicBool::new(false)),
    );
    let total = std::fs::metadata(&file)
        .map_err(|e| OnlineError::io("cannot stat", &file, e))?
        .len();
    let mut tail = Tail::new(&file);
    let budget = opts.max_request_bytes.max(1 << 20);
    let result = (|| -> Result<()> {
        loop {
            let polled = tail.poll(budget)?;
            if polled.records.is_empty() {
                break;
            }
            for payload in polled.records {
                let rec =
                    proto::Record::decode(payload.as_slice()).map_err(|e| OnlineError::BadLog {
                        path: file.clone(),
                        reason: format!("undecodable record: {e}"),
                    })?;
                engine.handle(rec)?;
            }
            progress(SyncProgress::Reading {
                read: tail.offset().min(total),
                total,
            });
            if engine.pending_bytes() >= opts.max_request_bytes {
                engine.flush()?;
            }
        }
        if !engine.started() {
            return Err(OnlineError::NoRunRecord(file.clone()));
        }
        progress(SyncProgress::Finishing);
        engine.finish_run()
    })();
    result?;
    std::fs::write(&marker, b"").map_err(|e| OnlineError::io("cannot write", &marker, e))?;
    Ok(engine.report(total.saturating_sub(tail.offset())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_run_sync_in_start_order() {
        let p = |s: &str| PathBuf::from(format!("/x/wandb/{s}"));
        let given = vec![
            p("offline-run-20240102_000000-ab"),
            p("offline-run-20240101_000000-ab-1"),
            p("elsewhere"),
            p("offline-run-20240101_000000-ab"),
            p("run-20240101_120000-ab"),
        ];
        assert_eq!(
            sync_order(&given),
            vec![
                p("elsewhere"),
                p("offline-run-20240101_000000-ab"),
                p("offline-run-20240101_000000-ab-1"),
                p("run-20240101_120000-ab"),
                p("offline-run-20240102_000000-ab"),
            ]
        );
    }
}
