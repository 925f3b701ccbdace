//! Console capture against real file descriptors. Each scenario runs in a
//! child process (this test binary re-invoked with `WANDB_RS_CONSOLE_CHILD`),
//! because redirecting fds 1 and 2 affects the whole process; the parent
//! checks what reached the child's real stdout/stderr and what was recorded.
#![cfg(unix)]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use parking_lot::Mutex;
use wandb_core::console::{ConsoleCapture, ConsoleLog};
use wandb_core::proto;

const CHILD: &str = "WANDB_RS_CONSOLE_CHILD";
const DIR: &str = "WANDB_RS_CONSOLE_DIR";

/// Runs test `name` of this binary as a child in scenario mode.
fn run_child(name: &str, dir: &Path) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .env(DIR, dir)
        .output()
        .unwrap()
}

/// The sink of a child: records as `type\tline` lines in `records.txt`,
/// appended at once so they survive an abort.
fn file_sink(dir: &Path) -> impl Fn(proto::OutputRawRecord) -> bool + Send + Sync + 'static {
    let f = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("records.txt"))
            .unwrap(),
    ));
    move |r: proto::OutputRawRecord| {
        let mut f = f.lock();
        let _ = write!(f, "{}\t{}", r.output_type, r.line);
        true
    }
}

fn child_dir() -> Option<std::path::PathBuf> {
    std::env::var_os(CHILD)?;
    Some(std::env::var_os(DIR).unwrap().into())
}

