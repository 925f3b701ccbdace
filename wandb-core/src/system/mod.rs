//! System metrics and run metadata, as the official client records them.
//!
//! - [`SystemMonitor`] samples the machine every
//!   `Settings::stats_sampling_interval` (default 15 s, setting
//!   `x_stats_sampling_interval`, env `WANDB_X_STATS_SAMPLING_INTERVAL`) on a
//!   background thread and writes one `stats` record per sample, with the
//!   official keys (`cpu`, `memory_percent`, `proc.memory.rssMB`,
//!   `network.sent`, `disk./.usageGB`, `gpu.0.gpu`, …; see
//!   `docs/system-metrics.md`).
//! - Metrics come from [`MetricSource`]s: [`HostSource`] (sysinfo and
//!   `/proc`), `NvmlSource` (NVIDIA GPUs, cargo feature `gpu`) or your own,
//!   e.g. deterministic values in tests.
//! - [`fill_hardware`], [`git::discover`] and [`record_dependencies`] gather the
//!   `environment` record and `requirements.txt`; [`metadata_json`] renders
//!   `wandb-metadata.json`.

mod deps;
pub mod git;
pub mod gpu;
mod hardware;
mod host;
mod metadata;
mod monitor;
pub(crate) mod procfs;
mod sample;

pub use deps::{find_cargo_lock, requirements_from_lock};
pub use hardware::{cpu_model, fill_hardware};
pub use host::HostSource;
pub use metadata::{merge_environment, metadata_json};
pub use monitor::{StatsSink, SystemMonitor};
pub(crate) use sample::timestamp as sample_timestamp;
pub use sample::{float_json, Sample};

use std::path::PathBuf;

/// A producer of system metrics, polled once per sampling round on the
/// monitor thread.
pub trait MetricSource: Send {
    /// A short name for logs (`host`, `nvidia`).
    fn name(&self) -> &str;
    /// Appends this round's values to `out`. Must not block for long: it
    /// runs on the sampling thread, between two records.
    fn sample(&mut self, out: &mut Sample);
}

/// The official default of `x_stats_disk_paths`: the root file system.
pub fn default_disk_paths() -> Vec<PathBuf> {
    #[cfg(windows)]
    {
        vec![PathBuf::from("C:\\")]
    }
    #[cfg(not(windows))]
    {
        vec![PathBuf::from("/")]
    }
}

/// The metric sources of this machine for process `pid`: the host (CPU,
/// memory, network, disks) and, with the `gpu` feature and an NVIDIA
/// driver, the GPUs.
pub fn default_sources(pid: u32, disk_paths: Vec<PathBuf>) -> Vec<Box<dyn MetricSource>> {
    let mut sources: Vec<Box<dyn MetricSource>> = Vec::new();
    if let Some(h) = HostSource::new(pid, disk_paths) {
        sources.push(Box::new(h));
    }
    #[cfg(feature = "gpu")]
    if let Some(g) = gpu::NvmlSource::new(pid) {
        sources.push(Box::new(g));
    }
    sources
}

// ---- run integration -------------------------------------------------------

use std::sync::Arc;

use crate::proto::record::RecordType;
use crate::{Run, Settings, WeakRun};

impl StatsSink for WeakRun {
    fn emit(&self, record: crate::proto::StatsRecord) -> bool {
        match self.upgrade() {
            Some(run) => run.emit_record(RecordType::Stats(record)).is_ok(),
            None => false,
        }
    }
}

/// A run's stats sink that suffixes every key (`/l:<label>`).
struct Labelled {
    run: WeakRun,
    suffix: String,
}

impl StatsSink for Labelled {
    fn emit(&self, mut record: crate::proto::StatsRecord) -> bool {
        for item in &mut record.item {
            item.key.push_str(&self.suffix);
        }
        self.run.emit(record)
    }
}

impl SystemMonitor {
    /// Starts sampling this machine for `run` every
    /// `settings.stats_sampling_interval`, writing `stats` records until the
    /// run finishes (an `on_finish` hook stops and joins the thread before
    /// the exit record). `None` when `settings.system_metrics` is off, the
    /// run is disabled or already gone (a platform where nothing can be
    /// measured just writes no records).
    pub fn start(run: WeakRun, settings: &Settings) -> Option<Arc<SystemMonitor>> {
        if !settings.system_metrics {
            return None;
        }
        let strong = run.upgrade()?;
        if strong.is_disabled() {
            return None;
        }
        let pid = std::process::id();
        let sources = move || default_sources(pid, default_disk_paths());
        let interval = settings.stats_sampling_interval;
        let monitor = Arc::new(match settings.stats_key_suffix() {
            // a labelled process (shared runs): `cpu/l:<label>`, as the official client
            Some(suffix) => SystemMonitor::spawn_with(Labelled { run, suffix }, sources, interval)?,
            None => SystemMonitor::spawn_with(run, sources, interval)?,
        });
        let m = Arc::clone(&monitor);
        strong.on_finish_until(move |deadline| m.stop_until(deadline));
        Some(monitor)
    }
}

/// Writes `files/requirements.txt` with the program's Rust dependencies
/// (from its `Cargo.lock`, see [`find_cargo_lock`]) and records it with a
/// `files` record (type WANDB), as the official client does for Python
/// packages. Does nothing when no `Cargo.lock` is found.
pub fn record_dependencies(run: &Run) {
    if run.is_disabled() {
        return;
    }
    let Some(lock) = find_cargo_lock() else {
        return;
    };
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return;
    };
    let reqs = requirements_from_lock(&text);
    if reqs.is_empty() {
        return;
    }
    let path = run.files_dir().join("requirements.txt");
    if let Err(e) = std::fs::write(&path, reqs) {
        tracing::warn!("cannot write {}: {e}", path.display());
        return;
    }
    let _ = run.emit_record(RecordType::Files(crate::proto::FilesRecord {
        files: vec![crate::proto::FilesItem {
            path: "requirements.txt".into(),
            r#type: crate::proto::files_item::FileType::Wandb as i32,
            ..Default::default()
        }],
        ..Default::default()
    }));
}

/// Starts the system monitor of a fresh run (`init` also calls
/// [`record_dependencies`] for runs with a run directory).
pub(crate) fn attach(run: &Run) {
    let _ = SystemMonitor::start(run.downgrade(), run.settings());
}
