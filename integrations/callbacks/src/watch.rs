//! `watch()`: histograms of a model's parameters and gradients, logged the
//! way the official client's `run.watch(model)` logs them (spec §5).
//!
//! The framework-neutral part lives here: which steps log, the keys
//! (`gradients/<prefix><name>`, `parameters/<prefix><name>`), the histogram
//! rules ([`TensorHistogram`]) and the `commit = false` log that makes the
//! histograms join the next committed row. A framework adapter (see
//! `wandb-burn`) only walks its model and hands over host `f32` slices.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use wandb_core::{LogOptions, Row, Run, WeakRun};

use crate::histogram::{DeferredHistogram, TensorHistogram, DEFAULT_BINS};

/// What `watch` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchLog {
    /// Gradient histograms only (the official default).
    #[default]
    Gradients,
    /// Parameter histograms only.
    Parameters,
    /// Both.
    All,
}

impl WatchLog {
    /// Whether parameter histograms are logged.
    pub fn parameters(self) -> bool {
        matches!(self, WatchLog::Parameters | WatchLog::All)
    }

    /// Whether gradient histograms are logged.
    pub fn gradients(self) -> bool {
        matches!(self, WatchLog::Gradients | WatchLog::All)
    }
}

/// A predicate on parameter names (`fc1.weight`) choosing what to log.
pub type NameFilter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Options of [`watch`]. The defaults are the official client's:
/// gradients, every 1000 steps, 64 bins, everything.
#[derive(Clone)]
pub struct WatchOptions {
    /// What to log.
    pub log: WatchLog,
    /// Log on every `log_freq`-th step (the 1000th, 2000th, ...); 0 is treated as 1.
    pub log_freq: u64,
    /// Watch index: the keys of index `n > 0` carry the prefix `graph_<n>`.
    /// `None` numbers the watched models of a run 0, 1, 2, ... in call order.
    pub idx: Option<usize>,
    /// Bins per histogram (the official client uses 64); clamped to 1..=512.
    pub num_bins: usize,
    /// Only parameters whose name passes this predicate are logged
    /// (beyond the official client, cf. wandb#6945).
    pub filter: Option<NameFilter>,
    /// At most this many histograms per logged step (beyond the official
    /// client); the first ones in visiting order are kept.
    pub max_tensors_per_step: Option<usize>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            log: WatchLog::Gradients,
            log_freq: 1000,
            idx: None,
            num_bins: DEFAULT_BINS,
            filter: None,
            max_tensors_per_step: None,
        }
    }
}

impl fmt::Debug for WatchOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchOptions")
            .field("log", &self.log)
            .field("log_freq", &self.log_freq)
            .field("idx", &self.idx)
            .field("num_bins", &self.num_bins)
            .field("filter", &self.filter.as_ref().map(|_| "<fn>"))
            .field("max_tensors_per_step", &self.max_tensors_per_step)
            .finish()
    }
}

impl WatchOptions {
    /// The defaults.
    pub fn new() -> Self {
        WatchOptions::default()
    }

    /// What to log.
    pub fn log(mut self, log: WatchLog) -> Self {
        self.log = log;
        self
    }

    /// Log every `n` steps.
    pub fn log_freq(mut self, n: u64) -> Self {
        self.log_freq = n;
        self
    }

    /// Fixes the watch index (key prefix `graph_<idx>` for `idx > 0`).
    pub fn idx(mut self, idx: usize) -> Self {
        self.idx = Some(idx);
        self
    }

    /// Bins per histogram.
    pub fn num_bins(mut self, n: usize) -> Self {
        self.num_bins = n;
        self
    }

    /// Logs only parameters whose name passes `f`.
    ///
    /// ```
    /// use wandb_callbacks::WatchOptions;
    /// let opts = WatchOptions::new().filter(|name| !name.ends_with(".bias"));
    /// # let _ = opts;
    /// ```
    pub fn filter(mut self, f: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(f));
        self
    }

    /// Caps the number of histograms per logged step.
    pub fn max_tensors_per_step(mut self, n: usize) -> Self {
        self.max_tensors_per_step = Some(n);
        self
    }
}

