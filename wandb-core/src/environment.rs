//! The `environment` record: what machine and program produced the run.
//!
//! The official client writes two records (software from the SDK, hardware
//! from its system monitor) that readers merge; we write one record with
//! both halves. Rust has no interpreter, so `python` stays empty and
//! `executable`/`program` name the running binary.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::proto;
use crate::settings::Settings;
use crate::system;

/// Collects the run's environment: os, host, program, args, start time,
/// working directory, git state, CPU/memory/disk/GPU inventory.
pub(crate) fn collect(
    _settings: &Settings,
    started_at: SystemTime,
    writer_id: &str,
) -> proto::EnvironmentRecord {
    let exe = std::env::current_exe().ok();
    let mut args = std::env::args();
    let program = args
        .next()
        .or_else(|| exe.as_ref().map(|p| p.display().to_string()))
        .unwrap_or_default();
    let cwd = std::env::current_dir().ok();
    let git = cwd.as_deref().and_then(system::git::discover);
    // Like the official client: `root` is the repository root when inside a
    // repository, else the working directory; `code_path` is the program
    // relative to it.
    let root: Option<PathBuf> = git.as_ref().map(|g| g.root.clone()).or_else(|| cwd.clone());
    let program_abs = exe.clone().unwrap_or_else(|| PathBuf::from(&program));
    let code_path = root
        .as_deref()
        .and_then(|r| relative(&program_abs, r))
        .unwrap_or_else(|| file_name(&program));
    let code_path_local = cwd
        .as_deref()
        .and_then(|c| relative(&program_abs, c))
        .unwrap_or_else(|| code_path.clone());
    let mut env = proto::EnvironmentRecord {
        os: os_string(),
        started_at: Some(timestamp(started_at)),
        args: args.collect(),
        program,
        code_path,
        code_path_local,
        root: root.map(|r| r.display().to_string()).unwrap_or_default(),
        host: host_name(),
        executable: exe.map(|p| p.display().to_string()).unwrap_or_default(),
        git: git.map(|g| proto::GitRepoRecord {
            remote_url: g.remote_url.unwrap_or_default(),
            commit: g.commit,
        }),
        writer_id: writer_id.to_owned(),
        ..Default::default()
    };
    system::fill_hardware(&mut env, &system::default_disk_paths());
    env
}

fn relative(path: &Path, base: &Path) -> Option<String> {
    path.strip_prefix(base)
        .ok()
        .map(|p| p.display().to_string())
        .filter(|p| !p.is_empty())
}

fn file_name(program: &str) -> String {
    Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
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
    system::sample_timestamp(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_environment_has_software_and_hardware() {
        let env = collect(&Settings::default(), SystemTime::now(), "w-1");
        assert!(env.os.contains(std::env::consts::ARCH));
        assert!(!env.program.is_empty() && !env.executable.is_empty());
        assert!(!env.root.is_empty() && !env.code_path.is_empty());
        assert!(env.cpu_count_logical >= 1);
        assert!(env.memory.is_some_and(|m| m.total > 0));
        assert_eq!(env.writer_id, "w-1");
        // The metadata file renders it.
        let json: serde_json::Value = serde_json::from_str(&system::metadata_json(&env)).unwrap();
        assert_eq!(json["writerId"], "w-1");
        assert!(json["startedAt"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b/target/debug/x"), Path::new("/a/b")).as_deref(),
            Some("target/debug/x")
        );
        assert_eq!(relative(Path::new("/x"), Path::new("/a")), None);
    }
}
