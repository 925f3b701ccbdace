//! Online mode and `sync`: stream runs to a W&B server (feature `online`).
//!
//! The `.wandb` transaction log is the source of truth. A *sync engine*
//! reads records from it — a finished offline run ([`sync_run_dir`]) or a
//! live run whose writer thread is still appending ([`LiveSync`]) — and
//! sends them with the official protocol (spec §6): `UpsertBucket`,
//! file_stream (history, system metrics, summary, console), `CreateRunFiles`
//! and uploads, completion. Requests are retried with exponential backoff
//! and jitter on 429, 5xx, timeouts and connection errors; file_stream
//! offsets make a re-sent batch overwrite rather than duplicate. While the
//! server is down nothing more is read from the file, so memory stays
//! bounded, and whatever is unsent when `finish` gives up stays in the run
//! directory for `wandb-rs sync`.
//!
//! ```no_run
//! use wandb_core::online::{sync_run_dir, SyncOptions};
//! let report = sync_run_dir(
//!     std::path::Path::new("wandb/offline-run-20260101_000000-abc123"),
//!     &SyncOptions { entity: Some("me".into()), ..SyncOptions::default() },
//!     |_progress| {},
//! )?;
//! assert!(report.unsent.is_empty());
//! # Ok::<(), wandb_core::online::OnlineError>(())
//! ```
//!
//! [`Api`] reads runs back from the server (config, summary, history,
//! files), as the official `wandb.Api()` does.
//!
//! The API key is sent only to the base URL (`Authorization: Basic
//! base64("api:" + key)`), never to upload URLs, and is never written to
//! any file or log line.

mod api;
mod artifact_cleanup;
mod artifact_download;
mod artifact_transfer;
mod artifact_use;
pub(crate) mod artifact_wait;
mod artifacts;
mod auth;
mod config_metrics;
mod engine;
mod error;
mod graphql;
mod http;
mod lines;
mod live;
mod report;
mod resume;
mod state;
mod stop_poll;
mod sync;
mod tail;
mod yaml;

pub use api::{
    Api, ApiArtifact, ApiRun, HistoryScan, ManifestEntry, RunFile, Runs, DEFAULT_API_TIMEOUT,
};
pub use artifact_cleanup::{
    delete_version, is_disposable_alias, keep_latest, list_versions, ArtifactVersion, CleanupReport,
};
pub use artifact_download::{cache_path, cache_path_for, download_artifact, DownloadedArtifact};
pub use artifact_transfer::{set_multipart_for_tests, PARALLEL};
pub use artifact_use::use_artifact;
pub use artifact_wait::{artifact_by_id, latest_type, link_artifact};
pub use auth::{
    netrc_path, read_settings_value, remove_netrc, resolve_api_key, resolve_base_url, url_host,
    write_netrc, ApiKey, DEFAULT_BASE_URL,
};
pub use error::{OnlineError, Result};
pub use http::{Client, Deadline, RetryPolicy};
pub use live::{FlushNotifier, LiveOptions, LivePrepared, LiveProgress, LiveSync, FINISH_MARGIN};
pub use report::{SyncReport, Unsent};
pub use resume::ServerRun;
pub use sync::{
    find_wandb_file, sync_order, sync_run_dir, synced_marker, SyncOptions, SyncProgress,
};
pub use tail::{Polled, Tail};
