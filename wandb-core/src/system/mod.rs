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
//! - [`fill_hardware`], [`git::discover`] and [`deps`] gather the
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
