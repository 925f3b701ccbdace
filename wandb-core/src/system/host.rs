//! CPU, memory, network and disk metrics of this machine and process, read
//! with sysinfo (plus `/proc` on Linux for the counters sysinfo lacks).

use std::path::PathBuf;
use std::time::Instant;

use sysinfo::{MemoryRefreshKind, Networks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use super::procfs;
use super::{MetricSource, Sample};

const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Space of the file system holding a path, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DiskSpace {
    /// Size of the file system.
    pub total: u64,
    /// Bytes in use (`total - free`, including blocks reserved for root).
    pub used: u64,
    /// Bytes available to unprivileged users.
    pub available: u64,
}

impl DiskSpace {
    /// Used percentage as `df`/psutil report it: `used / (used + available)`.
    pub fn usage_percent(&self) -> f64 {
        let denom = self.used.saturating_add(self.available);
        if denom == 0 {
            0.0
        } else {
            self.used as f64 / denom as f64 * 100.0
        }
    }
}

/// Space of the file system that holds `path`.
#[cfg(unix)]
pub(crate) fn disk_space(path: &std::path::Path) -> Option<DiskSpace> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs only writes into the zeroed struct we own and reads the
    // NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let frsize = st.f_frsize as u64;
    let total = (st.f_blocks as u64).saturating_mul(frsize);
    let free = (st.f_bfree as u64).saturating_mul(frsize);
    let available = (st.f_bavail as u64).saturating_mul(frsize);
    Some(DiskSpace {
        total,
        used: total.saturating_sub(free),
        available,
    })
}

/// Space of the file system that holds `path` (the disk whose mount point is
/// the longest prefix of `path`).
#[cfg(not(unix))]
pub(crate) fn disk_space(path: &std::path::Path) -> Option<DiskSpace> {
    let disks = sysinfo::Disks::new_with_refreshed_list().ok()?;
    let disk = disks
        .list()
        .iter()
        .filter(|d| path.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())?;
    let total = disk.total_space();
    let available = disk.available_space();
    Some(DiskSpace {
        total,
        used: total.saturating_sub(available),
        available,
    })
}

/// Metrics of the machine and of the monitored process, as the official
/// client names them (`cpu`, `memory_percent`, `proc.*`, `network.*`,
/// `disk.*`).
pub struct HostSource {
    sys: System,
    networks: Option<Networks>,
    pid: Pid,
    ncpu: f64,
    disk_paths: Vec<PathBuf>,
    // Baselines: counters are reported relative to the monitor's start.
    net_base: (u64, u64),
    retrans_base: Option<u64>,
    disk_base: Vec<procfs::DiskIo>,
    last_cpu: Option<(Instant, u64)>,
}

impl HostSource {
    /// Monitors process `pid` (usually `std::process::id()`) and the file
    /// systems holding `disk_paths` (the official default is `/`).
    ///
    /// Returns `None` when sysinfo cannot read this platform at all.
    pub fn new(pid: u32, disk_paths: Vec<PathBuf>) -> Option<Self> {
        let sys = System::new().ok()?;
        let networks = Networks::new_with_refreshed_list().ok();
        let ncpu = std::thread::available_parallelism()
            .map(|n| n.get() as f64)
            .unwrap_or(1.0);
        let net_base = networks.as_ref().map(net_totals).unwrap_or((0, 0));
        Some(Self {
            sys,
            networks,
            pid: Pid::from_u32(pid),
            ncpu,
            disk_paths,
            net_base,
            retrans_base: procfs::read_tcp_retransmits(),
            disk_base: procfs::read_diskstats().unwrap_or_default(),
            // Like the official client, the first sample has no `cpu`: it
            // needs two readings of the process CPU time.
            last_cpu: None,
        })
    }

    fn refresh_process(&mut self) {
        let kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
        #[cfg(not(target_os = "linux"))]
        let kind = kind.with_tasks();
        self.sys
            .refresh_processes_specifics(ProcessesToUpdate::Some(&[self.pid]), true, kind);
    }

    fn process_cpu_ms(&mut self) -> Option<u64> {
        self.refresh_process();
        self.sys.process(self.pid).map(|p| p.accumulated_cpu_time())
    }
}

/// Bytes (received, sent) over every interface except loopback.
fn net_totals(networks: &Networks) -> (u64, u64) {
    networks
        .iter()
        .filter(|(name, _)| !is_loopback(&name.to_string_lossy()))
        .fold((0, 0), |(r, s), (_, n)| {
            (r + n.total_received(), s + n.total_transmitted())
        })
}

