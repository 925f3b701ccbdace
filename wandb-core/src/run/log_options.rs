//! [`LogOptions`]: the official `step=` and `commit=` of `log`.

/// Options of one `log` call: the official `step=` and `commit=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub(super) step: Option<u64>,
    pub(super) commit: Option<bool>,
}

impl LogOptions {
    /// Default options: log at the current step and commit the row.
    pub fn new() -> Self {
        LogOptions::default()
    }
    /// An explicit step. It must not be lower than the current step; a
    /// higher step first commits the pending row. Without `commit(true)` the
    /// row stays open for more values at that step (as the official client).
    pub fn step(mut self, step: u64) -> Self {
        self.step = Some(step);
        self
    }
    /// `false` merges the values into the current row without committing it
    /// (the official `commit=False`); `true` commits.
    pub fn commit(mut self, commit: bool) -> Self {
        self.commit = Some(commit);
        self
    }
}