/// Next watch index per run id (the official client numbers `watch` calls per run).
static NEXT_INDEX: LazyLock<Mutex<HashMap<String, usize>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Starts watching a model in `run`: returns the [`Watcher`] the training
/// loop calls once per step.
///
/// The watcher holds the run weakly: dropping the last [`Run`] handle still
/// finishes the run, after which the watcher logs nothing.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wandb_callbacks::{watch, WatchLog, WatchOptions};
/// let run = wandb_core::init(wandb_core::InitOptions::new().project("demo"))?;
/// let watcher = watch(&run, WatchOptions::new().log(WatchLog::All).log_freq(100));
/// let (weights, grads) = (vec![0.1f32; 12], vec![0.01f32; 12]);
/// for _step in 0..1000 {
///     // forward + backward ...
///     watcher.observe(|s| {
///         s.parameter("fc.weight", &weights);
///         s.gradient("fc.weight", &grads);
///     })?;
///     // run.log(row!{"loss" => ...}) commits the row the histograms join.
/// }
/// # Ok(()) }
/// ```
pub fn watch(run: &Run, options: WatchOptions) -> Watcher {
    let (idx, first) = {
        let mut map = NEXT_INDEX.lock();
        let first = !map.contains_key(run.id());
        let next = map.entry(run.id().to_owned()).or_insert(0);
        let idx = options.idx.unwrap_or(*next);
        *next = (*next).max(idx + 1);
        (idx, first)
    };
    if first {
        // Forget the run's counter when it finishes.
        let id = run.id().to_owned();
        run.on_finish(move || {
            NEXT_INDEX.lock().remove(&id);
        });
    }
    let prefix = if idx > 0 {
        format!("graph_{idx}")
    } else {
        String::new()
    };
    Watcher {
        inner: Arc::new(Inner {
            run: run.downgrade(),
            prefix,
            idx,
            options,
            calls: AtomicU64::new(0),
            warned_cap: AtomicBool::new(false),
        }),
    }
}

struct Inner {
    run: WeakRun,
    prefix: String,
    idx: usize,
    options: WatchOptions,
    calls: AtomicU64,
    warned_cap: AtomicBool,
}

/// A watched model: decides which steps log and builds their histograms.
/// Cheap to clone (shared counter); `Send + Sync`.
#[derive(Clone)]
pub struct Watcher {
    inner: Arc<Inner>,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("idx", &self.inner.idx)
            .field("options", &self.inner.options)
            .field("steps", &self.inner.calls.load(Ordering::Relaxed))
            .finish()
    }
}

impl Watcher {
    /// The watch index (0 for the first model of a run).
    pub fn index(&self) -> usize {
        self.inner.idx
    }

    /// The key prefix: empty for index 0, `graph_<n>` otherwise.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The options.
    pub fn options(&self) -> &WatchOptions {
        &self.inner.options
    }

