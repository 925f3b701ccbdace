//! `wandb-rs sync` vs the official `wandb sync` of the same offline run
//! (N rows of 3 scalars, written by wandb-rs) to the same loopback fake
//! server, side by side; both uploads are checked complete (N history rows,
//! finished).
//!
//! `cargo run --release -p wandb-fake-server --example bench_sync -- [N]`
//! (default 100000; needs the oracle venv, `WANDB_RS_ORACLE_VENV`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use wandb_core::online::{sync_run_dir, SyncOptions};
use wandb_core::{init, row, InitOptions, Mode};
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, oracle_wandb, ScratchDir};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for e in std::fs::read_dir(from).expect("read run dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

fn cpu_seconds_of_children() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let scratch = ScratchDir::new("bench-sync");
    let home = scratch.path().join("home");
    let run = init(
        InitOptions::new()
            .dir(scratch.path().join("src"))
            .mode(Mode::Offline)
            .project("bench")
            .system_metrics(false)
            .quiet(true)
            .environment([("HOME", home.display().to_string())]),
    )
    .expect("offline run");
    for i in 0..n {
        let x = i as f64 + 1.0;
        run.log(row! {"loss" => 1.0 / x, "acc" => 1.0 - 1.0 / x, "lr" => 1e-3})
            .expect("log");
    }
    let src = run.dir().to_path_buf();
    let id = run.id().to_string();
    run.finish().expect("finish");
    let ours_dir = scratch
        .path()
        .join("ours")
        .join(src.file_name().expect("name"));
    let theirs_dir = scratch
        .path()
        .join("theirs")
        .join(src.file_name().expect("name"));
    copy_dir(&src, &ours_dir);
    copy_dir(&src, &theirs_dir);

    let server = FakeServer::start();
    let opts = SyncOptions {
        entity: Some("me".into()),
        project: Some("ours".into()),
        base_url: Some(server.url().to_string()),
        api_key: Some(server.api_key().to_string()),
        ..SyncOptions::default()
    };
    let t = Instant::now();
    let report = sync_run_dir(&ours_dir, &opts, |_| {}).expect("wandb-rs sync");
    let ours = t.elapsed().as_secs_f64();
    assert!(report.unsent.is_empty());

    let mut cmd = Command::new(oracle_wandb());
    hermetic(&mut cmd, scratch.path())
        .env("WANDB_MODE", "online")
        .env("WANDB_API_KEY", server.api_key())
        .env("WANDB_BASE_URL", server.url())
        .args(["sync", "-e", "me", "-p", "official"])
        .arg(&theirs_dir);
    let cpu0 = cpu_seconds_of_children();
    let t = Instant::now();
    let out = cmd.output().expect("run wandb sync");
    let theirs = t.elapsed().as_secs_f64();
    let theirs_cpu = cpu_seconds_of_children() - cpu0;
    assert!(
        out.status.success(),
        "wandb sync failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for project in ["ours", "official"] {
        let r = server.run("me", project, &id).expect("run on the server");
        assert_eq!(r.history().len() as u64, n, "{project}: every row");
        assert_eq!(r.state(), "finished", "{project}");
    }
    println!("sync of {n} rows to the loopback fake server (same run, same server)");
    println!("{:<34} {:>8} {:>12}", "client", "wall s", "rows/s");
    println!(
        "{:<34} {:>8.2} {:>12.0}",
        "wandb-rs sync (sync_run_dir)",
        ours,
        n as f64 / ours
    );
    println!(
        "{:<34} {:>8.2} {:>12.0}   (CPU {:.2} s)",
        "wandb sync 0.31.0 (Python + Go)",
        theirs,
        n as f64 / theirs,
        theirs_cpu
    );
    println!("ratio: wandb-rs is {:.1}x faster (wall)", theirs / ours);
}
