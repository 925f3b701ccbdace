//! A shared run offline (`Policy::Shared` without an API key): two
//! processes of this test binary with RANK=0,1 write one run directory each
//! (same id, the second `-1`), labelled, as two official processes with
//! `x_label`/`x_primary`/`x_update_finish_state` do; the official reader
//! (`wandb leet inspect`) reads both, both match the official client's, and
//! the official `wandb sync` uploads ours as it uploads the official pair.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use wandb_core::distributed::{self, Policy};
use wandb_core::{init, row, Console, InitOptions};
use wandb_test_support::mock_server::{official_sync, MockServer};
use wandb_test_support::{hermetic, leet_inspect, leet_summary, oracle_python, ScratchDir};

/// Set in a child process: the directory to write into.
const CHILD: &str = "WANDB_RS_DIST_OFFLINE_DIR";

const RUN_ID: &str = "offshr01";

/// One rank (a no-op in the normal test run).
#[test]
fn dist_offline_child() {
    let Ok(dir) = std::env::var(CHILD) else {
        return;
    };
    let dist = distributed::from_env().unwrap();
    let rank = dist.rank();
    let base = InitOptions::new()
        .dir(&dir)
        .project("p")
        .console(Console::Redirect)
        .environment([
            ("HOME", Path::new(&dir).join("home").display().to_string()),
            ("WANDB_X_STATS_SAMPLING_INTERVAL", "0.1".into()),
        ]);
    let policy = Policy::Shared {
        run_id: Some(RUN_ID.into()),
    };
    let run = init(dist.options(&policy, base).unwrap()).unwrap();
    println!("hello from {rank}");
    for i in 0..2 {
        run.log(row! {format!("loss_r{rank}") => 1.0 / f64::from(i + 1)})
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
    }
    run.finish().unwrap();
}

/// The official client's two processes (what `Policy::Shared` sets).
const OFFICIAL: &str = r#"
import sys, time, wandb
rank = int(sys.argv[1])
run = wandb.init(project="p", id="offshr01", settings=wandb.Settings(
    x_label=f"rank_{rank}", x_primary=(rank == 0), x_update_finish_state=(rank == 0),
    x_stats_sampling_interval=0.1))
print(f"hello from {rank}")
for i in range(2):
    run.log({f"loss_r{rank}": 1.0 / (i + 1)})
    time.sleep(1.0)
run.finish()
"#;

/// The run directories under `root/wandb`, sorted (the unsuffixed first).
fn run_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("wandb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.is_symlink())
        .collect();
    dirs.sort();
    dirs
}

/// What a run directory shows about its writer: its label (from the
/// console log's name), whether it has metadata, its record types and
/// stats keys, as the official reader reads them.
#[derive(Debug)]
struct Writer {
    label: String,
    files: BTreeSet<String>,
    has_environment: bool,
    has_files_record: bool,
    stats_keys: BTreeSet<String>,
    console: Vec<String>,
    exit_code: Value,
}