    /// Steps counted so far.
    pub fn steps(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// Counts one training step; returns a [`WatchStep`] to fill when this
    /// step logs (every `log_freq`-th call, as the official hooks count),
    /// `None` otherwise, so that nothing is copied off the device in between.
    pub fn step(&self) -> Option<WatchStep> {
        let n = self.inner.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let freq = self.inner.options.log_freq.max(1);
        n.is_multiple_of(freq).then(|| WatchStep {
            watcher: self.clone(),
            number: n,
            row: Row::new(),
            added: 0,
            skipped: 0,
        })
    }

    /// Like [`Watcher::step`] for a loop that counts its own steps from 0:
    /// step `n` logs when `n + 1` is a multiple of `log_freq` (the same
    /// steps as the `n + 1`-th call of [`Watcher::step`]). Does not touch
    /// the watcher's own counter.
    pub fn step_at(&self, step: u64) -> Option<WatchStep> {
        let freq = self.inner.options.log_freq.max(1);
        (step + 1).is_multiple_of(freq).then(|| WatchStep {
            watcher: self.clone(),
            number: step.saturating_add(1),
            row: Row::new(),
            added: 0,
            skipped: 0,
        })
    }

    /// Counts one step and, when it logs, lets `fill` add histograms and
    /// commits them; returns how many histograms were logged.
    pub fn observe(&self, fill: impl FnOnce(&mut WatchStep)) -> Result<usize, wandb_core::Error> {
        match self.step() {
            Some(mut s) => {
                fill(&mut s);
                s.commit()
            }
            None => Ok(0),
        }
    }
}

/// The histograms of one logged step, built by the training loop and sent
/// with [`WatchStep::commit`] (dropping it sends nothing).
pub struct WatchStep {
    watcher: Watcher,
    number: u64,
    row: Row,
    added: usize,
    skipped: usize,
}

impl fmt::Debug for WatchStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchStep")
            .field("number", &self.number)
            .field("added", &self.added)
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl WatchStep {
    /// Whether this step logs parameter histograms.
    pub fn wants_parameters(&self) -> bool {
        self.watcher.inner.options.log.parameters()
    }

    /// Whether this step logs gradient histograms.
    pub fn wants_gradients(&self) -> bool {
        self.watcher.inner.options.log.gradients()
    }

    /// Whether a tensor of parameter `name` would be logged (name filter and
    /// per-step cap); check it before copying a tensor to the host.
    pub fn accepts(&self, name: &str) -> bool {
        let o = &self.watcher.inner.options;
        if o.max_tensors_per_step.is_some_and(|cap| self.added >= cap) {
            return false;
        }
        o.filter.as_ref().is_none_or(|f| f(name))
    }

    /// Adds the histogram of parameter `name`'s values (`parameters/<prefix><name>`);
    /// returns whether it was added.
    pub fn parameter(&mut self, name: &str, values: &[f32]) -> bool {
        self.wants_parameters() && self.add("parameters/", name, values)
    }

    /// Adds the histogram of parameter `name`'s gradient (`gradients/<prefix><name>`);
    /// returns whether it was added.
    pub fn gradient(&mut self, name: &str, values: &[f32]) -> bool {
        self.wants_gradients() && self.add("gradients/", name, values)
    }

    /// Like [`WatchStep::parameter`], fetching the values only when they
    /// will be used (`fetch` returning `None` adds nothing). The histogram
    /// of a small tensor (at most [`DeferredHistogram::MAX_LEN`] values) is
    /// computed on the run's writer thread, off the training loop.
    pub fn parameter_with(&mut self, name: &str, fetch: impl FnOnce() -> Option<Vec<f32>>) -> bool {
        if !self.wants_parameters() || !self.accepts_counting(name) {
            return false;
        }
        fetch().is_some_and(|v| self.add_owned("parameters/", name, v))
    }

    /// Like [`WatchStep::gradient`], fetching the values only when they will
    /// be used; small tensors as in [`WatchStep::parameter_with`].
    pub fn gradient_with(&mut self, name: &str, fetch: impl FnOnce() -> Option<Vec<f32>>) -> bool {
        if !self.wants_gradients() || !self.accepts_counting(name) {
            return false;
        }
        fetch().is_some_and(|v| self.add_owned("gradients/", name, v))
    }

    /// Histograms added so far.
    pub fn len(&self) -> usize {
        self.added
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.added == 0
    }

    /// Which training step this is, counted from 1 (the `n`-th call of
    /// [`Watcher::step`], or `step + 1` for [`Watcher::step_at`]).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The watched run, unless it was dropped.
    pub fn run(&self) -> Option<wandb_core::Run> {
        self.watcher.inner.run.upgrade()
    }

    /// Logs the histograms with `commit = false`, so they join the next
    /// committed row; returns how many were logged.
    pub fn commit(self) -> Result<usize, wandb_core::Error> {
        let Some(run) = self.run() else {
            return Ok(0);
        };
        let (row, added) = self.into_row();
        if added > 0 {
            run.log_with(row, LogOptions::new().commit(false))?;
        }
        Ok(added)
    }

    /// Ends the step without logging: the histograms as a row and how many
    /// there are, for an adapter that joins them to a row itself (e.g. the
    /// row of the same training step logged from another thread).
    pub fn into_row(self) -> (Row, usize) {
        if self.skipped > 0 && !self.watcher.inner.warned_cap.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                skipped = self.skipped,
                cap = ?self.watcher.inner.options.max_tensors_per_step,
                "watch: more tensors than max_tensors_per_step; the rest are not logged"
            );
        }
        (self.row, self.added)
    }

    fn accepts_counting(&mut self, name: &str) -> bool {
        let ok = self.accepts(name);
        let filtered_out = self
            .watcher
            .inner
            .options
            .filter
            .as_ref()
            .is_some_and(|f| !f(name));
        if !ok && !filtered_out {
            self.skipped += 1;
        }
        ok
    }

    fn add(&mut self, kind: &str, name: &str, values: &[f32]) -> bool {
        if !self.accepts_counting(name) {
            return false;
        }
        self.add_histogram(kind, name, values)
    }

    /// Adds the histogram of `values` (already counted against the cap),
    /// deferred to the writer thread when the tensor is small.
    fn add_owned(&mut self, kind: &str, name: &str, values: Vec<f32>) -> bool {
        if values.len() > DeferredHistogram::MAX_LEN {
            return self.add_histogram(kind, name, &values);
        }
        match DeferredHistogram::new(values, self.watcher.inner.options.num_bins) {
            Ok(h) => {
                self.insert(kind, name, wandb_core::Value::media(h));
                true
            }
            Err(_) => false,
        }
    }

    fn add_histogram(&mut self, kind: &str, name: &str, values: &[f32]) -> bool {
        match TensorHistogram::from_slice(values, self.watcher.inner.options.num_bins) {
            Some(h) => {
                self.insert(kind, name, h.to_value());
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, kind: &str, name: &str, value: wandb_core::Value) {
        let key = format!("{kind}{}{name}", self.watcher.inner.prefix);
        self.row.insert(key, value);
        self.added += 1;
    }
}
