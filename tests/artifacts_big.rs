//! Big artifact files stream from disk: hashing (`add_file`), staging
//! (`log_artifact`) and the upload of `wandb-rs sync` never hold a file in
//! memory. Peak RSS (`VmHWM`; nextest runs each test in its own process)
//! grows by less than 64 MiB for a 256 MiB checkpoint. The ignored test
//! measures MD5 throughput against `md5sum` on the same file.

#![cfg(target_os = "linux")]

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use wandb::online::{sync_run_dir, SyncOptions};
use wandb::{init, Artifact, Console, InitOptions, Mode};
use wandb_test_support::{ArtifactMock, ScratchDir, MOCK_API_KEY};

const MIB: usize = 1 << 20;

/// Writes `mib` MiB of a non-repeating pattern, one MiB at a time.
fn big_file(path: &Path, mib: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut chunk = vec![0u8; MIB];
    for i in 0..mib {
        for (j, b) in chunk.iter_mut().enumerate() {
            *b = (j as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(i as u32)
                .to_le_bytes()[1];
        }
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
fn a_256_mib_checkpoint_is_hashed_staged_and_uploaded_with_bounded_memory() {
    let scratch = ScratchDir::new("art-big");
    let file = scratch.path().join("big.ckpt");
    big_file(&file, 256);
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

#[test]
#[ignore = "benchmark: cargo test --release --test artifacts_big -- --ignored --nocapture"]
fn md5_throughput_against_md5sum() {
    let scratch = ScratchDir::new("art-md5-bench");
    let file = scratch.path().join("bench.bin");
    let mib = 1024;
    big_file(&file, mib);
    // warm the page cache for both
    let _ = wandb::artifact::digest::b64_md5_file(&file).unwrap();
    let t = Instant::now();
    let (ours, _) = wandb::artifact::digest::b64_md5_file(&file).unwrap();
    let ours_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let out = std::process::Command::new("md5sum")
        .arg(&file)
        .output()
        .unwrap();
    let theirs_s = t.elapsed().as_secs_f64();
    let hex = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(wandb::artifact::digest::b64_to_hex(&ours).unwrap(), hex);
    println!(
        "MD5 of {mib} MiB: wandb-rs {:.0} MB/s, md5sum {:.0} MB/s",
        mib as f64 * 1.048576 / ours_s,
        mib as f64 * 1.048576 / theirs_s
    );
}
