//! The `environment` record: what machine and program produced the run.

use std::time::SystemTime;

use crate::proto;
use crate::settings::Settings;

/// Collects the run's environment (os, host, program, args, cpu, memory).
pub(crate) fn collect(_settings: &Settings, started_at: SystemTime, writer_id: &str) -> proto::EnvironmentRecord {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut args = std::env::args();
    let program = args.next().unwrap_or_else(|| exe.clone());
    let root = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let code_path = std::path::Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let logical = std::thread::available_parallelism().map_or(0, |n| n.get() as u32);
    let physical = sysinfo::System::physical_core_count().map_or(logical, |n| n as u32);
    let memory_total = sysinfo::System::new_with_specifics(
        sysinfo::RefreshKind::nothing().with_memory(sysinfo::MemoryRefreshKind::nothing().with_ram()),
    )
    .map(|s| s.total_memory())
    .unwrap_or(0);
    proto::EnvironmentRecord {
        os: os_string(),
        started_at: Some(timestamp(started_at)),
        args: args.collect(),
        program,
        code_path: code_path.clone(),
        code_path_local: code_path,
        root,
        host: host_name(),
        executable: exe,
        cpu_count: physical,
        cpu_count_logical: logical,
        memory: Some(proto::MemoryInfo {
            total: memory_total,
        }),
        writer_id: writer_id.to_owned(),
        ..Default::default()
    }
}

/// `Linux-<kernel>-<arch>` in the style of Python's `platform.platform()`.
pub(crate) fn os_string() -> String {
    let name = sysinfo::System::name().unwrap_or_else(|_| std::env::consts::OS.to_owned());
    let kernel = sysinfo::System::kernel_version().unwrap_or_default();
    format!("{name}-{kernel}-{}", std::env::consts::ARCH)
}

/// The machine's host name.
pub(crate) fn host_name() -> String {
    sysinfo::System::host_name().unwrap_or_default()
}

/// A protobuf timestamp.
pub(crate) fn timestamp(t: SystemTime) -> prost_types::Timestamp {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    prost_types::Timestamp {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}