fn writer(dir: &Path) -> Writer {
    let files: BTreeSet<String> = std::fs::read_dir(dir.join("files"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let label = files
        .iter()
        .find_map(|f| f.strip_prefix("output_")?.strip_suffix(".log"))
        .unwrap_or_else(|| panic!("no output_<label>.log in {files:?}"))
        .to_string();
    let records = leet_inspect(dir);
    let has = |t: &str| records.iter().any(|r| r["type"] == t);
    let stats_keys = records
        .iter()
        .filter(|r| r["type"] == "stats")
        .flat_map(|r| r["stats"]["item"].as_object().unwrap().keys().cloned())
        .collect();
    let summary = leet_summary(dir);
    let console = summary["console"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(summary["run_id"], RUN_ID);
    Writer {
        label,
        files,
        has_environment: has("environment"),
        has_files_record: has("files"),
        stats_keys,
        console,
        exit_code: summary["exit_code"].clone(),
    }
}

/// The writers of the two run directories, rank 0 first.
fn writers(root: &Path) -> Vec<Writer> {
    let dirs = run_dirs(root);
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    let names: Vec<String> = dirs
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // `offline-run-<second>-<id>`; the second of the same second gets `-1`
    let stamp = |n: &str| n.split('-').nth(2).unwrap().to_string();
    for n in &names {
        assert!(
            n.ends_with(RUN_ID) || n.ends_with(&format!("{RUN_ID}-1")),
            "{names:?}"
        );
    }
    if stamp(&names[0]) == stamp(&names[1]) {
        assert_eq!(names[1], format!("{}-1", names[0]), "same second: `-1`");
    }
    let mut w: Vec<Writer> = dirs.iter().map(|d| writer(d)).collect();
    w.sort_by(|a, b| a.label.cmp(&b.label));
    w
}

/// The official `wandb sync` of both run directories under `root` (to one
/// reference mock): the run files it asked for (sorted) and how many
/// file_stream requests completed a run.
fn synced(root: &Path) -> (Vec<String>, usize) {
    let server = MockServer::start();
    let scratch = ScratchDir::new("dist-sync");
    official_sync(&server, &run_dirs(root), scratch.path());
    let reqs = server.requests();
    let mut files: Vec<String> = reqs
        .iter()
        .filter(|r| {
            r["body"]["query"]
                .as_str()
                .is_some_and(|q| q.contains("CreateRunFiles"))
        })
        .flat_map(|r| {
            r["body"]["variables"]["files"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|f| f.as_str().map(str::to_owned))
        .filter(|f| f != "requirements.txt") // ours only with a Cargo.lock at hand
        .collect();
    files.sort();
    let completed = reqs
        .iter()
        .filter(|r| r["body"]["complete"] == true)
        .count();
    (files, completed)
}

fn spawn_both(make: impl Fn(u32) -> Command) {
    let children: Vec<_> = (0..2)
        .map(|rank| {
            let mut cmd = make(rank);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}

#[test]
fn offline_shared_run_dirs_match_the_official_clients() {
    let ours = ScratchDir::new("dist-offline-ours");
    let exe = std::env::current_exe().unwrap();
    spawn_both(|rank| {
        let mut cmd = Command::new(&exe);
        wandb_test_support::clear_wandb_env(&mut cmd)
            .args(["--exact", "dist_offline_child", "--nocapture"])
            .env(CHILD, ours.path())
            .env("RANK", rank.to_string())
            .env("WORLD_SIZE", "2");
        cmd
    });
    let official = ScratchDir::new("dist-offline-official");
    // a short TMPDIR: the official system monitor (wandb-symon) puts a
    // socket there and fails to start under a long path (no stats records)
    let short_tmp = tempfile::Builder::new().prefix("s").tempdir().unwrap();
    spawn_both(|rank| {
        let mut cmd = Command::new(oracle_python());
        hermetic(&mut cmd, official.path())
            .env("TMPDIR", short_tmp.path())
            .arg("-c")
            .arg(OFFICIAL)
            .arg(rank.to_string());
        cmd
    });

    // read before `wandb sync` writes its files into the run directories
    let (ours_dir, official_dir) = (ours, official);
    let (ours, official) = (writers(ours_dir.path()), writers(official_dir.path()));
    // the official monitor's first sample can come after a short run of a
    // loaded machine's primary (it gathers metadata first): one rank suffices
    assert!(
        official.iter().any(|o| !o.stats_keys.is_empty()),
        "official: no stats records at all"
    );
    for (rank, (o, w)) in official.iter().zip(&ours).enumerate() {
        let label = format!("rank_{rank}");
        assert_eq!(
            (o.label.as_str(), w.label.as_str()),
            (label.as_str(), label.as_str())
        );
        // metadata only from the primary
        assert_eq!(o.has_environment, rank == 0, "official {o:?}");
        assert_eq!(w.has_environment, o.has_environment, "ours {w:?}");
        assert_eq!(w.has_files_record, o.has_files_record, "ours {w:?}");
        let console_log = format!("output_{label}.log");
        assert!(o.files.contains(&console_log) && w.files.contains(&console_log));
        if rank > 0 {
            assert_eq!(o.files, BTreeSet::from([console_log.clone()]));
            assert_eq!(w.files, o.files);
        }
        // every system metric key labelled
        let suffix = format!("/l:{label}");
        for keys in [&o.stats_keys, &w.stats_keys] {
            assert!(keys.iter().all(|k| k.ends_with(&suffix)), "{keys:?}");
        }
        assert!(
            !w.stats_keys.is_empty(),
            "ours: no stats records at rank {rank}"
        );
        assert!(
            w.stats_keys.contains(&format!("cpu{suffix}")),
            "{:?}",
            w.stats_keys
        );
        // the records' console lines carry no label
        let hello = format!("hello from {rank}");
        assert!(
            o.console.contains(&hello) && w.console.contains(&hello),
            "{w:?}"
        );
        assert_eq!(w.exit_code, o.exit_code);
    }
    // the official `wandb sync` uploads both sides alike
    let (sync_ours, sync_official) = (synced(ours_dir.path()), synced(official_dir.path()));
    assert_eq!(sync_ours, sync_official);
    // each directory is a whole run to `wandb sync`: metadata from the
    // primary only, the console rebuilt as output.log, both completed
    let files = &sync_ours.0;
    let count = |name: &str| files.iter().filter(|f| *f == name).count();
    assert_eq!(count("wandb-metadata.json"), 1, "{files:?}");
    assert_eq!(
        (count("config.yaml"), count("output.log")),
        (2, 2),
        "{files:?}"
    );
    assert_eq!(sync_ours.1, 2);
}
