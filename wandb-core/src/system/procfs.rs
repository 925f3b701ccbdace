//! Small parsers for Linux `/proc` files that sysinfo does not expose the way
//! the official client reports them: per-device disk I/O (`disk.<dev>.in/out`),
//! TCP retransmissions and the thread count of a process.
//!
//! The parsers take the file content, so they are tested with fixed text; the
//! readers return `None` when the file is missing (non-Linux, sandboxes).

/// Bytes read and written by one block device since boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiskIo {
    /// Kernel device name (`vda`, `nvme0n1`, `sda`).
    pub device: String,
    /// Bytes read.
    pub read_bytes: u64,
    /// Bytes written.
    pub written_bytes: u64,
}

/// Whether a `/proc/diskstats` device is a whole physical (or virtual) disk
/// worth reporting: partitions, loop, RAM and zram devices are skipped, as the
/// official client reports only `disk.vda.*` on a VM that also has `loop*`
/// and `zram0`.
fn is_reported_device(name: &str, whole_disks: Option<&[String]>) -> bool {
    if ["loop", "ram", "zram", "fd", "sr"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return false;
    }
    match whole_disks {
        Some(disks) => disks.iter().any(|d| d == name),
        None => true,
    }
}

/// Parses `/proc/diskstats` (sector counts are always 512-byte units there).
/// `whole_disks` is the content of `/sys/block` when known, to skip partitions.
pub(crate) fn parse_diskstats(text: &str, whole_disks: Option<&[String]>) -> Vec<DiskIo> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 {
            continue;
        }
        let name = f[2];
        if !is_reported_device(name, whole_disks) {
            continue;
        }
        let (Ok(read_sectors), Ok(written_sectors)) = (f[5].parse::<u64>(), f[9].parse::<u64>())
        else {
            continue;
        };
        out.push(DiskIo {
            device: name.to_string(),
            read_bytes: read_sectors.saturating_mul(512),
            written_bytes: written_sectors.saturating_mul(512),
        });
    }
    out
}

/// Reads `/proc/diskstats`, keeping whole disks only.
pub(crate) fn read_diskstats() -> Option<Vec<DiskIo>> {
    let text = std::fs::read_to_string("/proc/diskstats").ok()?;
    let whole: Option<Vec<String>> = std::fs::read_dir("/sys/block").ok().map(|rd| {
        rd.filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    });
    Some(parse_diskstats(&text, whole.as_deref()))
}

/// Parses the `Tcp:` table of `/proc/net/snmp` and returns `RetransSegs`.
pub(crate) fn parse_tcp_retransmits(text: &str) -> Option<u64> {
    let mut tcp = text.lines().filter(|l| l.starts_with("Tcp:"));
    let header = tcp.next()?;
    let values = tcp.next()?;
    let idx = header.split_whitespace().position(|h| h == "RetransSegs")?;
    values.split_whitespace().nth(idx)?.parse().ok()
}

/// Reads the system-wide TCP retransmission counter.
pub(crate) fn read_tcp_retransmits() -> Option<u64> {
    parse_tcp_retransmits(&std::fs::read_to_string("/proc/net/snmp").ok()?)
}

/// Parses the `Threads:` line of `/proc/<pid>/status`.
pub(crate) fn parse_threads(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Thread count of process `pid`.
pub(crate) fn read_threads(pid: u32) -> Option<u64> {
    parse_threads(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// The CPU model from `/proc/cpuinfo` (`model name`), used when sysinfo has
/// no brand string.
pub(crate) fn parse_cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISKSTATS: &str = "\
   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 5823 2465 1384178 6718 3242 26525 2113096 4594 0 2124 11547 3959 18 89192 230 134 3
 254       1 vda1 5000 2000 16 6000 3000 26000 8 4000 0 2000 11000 0 0 0 0 0 0
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
";

    #[test]
    fn diskstats_keeps_whole_disks_only() {
        let whole = vec!["loop0".into(), "vda".into(), "zram0".into()];
        let d = parse_diskstats(DISKSTATS, Some(&whole));
        assert_eq!(
            d,
            vec![DiskIo {
                device: "vda".into(),
                read_bytes: 1_384_178 * 512,
                written_bytes: 2_113_096 * 512,
            }]
        );
        // Without /sys/block, partitions are kept but loop/zram are not.
        assert_eq!(parse_diskstats(DISKSTATS, None).len(), 2);
    }

    #[test]
    fn tcp_retransmits_from_snmp() {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n\
Tcp: 1 200 120000 -1 10 2 0 0 1 100 90 7 0 3 0\n";
        assert_eq!(parse_tcp_retransmits(snmp), Some(7));
        assert_eq!(parse_tcp_retransmits("Ip: 1\n"), None);
    }

    #[test]
    fn threads_and_cpu_model() {
        assert_eq!(parse_threads("Name:\tx\nThreads:\t4\n"), Some(4));
        assert_eq!(
            parse_cpu_model("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n"),
            Some("Intel(R) Xeon(R) Processor".into())
        );
    }
}
