//! `wandb-metadata.json`: the protojson form of an `EnvironmentRecord`.
//!
//! Format (spec §3): fields in field-number order, lowerCamel names except
//! the explicit JSON names (`cpu_count`, `cpu_count_logical`, `gpu`,
//! `gpu_count`, `gpu_nvidia`), default values omitted, uint64 as strings,
//! timestamps as RFC 3339 with 0, 3, 6 or 9 fraction digits, 2-space
//! indentation, no trailing newline. (Go's protojson also adds a random
//! extra space after some colons; readers ignore whitespace, so we do not.)

use crate::proto;

enum J {
    Str(String),
    Raw(String),
    Obj(Vec<(&'static str, J)>),
    Map(Vec<(String, J)>),
    Arr(Vec<J>),
}

struct Obj(Vec<(&'static str, J)>);

impl Obj {
    fn str(&mut self, k: &'static str, v: &str) {
        if !v.is_empty() {
            self.0.push((k, J::Str(v.to_string())));
        }
    }
    fn u32(&mut self, k: &'static str, v: u32) {
        if v != 0 {
            self.0.push((k, J::Raw(v.to_string())));
        }
    }
    fn u64(&mut self, k: &'static str, v: u64) {
        if v != 0 {
            self.0.push((k, J::Str(v.to_string())));
        }
    }
    fn obj(&mut self, k: &'static str, o: Obj) {
        self.0.push((k, J::Obj(o.0)));
    }
}

fn write(j: &J, indent: usize, out: &mut String) {
    let pad = |n: usize, out: &mut String| out.extend(std::iter::repeat_n(' ', n));
    match j {
        J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())),
        J::Raw(s) => out.push_str(s),
        J::Obj(_) | J::Map(_) => {
            let entries: Vec<(String, &J)> = match j {
                J::Obj(v) => v.iter().map(|(k, v)| (k.to_string(), v)).collect(),
                J::Map(v) => v.iter().map(|(k, v)| (k.clone(), v)).collect(),
                _ => Vec::new(),
            };
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            for (i, (k, v)) in entries.iter().enumerate() {
                pad(indent + 2, out);
                write(&J::Str(k.clone()), 0, out);
                out.push_str(": ");
                write(v, indent + 2, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            pad(indent, out);
            out.push('}');
        }
        J::Arr(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                pad(indent + 2, out);
                write(v, indent + 2, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(indent, out);
            out.push(']');
        }
    }
}

/// A protobuf timestamp in protojson form: `2026-11-21T23:50:05.432984Z`.
pub(crate) fn rfc3339(ts: &prost_types::Timestamp) -> String {
    let dt =
        chrono::DateTime::from_timestamp(ts.seconds, ts.nanos.max(0) as u32).unwrap_or_default();
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let n = ts.nanos.max(0) as u32;
    if n == 0 {
        format!("{base}Z")
    } else if n.is_multiple_of(1_000_000) {
        format!("{base}.{:03}Z", n / 1_000_000)
    } else if n.is_multiple_of(1_000) {
        format!("{base}.{:06}Z", n / 1_000)
    } else {
        format!("{base}.{n:09}Z")
    }
}

/// The content of `files/wandb-metadata.json` for `env` (spec §3), as
/// `wandb sync` writes and uploads it.
///
/// ```
/// use wandb_core::proto::EnvironmentRecord;
/// let env = EnvironmentRecord { os: "Linux".into(), cpu_count: 2, ..Default::default() };
/// assert_eq!(
///     wandb_core::system::metadata_json(&env),
///     "{\n  \"os\": \"Linux\",\n  \"cpu_count\": 2\n}"
/// );
/// ```
pub fn metadata_json(env: &proto::EnvironmentRecord) -> String {
    let mut o = Obj(Vec::new());
    o.str("os", &env.os);
    o.str("python", &env.python);
    if let Some(ts) = &env.started_at {
        o.0.push(("startedAt", J::Str(rfc3339(ts))));
    }
    o.str("docker", &env.docker);
    if !env.args.is_empty() {
        o.0.push((
            "args",
            J::Arr(env.args.iter().map(|a| J::Str(a.clone())).collect()),
        ));
    }
    o.str("program", &env.program);
    o.str("codePath", &env.code_path);
    o.str("codePathLocal", &env.code_path_local);
    if let Some(g) = &env.git {
        let mut go = Obj(Vec::new());
        go.str("remote", &g.remote_url);
        go.str("commit", &g.commit);
        o.obj("git", go);
    }
    o.str("email", &env.email);
    o.str("root", &env.root);
    o.str("host", &env.host);
    o.str("username", &env.username);
    o.str("executable", &env.executable);
    o.str("colab", &env.colab);
    o.u32("cpu_count", env.cpu_count);
    o.u32("cpu_count_logical", env.cpu_count_logical);
    o.str("gpu", &env.gpu_type);
    o.u32("gpu_count", env.gpu_count);
    if !env.disk.is_empty() {
        let mut keys: Vec<&String> = env.disk.keys().collect();
        keys.sort();
        let entries = keys
            .into_iter()
            .map(|k| {
                let d = &env.disk[k];
                let mut dobj = Obj(Vec::new());
                dobj.u64("total", d.total);
                dobj.u64("used", d.used);
                (k.clone(), J::Obj(dobj.0))
            })
            .collect();
        o.0.push(("disk", J::Map(entries)));
    }
    if let Some(m) = &env.memory {
        let mut mo = Obj(Vec::new());
        mo.u64("total", m.total);
        o.obj("memory", mo);
    }
    if let Some(c) = &env.cpu {
        let mut co = Obj(Vec::new());
        co.u32("count", c.count);
        co.u32("countLogical", c.count_logical);
        co.str("model", &c.model);
        o.obj("cpu", co);
    }
    if !env.gpu_nvidia.is_empty() {
        let gpus = env
            .gpu_nvidia
            .iter()
            .map(|g| {
                let mut go = Obj(Vec::new());
                go.str("name", &g.name);
                go.u64("memoryTotal", g.memory_total);
                go.u32("cudaCores", g.cuda_cores);
                go.str("architecture", &g.architecture);
                go.str("uuid", &g.uuid);
                go.str("pciBusId", &g.pci_bus_id);
                if let Some(n) = g.numa_node {
                    go.u32("numaNode", n);
                }
                J::Obj(go.0)
            })
            .collect();
        o.0.push(("gpu_nvidia", J::Arr(gpus)));
    }
    o.str("cudaVersion", &env.cuda_version);
    o.str("writerId", &env.writer_id);
    let mut out = String::new();
    write(&J::Obj(o.0), 0, &mut out);
    out
}

/// Merges the environment records of a run (the official client writes a
/// software one and a hardware one) into one, later non-empty fields winning,
/// as `wandb sync` does before writing `wandb-metadata.json`.
pub fn merge_environment<'a>(
    records: impl IntoIterator<Item = &'a proto::EnvironmentRecord>,
) -> proto::EnvironmentRecord {
    let mut m = proto::EnvironmentRecord::default();
    for r in records {
        macro_rules! take_str {
            ($($f:ident),*) => {$( if !r.$f.is_empty() { m.$f = r.$f.clone(); } )*};
        }
        take_str!(
            os,
            python,
            docker,
            program,
            code_path,
            code_path_local,
            email,
            root,
            host,
            username,
            executable,
            colab,
            gpu_type,
            cuda_version,
            writer_id
        );
        if r.started_at.is_some() {
            m.started_at = r.started_at;
        }
        if !r.args.is_empty() {
            m.args = r.args.clone();
        }
        if r.git.is_some() {
            m.git = r.git.clone();
        }
        if r.cpu_count != 0 {
            m.cpu_count = r.cpu_count;
        }
        if r.cpu_count_logical != 0 {
            m.cpu_count_logical = r.cpu_count_logical;
        }
        if r.gpu_count != 0 {
            m.gpu_count = r.gpu_count;
        }
        m.disk.extend(r.disk.iter().map(|(k, v)| (k.clone(), *v)));
        if r.memory.is_some() {
            m.memory = r.memory;
        }
        if r.cpu.is_some() {
            m.cpu = r.cpu.clone();
        }
        if !r.gpu_nvidia.is_empty() {
            m.gpu_nvidia = r.gpu_nvidia.clone();
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two environment records of the reference minimal run.
    fn reference_records() -> (proto::EnvironmentRecord, proto::EnvironmentRecord) {
        let sw = proto::EnvironmentRecord {
            os: "Linux-6.18.44-fc-v669-x86_64-with-glibc2.36".into(),
            python: "CPython 3.11.7".into(),
            started_at: Some(prost_types::Timestamp {
                seconds: 1_795_305_005,
                nanos: 432_984_000,
            }),
            program: "/home/user/proj/make_minimal_run.py".into(),
            code_path: "make_minimal_run.py".into(),
            code_path_local: "make_minimal_run.py".into(),
            root: "/home/user/proj".into(),
            host: "vm".into(),
            executable: "/home/user/venv/bin/python".into(),
            writer_id: "01a20084-6257-73c9-b46c-9c794d377087".into(),
            ..Default::default()
        };
        let mut hw = proto::EnvironmentRecord {
            cpu_count: 2,
            cpu_count_logical: 2,
            memory: Some(proto::MemoryInfo {
                total: 25_276_502_016,
            }),
            cpu: Some(proto::CpuInfo {
                model: "Intel(R) Xeon(R) Processor".into(),
                ..Default::default()
            }),
            writer_id: "01a20084-6257-73c9-b46c-9c794d377087".into(),
            ..Default::default()
        };
        hw.disk.insert(
            "/".into(),
            proto::DiskInfo {
                total: 270_553_174_016,
                used: 36_365_012_992,
            },
        );
        (sw, hw)
    }

    #[test]
    fn matches_the_official_file_up_to_whitespace() {
        let (sw, hw) = reference_records();
        let ours = metadata_json(&merge_environment([&sw, &hw]));
        assert!(!ours.ends_with('\n'));
        // Go's protojson puts random spaces after colons; compare with those
        // normalised, keeping key order and indentation.
        let official = include_str!("../../../tests/fixtures/system/wandb-metadata.json");
        assert_eq!(ours, official.replace(":  ", ": "));
        let v: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(v["disk"]["/"]["total"], "270553174016");
    }

    #[test]
    fn timestamps_use_0_3_6_or_9_fraction_digits() {
        let t = |s, n| {
            rfc3339(&prost_types::Timestamp {
                seconds: s,
                nanos: n,
            })
        };
        assert_eq!(t(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(t(0, 5_000_000), "1970-01-01T00:00:00.005Z");
        assert_eq!(t(0, 432_984_000), "1970-01-01T00:00:00.432984Z");
        assert_eq!(t(0, 1), "1970-01-01T00:00:00.000000001Z");
    }

    #[test]
    fn args_git_and_gpus() {
        let env = proto::EnvironmentRecord {
            args: vec!["--lr".into(), "0.1".into()],
            git: Some(proto::GitRepoRecord {
                remote_url: "https://x/y.git".into(),
                commit: "abc".into(),
            }),
            gpu_nvidia: vec![proto::GpuNvidiaInfo {
                name: "NVIDIA H100".into(),
                memory_total: 85_000_000_000,
                ..Default::default()
            }],
            gpu_count: 1,
            ..Default::default()
        };
        let v: serde_json::Value = serde_json::from_str(&metadata_json(&env)).unwrap();
        assert_eq!(v["args"][1], "0.1");
        assert_eq!(v["git"]["remote"], "https://x/y.git");
        assert_eq!(v["gpu_nvidia"][0]["memoryTotal"], "85000000000");
        assert_eq!(v["gpu_count"], 1);
    }
}
