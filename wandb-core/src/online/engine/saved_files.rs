//! Upload policies of the run's files (`run.save` and media): `now` files
//! are uploaded once while the run is live, `end` files only at the end,
//! `live` files when they appear, again each time they change (checked at
//! every file_stream batch, so at most once per transmit interval, like the
//! official `x_live_policy_rate_limit` of 15 s), and at the end with their
//! final content.

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use crate::proto::files_item::PolicyType;

/// What a file looked like when it was uploaded (size and modification
/// time of the file a `files/` link points to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    /// The current stamp of `path` (following links), if it is a file.
    pub(super) fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        m.is_file().then(|| Stamp {
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// Policies of the named files and the stamps of their last upload.
#[derive(Debug, Default)]
pub(super) struct SavedFiles {
    policy: HashMap<String, PolicyType>,
    uploaded: HashMap<String, Stamp>,
}

impl SavedFiles {
    /// Records `name`'s policy (a later record for the same file wins, as
    /// a second `save` of it does officially).
    pub(super) fn note(&mut self, name: &str, policy: i32) {
        let p = PolicyType::try_from(policy).unwrap_or(PolicyType::Now);
        self.policy.insert(name.to_string(), p);
    }

    /// The policy of `name` (`now` for files no record named).
    pub(super) fn policy(&self, name: &str) -> PolicyType {
        self.policy.get(name).copied().unwrap_or(PolicyType::Now)
    }

    /// Remembers what `name` looked like when it was uploaded.
    pub(super) fn uploaded(&mut self, name: &str, stamp: Option<Stamp>) {
        if let Some(s) = stamp {
            self.uploaded.insert(name.to_string(), s);
        }
    }

    /// True for a `live` file that was uploaded and has changed since.
    pub(super) fn live_changed(&self, name: &str, files_dir: &Path) -> bool {
        self.policy(name) == PolicyType::Live
            && self
                .uploaded
                .get(name)
                .is_some_and(|s| Stamp::of(&files_dir.join(name)) != Some(*s))
    }
}
