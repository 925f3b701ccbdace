//! Benchmark: export of a run with N history rows (default 1 000 000) to
//! Parquet, CSV (and HDF5 with `--features hdf5`), against pandas reading
//! the official reader's JSON output (`wandb leet inspect --json`) and
//! writing the same formats.
//!
//! `cargo run --release -p wandb-export --example bench_export [--features hdf5] [-- ROWS]`
//! (the Python side needs the oracle venv of `scripts/oracle-venv.sh`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use wandb_export::{export, ExportOptions, Format};

/// CPU seconds (user + system) of this process or of its waited-for children.
fn cpu_secs(who: i32) -> f64 {
    // SAFETY: getrusage only writes the zero-initialised struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

const PANDAS: &str = r#"
import sys, json, time, pandas as pd
src, out = sys.argv[1], sys.argv[2]
t, c0 = time.perf_counter(), time.process_time()
rows = []
with open(src) as f:
    for line in f:
        r = json.loads(line)
        if r["type"] == "history":
            rows.append(r["history"]["item"])
df = pd.DataFrame.from_records(rows)
parsed, parsed_cpu = time.perf_counter() - t, time.process_time() - c0
for fmt in sys.argv[3:]:
    t, c0 = time.perf_counter(), time.process_time()
    if fmt == "parquet": df.to_parquet(out + ".parquet")
    elif fmt == "csv": df.to_csv(out + ".csv", index=False)
    elif fmt == "hdf5":
        import h5py
        with h5py.File(out + ".h5", "w") as h:
            g = h.create_group("run")
            for c in df.columns: g.create_dataset(c.replace("/", "%2F"), data=df[c].to_numpy())
    print(json.dumps({"format": fmt, "parse_s": parsed, "write_s": time.perf_counter() - t,
                      "parse_cpu": parsed_cpu, "write_cpu": time.process_time() - c0}))
"#;

/// Removes the benchmark's directory on drop, also after a panic.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn main() {
    let rows: i64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = std::env::temp_dir().join(format!("wandb-rs-bench-export-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let _guard = TempDir(tmp.clone());
    let t = Instant::now();
    let run = wandb::init(
        wandb::InitOptions::new()
            .dir(&tmp)
            .mode(wandb::Mode::Offline)
            .project("bench-export")
            .console(wandb::Console::Off)
            .system_metrics(false)
            .environment([("HOME", tmp.join("home").display().to_string())]),
    )
    .expect("init");
    for i in 0..rows {
        run.log(wandb::row! {
            "loss" => 1.0 / (i as f64 + 1.0),
            "acc" => i % 100,
            "lr" => 0.001,
            "val/loss" => (i as f64).sqrt(),
            "epoch" => i / 1000,
        })
        .expect("log");
    }
    let dir = run.dir().to_path_buf();
    run.finish().expect("finish");
    println!("wrote {rows} rows in {:.1} s", t.elapsed().as_secs_f64());

    let mut formats = vec![("parquet", Format::Parquet), ("csv", Format::Csv)];
    if cfg!(feature = "hdf5") {
        formats.push(("hdf5", Format::Hdf5));
    }
    println!("| path | format | wall s | rows/s (wall) | CPU s | rows/s (CPU) |");
    println!("|---|---|---:|---:|---:|---:|");
    for (name, format) in &formats {
        let out = tmp.join(format!("out.{name}"));
        let (t, c) = (Instant::now(), cpu_secs(libc::RUSAGE_SELF));
        let report = export(
            std::slice::from_ref(&dir),
            &ExportOptions::new(*format, &out),
        )
        .expect("export");
        let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_secs(libc::RUSAGE_SELF) - c);
        assert_eq!(report.rows as i64, rows);
        println!(
            "| wandb-rs export | {name} | {s:.2} | {:.0} | {cpu:.2} | {:.0} |",
            rows as f64 / s,
            rows as f64 / cpu
        );
    }

    let venv = std::env::var_os("WANDB_RS_ORACLE_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var("HOME").unwrap_or_default())
                .join(".cache/wandb-rs/oracle-venv")
        });
    let records = tmp.join("records.jsonl");
    let t = Instant::now();
    let c0 = cpu_secs(libc::RUSAGE_CHILDREN);
    let status = Command::new(venv.join("bin/wandb"))
        .args(["leet", "inspect", "--json"])
        .arg(&dir)
        .env("WANDB_MODE", "offline")
        .env("WANDB_SILENT", "true")
        .stdout(std::fs::File::create(&records).expect("records file"))
        .status()
        .expect("run wandb leet inspect");
    assert!(status.success());
    let inspect_s = t.elapsed().as_secs_f64();
    let inspect_cpu = cpu_secs(libc::RUSAGE_CHILDREN) - c0;
    let names: Vec<&str> = formats.iter().map(|(n, _)| *n).collect();
    let out = Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(PANDAS)
        .arg(&records)
        .arg(tmp.join("py"))
        .args(&names)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let py = v["parse_s"].as_f64().unwrap_or(0.0) + v["write_s"].as_f64().unwrap_or(0.0);
        let py_cpu =
            v["parse_cpu"].as_f64().unwrap_or(0.0) + v["write_cpu"].as_f64().unwrap_or(0.0);
        let (s, cpu) = (inspect_s + py, inspect_cpu + py_cpu);
        println!(
            "| wandb leet inspect --json + pandas | {} | {s:.2} | {:.0} | {cpu:.2} | {:.0} |",
            v["format"].as_str().unwrap_or(""),
            rows as f64 / s,
            rows as f64 / cpu
        );
    }
    println!("(leet inspect alone: {inspect_s:.2} s wall, {inspect_cpu:.2} s CPU)");
}