fn is_loopback(name: &str) -> bool {
    name == "lo" || name.starts_with("lo0") || name.eq_ignore_ascii_case("loopback")
}

impl MetricSource for HostSource {
    fn name(&self) -> &str {
        "host"
    }

    fn sample(&mut self, out: &mut Sample) {
        // Process CPU: share of the machine's capacity since the last sample
        // (absent from the first sample, like the official client).
        let now = Instant::now();
        let cpu_ms = self.process_cpu_ms();
        if let (Some(ms), Some((t0, ms0))) = (cpu_ms, self.last_cpu) {
            let wall_ms = now.duration_since(t0).as_secs_f64() * 1000.0;
            if wall_ms > 0.0 {
                let pct = ms.saturating_sub(ms0) as f64 / wall_ms / self.ncpu * 100.0;
                out.push("cpu", pct.clamp(0.0, 100.0));
            }
        }
        if let Some(ms) = cpu_ms {
            self.last_cpu = Some((now, ms));
        }

        if let Some(networks) = self.networks.as_mut() {
            networks.refresh(true);
            let (recv, sent) = net_totals(networks);
            out.push("network.sent", sent.saturating_sub(self.net_base.1) as f64);
            out.push("network.recv", recv.saturating_sub(self.net_base.0) as f64);
        }
        if let (Some(base), Some(now)) = (self.retrans_base, procfs::read_tcp_retransmits()) {
            out.push("network.tcpRetransmits", now.saturating_sub(base) as f64);
        }
        if let Some(disks) = procfs::read_diskstats() {
            for d in disks {
                let base = self.disk_base.iter().find(|b| b.device == d.device);
                let (r0, w0) = base.map_or((0, 0), |b| (b.read_bytes, b.written_bytes));
                let key = format!("disk.{}", d.device);
                out.push(
                    format!("{key}.in"),
                    d.read_bytes.saturating_sub(r0) as f64 / MIB,
                );
                out.push(
                    format!("{key}.out"),
                    d.written_bytes.saturating_sub(w0) as f64 / MIB,
                );
            }
        }

        // System memory, relative to the cgroup limit when one is set.
        self.sys
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        let mut total = self.sys.total_memory();
        let mut available = self.sys.available_memory();
        if let Some(cg) = self.sys.cgroup_limits() {
            if cg.total_memory > 0 && cg.total_memory < total {
                total = cg.total_memory;
                available = cg.free_memory;
            }
        }
        if total > 0 {
            let used = total.saturating_sub(available);
            out.push("memory_percent", used as f64 / total as f64 * 100.0);
        }
        out.push("proc.memory.availableMB", available as f64 / MIB);
        if let Some(p) = self.sys.process(self.pid) {
            let rss = p.memory();
            out.push("proc.memory.rssMB", rss as f64 / MIB);
            if total > 0 {
                out.push("proc.memory.percent", rss as f64 / total as f64 * 100.0);
            }
            #[cfg(not(target_os = "linux"))]
            if let Some(tasks) = p.tasks() {
                out.push("proc.cpu.threads", tasks.len().max(1) as f64);
            }
        }
        #[cfg(target_os = "linux")]
        if let Some(n) = procfs::read_threads(self.pid.as_u32()) {
            out.push("proc.cpu.threads", n as f64);
        }

        for path in &self.disk_paths {
            if let Some(space) = disk_space(path) {
                let key = format!("disk.{}", path.display());
                out.push(format!("{key}.usagePercent"), space.usage_percent());
                out.push(format!("{key}.usageGB"), space.used as f64 / GIB);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_percent_matches_the_official_numbers() {
        // From the reference run: used 36365815808 B, usagePercent 37.27046338698129.
        let s = DiskSpace {
            total: 270_553_174_016,
            used: 36_365_815_808,
            available: 61_206_630_400,
        };
        assert!(
            (s.usage_percent() - 37.27).abs() < 0.01,
            "{}",
            s.usage_percent()
        );
        assert!((s.used as f64 / GIB - 33.86830520629883).abs() < 1e-9);
    }

    #[cfg(unix)]
    #[test]
    fn root_disk_space_is_readable() {
        let s = disk_space(std::path::Path::new("/")).unwrap();
        assert!(s.total > 0 && s.used <= s.total);
    }
}