#[test]
fn tee_and_record_from_many_threads() {
    if let Some(dir) = child_dir() {
        let cap = ConsoleCapture::start_into(
            ConsoleLog::open(&dir.join("output.log"), file_sink(&dir)).unwrap(),
        )
        .expect("capture starts");
        println!("hello from the run");
        eprintln!("a warning");
        // A carriage-return progress bar: must become ONE line.
        for i in 0..=50 {
            print!("\rprogress {:>3}%", i * 2);
            std::io::stdout().flush().unwrap();
        }
        println!();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..25 {
                        println!("thread {t} line {i}");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        print!("no newline at the end");
        cap.stop();
        println!("after stop: not captured");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child("tee_and_record_from_many_threads", dir.path());
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The terminal (here: the parent's pipes) got the bytes unchanged.
    assert!(stdout.contains("hello from the run\n"));
    assert!(
        stdout.contains("\rprogress   0%\rprogress   2%"),
        "raw \\r kept"
    );
    assert!(stdout.contains("after stop: not captured"));
    assert!(stderr.contains("a warning\n"));

    let log = std::fs::read_to_string(dir.path().join("output.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.contains(&"hello from the run"));
    assert!(lines.contains(&"a warning"));
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("progress"))
            .copied()
            .collect::<Vec<_>>(),
        ["progress 100%"],
        "the progress bar is one line with its final state"
    );
    for t in 0..4 {
        for i in 0..25 {
            let want = format!("thread {t} line {i}");
            assert_eq!(lines.iter().filter(|l| **l == want).count(), 1, "{want}");
        }
    }
    assert_eq!(lines.last(), Some(&"no newline at the end"));
    assert!(!log.contains("after stop"));
    assert_eq!(lines.len(), 1 + 1 + 1 + 100 + 1);

    let recs = std::fs::read_to_string(dir.path().join("records.txt")).unwrap();
    assert!(recs.contains("1\thello from the run\n"));
    assert!(recs.contains("0\ta warning\n"));
    assert_eq!(recs.matches("progress").count(), 1);
}

#[test]
fn lines_survive_an_abort_up_to_the_last_flush() {
    if let Some(dir) = child_dir() {
        let cap = ConsoleCapture::start_into(
            ConsoleLog::open(&dir.join("output.log"), file_sink(&dir)).unwrap(),
        )
        .expect("capture starts");
        for i in 0..10 {
            println!("line {i}");
        }
        eprintln!("last words");
        cap.flush();
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child("lines_survive_an_abort_up_to_the_last_flush", dir.path());
    assert!(!out.status.success());
    let log = std::fs::read_to_string(dir.path().join("output.log")).unwrap();
    // Each stream keeps its order; stdout and stderr are read by two threads,
    // so their relative order is not guaranteed (as with the official client).
    let stdout_lines: Vec<&str> = log.lines().filter(|l| l.starts_with("line")).collect();
    let want: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
    assert_eq!(stdout_lines, want);
    assert_eq!(log.lines().filter(|l| *l == "last words").count(), 1);
    assert_eq!(log.lines().count(), 11);
    let recs = std::fs::read_to_string(dir.path().join("records.txt")).unwrap();
    assert!(recs.contains("1\tline 9\n") && recs.contains("0\tlast words\n"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("line 9\n"));
}

#[test]
fn a_panic_message_reaches_the_terminal_and_the_log() {
    if let Some(dir) = child_dir() {
        // A user hook set before the capture: ours chains to it, then drains
        // the capture, so its message is recorded before the abort.
        std::panic::set_hook(Box::new(|_| eprintln!("custom hook: boom")));
        let _cap = ConsoleCapture::start_into(
            ConsoleLog::open(&dir.join("output.log"), file_sink(&dir)).unwrap(),
        )
        .expect("capture starts");
        let r = std::panic::catch_unwind(|| panic!("boom"));
        assert!(r.is_err());
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child(
        "a_panic_message_reaches_the_terminal_and_the_log",
        dir.path(),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(dir.path().join("output.log")).unwrap();
    assert!(stderr.contains("custom hook: boom"), "{stderr}");
    assert!(log.contains("custom hook: boom"), "{log}");
}

/// Options for a hermetic offline run in `dir` that captures the console.
fn run_opts(dir: &Path) -> wandb_core::InitOptions {
    wandb_core::InitOptions::new()
        .dir(dir)
        .mode(wandb_core::Mode::Offline)
        .console(wandb_core::Console::Redirect)
        .system_metrics(false)
        .environment([("HOME", dir.join("home").display().to_string())])
}

fn run_dir_in(dir: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dir.join("wandb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.is_dir()
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("offline-run-")
        })
        .expect("run directory")
}

/// `(output_type, line)` of every output_raw record, read with our reader.
fn output_raw(run_dir: &Path) -> Vec<(i32, String)> {
    let file = std::fs::read_dir(run_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wandb"))
        .unwrap();
    wandb_core::store::read_file(&file)
        .unwrap()
        .records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(wandb_core::proto::record::RecordType::OutputRaw(o)) => {
                Some((o.output_type, o.line))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_run_keeps_console_lines_up_to_its_last_flush_when_the_program_aborts() {
    if let Some(dir) = child_dir() {
        let run = wandb_core::init(run_opts(&dir)).unwrap();
        for i in 0..5 {
            println!("epoch {i}");
            run.log(wandb_core::row! {"loss" => 1.0 / (i as f64 + 1.0)})
                .unwrap();
        }
        eprintln!("about to crash");
        run.flush().unwrap(); // console included: see Run::flush
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child(
        "a_run_keeps_console_lines_up_to_its_last_flush_when_the_program_aborts",
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("epoch 4\n"),
        "teed to the terminal"
    );
    let run_dir = run_dir_in(dir.path());
    let log = std::fs::read_to_string(run_dir.join("files/output.log")).unwrap();
    let epochs: Vec<&str> = log.lines().filter(|l| l.starts_with("epoch")).collect();
    assert_eq!(
        epochs,
        ["epoch 0", "epoch 1", "epoch 2", "epoch 3", "epoch 4"]
    );
    assert!(log.lines().any(|l| l == "about to crash"));
    let recs = output_raw(&run_dir);
    let stdout_lines: Vec<&str> = recs
        .iter()
        .filter(|r| r.0 == 1)
        .map(|r| r.1.as_str())
        .collect();
    assert_eq!(
        stdout_lines,
        [
            "epoch 0\n",
            "epoch 1\n",
            "epoch 2\n",
            "epoch 3\n",
            "epoch 4\n"
        ]
    );
    assert!(recs.contains(&(0, "about to crash\n".to_string())));
}

#[test]
fn the_official_reader_shows_captured_console_lines() {
    if let Some(dir) = child_dir() {
        let run = wandb_core::init(run_opts(&dir).project("console")).unwrap();
        println!("hello from the minimal run");
        for i in 0..=20 {
            eprint!("\rloading {:>3}%", i * 5);
        }
        eprintln!();
        run.finish().unwrap();
        println!("after finish: terminal only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child(
        "the_official_reader_shows_captured_console_lines",
        dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let run_dir = run_dir_in(dir.path());
    let s = wandb_test_support::leet_summary(&run_dir);
    let console: Vec<(String, String)> = s["console"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["stream"].as_str().unwrap().into(),
                c["line"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        console.contains(&("stdout".into(), "hello from the minimal run".into())),
        "{console:?}"
    );
    assert!(
        console.contains(&("stderr".into(), "loading 100%".into())),
        "{console:?}"
    );
    assert_eq!(console.len(), 2, "one line per progress bar: {console:?}");
    assert_eq!(s["console_lines"], 2);
    let log = std::fs::read_to_string(run_dir.join("files/output.log")).unwrap();
    assert!(!log.contains("after finish"));
}

#[test]
fn process_exit_with_a_live_run_still_delivers_the_last_lines() {
    if let Some(dir) = child_dir() {
        let run = wandb_core::init(run_opts(&dir)).unwrap();
        for i in 0..200 {
            println!("line {i}");
        }
        std::mem::forget(run); // never finished: exit() runs no destructors
        std::process::exit(3);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child(
        "process_exit_with_a_live_run_still_delivers_the_last_lines",
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("line 199\n"), "the terminal got everything");
    let log = std::fs::read_to_string(run_dir_in(dir.path()).join("files/output.log")).unwrap();
    assert_eq!(log.lines().filter(|l| l.starts_with("line ")).count(), 200);
}
