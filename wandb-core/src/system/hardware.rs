//! Hardware facts of the `environment` record: CPU counts and model, memory,
//! disks and GPUs — what the official system monitor reports once at start.

use std::path::PathBuf;

use crate::proto;

use super::host::disk_space;

/// Fills the hardware fields of `env`: `cpu_count`, `cpu_count_logical`,
/// `cpu{count, count_logical, model}`, `memory.total`, `disk[<path>]` for each
/// of `disk_paths`, and the NVIDIA GPU inventory when the `gpu` feature is on
/// and a driver is present.
pub fn fill_hardware(env: &mut proto::EnvironmentRecord, disk_paths: &[PathBuf]) {
    let logical = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(0);
    let physical = sysinfo::System::physical_core_count()
        .map(|n| n as u32)
        .unwrap_or(logical);
    env.cpu_count = physical;
    env.cpu_count_logical = logical;
    let model = cpu_model();
    if physical > 0 || logical > 0 || !model.is_empty() {
        env.cpu = Some(proto::CpuInfo {
            // The official client leaves these two inside `cpu` empty and
            // reports the counts at the top level only.
            count: 0,
            count_logical: 0,
            model,
        });
    }
    if let Ok(mut sys) = sysinfo::System::new() {
        sys.refresh_memory_specifics(sysinfo::MemoryRefreshKind::nothing().with_ram());
        let total = sys.total_memory();
        if total > 0 {
            env.memory = Some(proto::MemoryInfo { total });
        }
    }
    for path in disk_paths {
        if let Some(space) = disk_space(path) {
            env.disk.insert(
                path.display().to_string(),
                proto::DiskInfo {
                    total: space.total,
                    used: space.used,
                },
            );
        }
    }
    #[cfg(feature = "gpu")]
    super::gpu::inventory(env);
}

/// The CPU brand string (`Intel(R) Xeon(R) Processor`), empty if unknown.
pub fn cpu_model() -> String {
    #[cfg(target_os = "linux")]
    if let Some(m) = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| super::procfs::parse_cpu_model(&t))
    {
        return m;
    }
    let Ok(mut sys) = sysinfo::System::new() else {
        return String::new();
    };
    sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
    sys.cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_machine_hardware_is_reported() {
        let mut env = proto::EnvironmentRecord::default();
        fill_hardware(&mut env, &[PathBuf::from("/")]);
        assert!(env.cpu_count_logical >= 1);
        assert!(env.cpu_count >= 1);
        assert!(env.memory.unwrap().total > 0);
        #[cfg(unix)]
        {
            let root = &env.disk["/"];
            assert!(root.total > 0 && root.used <= root.total);
        }
    }
}
