//! Changing a run after `init`, as the official client does: `set_name`,
//! `set_tags`, `set_notes` write a new run record carrying the current
//! name, tags and notes (online: an `UpsertBucket`); `alert` writes an
//! alert record (online: `notifyScriptableRunAlert`); `mark_preempting`
//! writes a preempting record (online: file_stream `"preempting": true`).

use std::time::Duration;

use crate::error::{Error, Result};
use crate::proto::{self, record::RecordType};

use super::Run;

/// The level of an [`Run::alert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertLevel {
    /// Information (the default).
    #[default]
    Info,
    /// A warning.
    Warn,
    /// An error.
    Error,
}

impl AlertLevel {
    /// The name W&B uses: `INFO`, `WARN`, `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertLevel::Info => "INFO",
            AlertLevel::Warn => "WARN",
            AlertLevel::Error => "ERROR",
        }
    }
}

/// The official default wait between two alerts with the same title.
pub const DEFAULT_ALERT_WAIT: Duration = Duration::from_secs(60);

impl Run {
    /// Renames the run (its display name in the W&B UI).
    pub fn set_name(&self, name: impl Into<String>) -> Result<()> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(Error::InvalidValue(
                "a run name must not be empty; pass the name to show in the W&B UI".into(),
            ));
        }
        self.shared().meta.lock().name = Some(name);
        self.publish_run()
    }

    /// Replaces the run's tags.
    pub fn set_tags<I, S>(&self, tags: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tags: Vec<String> = tags.into_iter().map(Into::into).collect();
        for t in &tags {
            if t.is_empty() || t.chars().count() > 64 {
                return Err(Error::InvalidValue(format!(
                    "tag {t:?} must have 1 to 64 characters (as W&B requires); tags not updated"
                )));
            }
        }
        self.shared().meta.lock().tags = tags;
        self.publish_run()
    }

    /// Replaces the run's notes (Markdown).
    pub fn set_notes(&self, notes: impl Into<String>) -> Result<()> {
        self.shared().meta.lock().notes = notes.into();
        self.publish_run()
    }

    /// The run's tags.
    pub fn tags(&self) -> Vec<String> {
        self.shared().meta.lock().tags.clone()
    }

    /// The run's notes (empty: none).
    pub fn notes(&self) -> String {
        self.shared().meta.lock().notes.clone()
    }

    /// Writes a run record with the current name, tags and notes.
    fn publish_run(&self) -> Result<()> {
        let shared = self.shared();
        let meta = shared.meta.lock().clone();
        let rec = proto::RunRecord {
            run_id: shared.info.run_id.clone(),
            entity: shared.info.entity.clone(),
            project: shared.info.project.clone(),
            display_name: meta.name.unwrap_or_default(),
            notes: meta.notes,
            tags: meta.tags,
            ..Default::default()
        };
        self.emit_record(RecordType::Run(rec))
    }

    /// Sends an alert (W&B emails it or posts it to Slack, as set up in the
    /// user's settings). `wait_duration`: the least time between two alerts
    /// with the same title (the server drops those sent sooner); `None`
    /// means one minute, as the official client. Offline, the alert is kept
    /// in the run and sent by `sync`.
    pub fn alert(
        &self,
        title: impl Into<String>,
        text: impl Into<String>,
        level: AlertLevel,
        wait_duration: Option<Duration>,
    ) -> Result<()> {
        let title = title.into();
        if title.is_empty() {
            return Err(Error::InvalidValue(
                "an alert needs a title (less than 64 characters)".into(),
            ));
        }
        let wait = wait_duration.unwrap_or(DEFAULT_ALERT_WAIT);
        // milliseconds, saturating
        let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        self.emit_record(RecordType::Alert(proto::AlertRecord {
            title,
            text: text.into(),
            level: level.as_str().into(),
            wait_duration: wait_ms,
            info: None,
        }))
    }

    /// Tells W&B the run is about to be preempted (a spot instance being
    /// reclaimed, a job scheduler's signal): the UI marks it preempted
    /// instead of crashed if it stops reporting.
    pub fn mark_preempting(&self) -> Result<()> {
        self.emit_record(RecordType::Preempting(proto::RunPreemptingRecord {
            info: None,
        }))
    }
}
