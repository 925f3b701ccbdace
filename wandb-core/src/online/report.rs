//! What an upload achieved, and what is still unsent.

/// Data that did not reach the server (all of it is still in the run
/// directory: `wandb-rs sync` sends it later).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unsent {
    /// History rows read but not acknowledged.
    pub history_lines: usize,
    /// System-metrics rows read but not acknowledged.
    pub events_lines: usize,
    /// Console lines read but not acknowledged.
    pub output_lines: usize,
    /// Bytes of the `.wandb` file not read yet.
    pub unread_bytes: u64,
    /// Run files not uploaded.
    pub files: Vec<String>,
    /// The latest summary was not sent.
    pub summary: bool,
    /// The run was not marked complete on the server.
    pub completion: bool,
}

impl Unsent {
    /// True when everything was sent.
    pub fn is_empty(&self) -> bool {
        *self == Unsent::default()
    }
}

/// The outcome of [`super::sync_run_dir`] or [`super::LiveSync::finish`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Entity the run was sent to.
    pub entity: String,
    /// Project the run was sent to.
    pub project: String,
    /// Run id.
    pub run_id: String,
    /// History rows sent.
    pub history_lines: usize,
    /// System-metrics rows sent.
    pub events_lines: usize,
    /// Console lines sent.
    pub output_lines: usize,
    /// Files uploaded.
    pub files_uploaded: Vec<String>,
    /// The run's exit code (from its exit record).
    pub exit_code: Option<i32>,
    /// The server asked the run to stop.
    pub stopped: bool,
    /// The directory was already synced and was skipped.
    pub skipped: bool,
    /// Lines over the file_stream size limit (dropped, as the official client does).
    pub dropped_lines: usize,
    /// Artifacts created and committed (run_table artifacts of logged tables).
    pub artifacts_uploaded: usize,
    /// What is still unsent.
    pub unsent: Unsent,
}
