//! Big artifact files stream from disk: hashing (`add_file`), staging
//! (`log_artifact`) and the upload of `wandb-rs sync` never hold a file in
//! memory. Peak RSS (`VmHWM`; nextest runs each test in its own process)
//! grows by less than 64 MiB for a 1 GiB checkpoint. The ignored test
//! measures MD5 and XXH128 throughput against `md5sum` and `xxhsum -H2` on
//! the same file.

#![cfg(target_os = "linux")]

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{init, Artifact, Console, InitOptions, Mode};
use wandb_test_support::{ArtifactMock, ScratchDir, MOCK_API_KEY};

const MIB: usize = 1 << 20;

/// Writes `mib` MiB, one MiB at a time: a pseudo-random MiB whose first
/// eight bytes are the MiB's index, so no two MiB are equal.
fn big_file(path: &Path, mib: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut chunk: Vec<u8> = (0..MIB as u32)
        .map(|j| j.wrapping_mul(2_654_435_761).to_le_bytes()[1])
        .collect();
    for i in 0..mib {
        chunk[..8].copy_from_slice(&(i as u64).to_le_bytes());
        f.write_all(&chunk).unwrap();
    }
    f.flush().unwrap();
}

/// Peak resident set size of this process so far, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn a_1_gib_checkpoint_is_hashed_staged_and_uploaded_with_bounded_memory() {
    let scratch = ScratchDir::new("art-big");
    let file = scratch.path().join("big.ckpt");
    big_file(&file, 1024);
    let mock = ArtifactMock::start();
    let before = peak_rss();

    let run = init(
        InitOptions::new()
            .dir(scratch.path())
            .mode(Mode::Offline)
            .project("art-big")
            .id("artbig01")
            .console(Console::Off)
            .system_metrics(false)
            .environment([("HOME", scratch.path().join("home").display().to_string())]),
    )
    .unwrap();
    let mut a = Artifact::new("model-artbig01", "model").unwrap();
    let digest = a.add_file(&file, None).unwrap().digest.clone();
    run.log_artifact(&a, &["best"]).unwrap();
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    let o = SyncOptions {
        entity: Some("mock-entity".into()),
        base_url: Some(mock.url()),
        api_key: Some(MOCK_API_KEY.into()),
        timeout: Some(Duration::from_secs(120)),
        ..SyncOptions::default()
    };
    let report = sync_run_dir(&dir, &o, |_| {}).unwrap();
    assert!(report.unsent.is_empty(), "{report:?}");

    let growth = peak_rss().saturating_sub(before);
    eprintln!("peak RSS growth: {:.1} MiB", growth as f64 / MIB as f64);
    assert!(
        growth < 64 * MIB as u64,
        "peak RSS grew by {} MiB",
        growth / MIB as u64
    );
    let log = mock.artifact_log();
    let v0 = &log.0["model/model-artbig01"][0];
    assert!(v0.committed);
    assert_eq!(
        v0.uploads["big.ckpt"], digest,
        "the server received the whole file"
    );
}

/// Seconds to hash `file` with `cmd args`, and its first output word.
fn time_tool(cmd: &str, args: &[&str], file: &Path) -> Option<(f64, String)> {
    let t = Instant::now();
    let out = std::process::Command::new(cmd)
        .args(args)
        .arg(file)
        .output()
        .ok()?;
    let secs = t.elapsed().as_secs_f64();
    let word = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()?
        .to_string();
    Some((secs, word))
}

#[test]
#[ignore = "benchmark: cargo test --release --test artifacts_big -- --ignored --nocapture"]
fn hash_throughput_against_md5sum_and_xxhsum() {
    use wandb::artifact::digest::{b64_file, b64_to_hex, Algorithm};
    let scratch = ScratchDir::new("art-hash-bench");
    let file = scratch.path().join("bench.bin");
    let mib = 1024;
    big_file(&file, mib);
    let mb = mib as f64 * 1.048576;
    // warm the page cache
    let _ = b64_file(&file, Algorithm::Md5).unwrap();
    for (alg, tool, args) in [
        (Algorithm::Md5, "md5sum", &[][..]),
        (Algorithm::Xxh128, "xxhsum", &["-H2"][..]),
    ] {
        let mut ours_best = f64::MAX;
        let mut theirs_best = f64::MAX;
        let mut ours = String::new();
        let mut theirs = None;
        for _ in 0..3 {
            let t = Instant::now();
            ours = b64_file(&file, alg).unwrap().0;
            ours_best = ours_best.min(t.elapsed().as_secs_f64());
            if let Some((s, word)) = time_tool(tool, args, &file) {
                theirs_best = theirs_best.min(s);
                theirs = Some(word);
            }
        }
        let tool_mbs = match theirs {
            Some(hex) => {
                assert_eq!(b64_to_hex(&ours).unwrap(), hex, "{tool}");
                format!("{:.0} MB/s", mb / theirs_best)
            }
            None => "not installed".to_string(),
        };
        println!(
            "{} of {mib} MiB (best of 3): wandb-rs {:.0} MB/s, {tool} {tool_mbs}",
            alg.manifest_name(),
            mb / ours_best
        );
    }
}
