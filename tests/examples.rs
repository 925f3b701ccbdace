//! The examples a new user runs first, run as they are (the binaries that
//! `cargo test` / `cargo nextest` build with the tests) in a fresh
//! directory with a private HOME and no `WANDB_*` variable; each must
//! succeed and leave the run it promises.

use std::path::{Path, PathBuf};
use std::process::Command;

use wandb_test_support::ScratchDir;

/// `target/<profile>/examples/<name>`, next to this test's `deps/`.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: examples are built by `cargo test`/`cargo nextest run` for the whole \
         package; with a --test filter build them first (`cargo build --examples --all-features`)",
        path.display()
    );
    path
}

/// Runs an example in `cwd`; returns stdout (panics with both streams on failure).
fn run_example(name: &str, args: &[&str], cwd: &Path) -> String {
    let out = Command::new(example(name))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd.join("home"))
        .env("TMPDIR", cwd)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed: {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The single `offline-run-*` directory under `cwd/wandb`.
fn offline_run(cwd: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(cwd.join("wandb"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("offline-run-"))
        })
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

fn files_under(dir: &Path, ext: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(ext))
            .count()
    })
}

#[cfg(feature = "online")]
#[test]
fn online_demo_runs_against_its_fake_server() {
    let scratch = ScratchDir::new("ex-online");
    let out = run_example("online", &["--demo"], scratch.path());
    assert!(out.contains("run URL: http://127.0.0.1:"), "{out}");
    assert!(
        out.contains("server stored 20 history rows, summary best_loss = 0.05, complete = true"),
        "{out}"
    );
}

#[cfg(all(feature = "sweeps", feature = "online"))]
#[test]
fn sweep_agent_demo_trains_the_servers_suggestions() {
    let scratch = ScratchDir::new("ex-sweep");
    let out = run_example("sweep_agent", &["--demo"], scratch.path());
    assert!(
        out.contains("sweep mock-entity/sweep-example/mocksw01"),
        "{out}"
    );
    // the grid in the official order (batch_size slowest), three runs
    for line in [
        r#"run swrun101 {"batch_size":16,"lr":0.1} Finished"#,
        r#"run swrun102 {"batch_size":16,"lr":0.05} Finished"#,
        r#"run swrun103 {"batch_size":64,"lr":0.1} Finished"#,
        r#"server: sweep mocksw01 has runs ["swrun101", "swrun102", "swrun103"]"#,
    ] {
        assert!(out.contains(line), "{line} missing in:\n{out}");
    }
}

#[cfg(feature = "online")]
#[test]
fn sync_demo_uploads_an_offline_run() {
    let scratch = ScratchDir::new("ex-sync");
    let out = run_example("sync", &["--demo"], scratch.path());
    let run = offline_run(scratch.path());
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(out.starts_with("synced ") && out.contains(&name), "{out}");
    assert!(out.contains(": 10 history rows, "), "{out}");
    assert!(
        out.contains("server stored 10 history rows, complete = true"),
        "{out}"
    );
}

#[test]
fn media_and_plots_writes_media_tables_and_a_chart() {
    let scratch = ScratchDir::new("ex-media");
    run_example("media_and_plots", &[], scratch.path());
    let media = offline_run(scratch.path()).join("files/media");
    assert_eq!(
        files_under(&media.join("images"), ".png"),
        5,
        "one image per step"
    );
    // the predictions table and the chart's table
    assert_eq!(files_under(&media.join("table"), ".table.json"), 2);
}

#[cfg(feature = "tensorboard")]
#[test]
fn tensorboard_mirrors_event_files_into_the_run() {
    let scratch = ScratchDir::new("ex-tb");
    let out = run_example("tensorboard", &[], scratch.path());
    assert!(out.contains("TensorBoard rows mirrored: 55"), "{out}");
    let run = offline_run(scratch.path());
    assert!(files_under(&scratch.path().join("runs/tensorboard-example/train"), "") >= 1);
    assert!(run.join("files").is_dir());
}

#[cfg(feature = "online")]
#[test]
fn distributed_shared_demo_writes_one_run_from_four_processes() {
    let scratch = ScratchDir::new("ex-dist");
    let out = run_example("distributed_shared", &["--demo"], scratch.path());
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("rank 0 of 4 writes run "))
        .unwrap_or_else(|| panic!("{out}"));
    for rank in 1..4 {
        assert!(
            out.contains(&format!("rank {rank} of 4 writes run {id}\n")),
            "{out}"
        );
    }
    assert!(
        out.contains(&format!(
            "server stored 1 run ({id}) from 4 writers: 20 history rows, labelled system \
             metrics from 4 ranks, 4 console lines, state finished, completed 1 time(s)"
        )),
        "{out}"
    );
}

#[cfg(all(feature = "burn", feature = "sweeps"))]
#[test]
fn sweep_burn_runs_a_grid_and_a_bayes_sweep() {
    let scratch = ScratchDir::new("ex-sweep-burn");
    let out = run_example("sweep_burn", &[], scratch.path());
    // the grid in the official order: names sorted, the last one fastest
    let grid: Vec<(String, String)> = out
        .lines()
        .skip_while(|l| !l.starts_with("grid sweep "))
        .take_while(|l| !l.starts_with("grid: "))
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("trial ")?;
            let mut kv = rest.split(' ').skip(1);
            Some((kv.next()?.to_string(), kv.next()?.to_string()))
        })
        .collect();
    let want: Vec<(String, String)> = ["16", "32"]
        .iter()
        .flat_map(|b| {
            ["0.01", "0.05", "0.1"]
                .iter()
                .map(move |lr| (format!("batch_size={b}"), format!("learning_rate={lr}")))
        })
        .collect();
    assert_eq!(grid, want, "{out}");
    assert!(out.contains("grid: 6 runs, best valid/Loss="), "{out}");
    assert!(out.contains("bayes: 4 runs, best valid/Loss="), "{out}");
    // every trial is an offline run in its sweep's group
    let runs: Vec<PathBuf> = std::fs::read_dir(scratch.path().join("wandb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("offline-run-")
        })
        .collect();
    assert_eq!(runs.len(), 10, "{runs:?}");
}
