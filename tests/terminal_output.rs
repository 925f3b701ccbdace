//! What a person sees: the quickstart example run under a pseudo-terminal
//! (styled header and footer, rendered as a terminal shows them), with
//! stderr piped (plain), with `WANDB_SILENT` (nothing), and next to an
//! indicatif progress bar (not torn). Neither the header nor the footer is
//! in the run's `output.log`.
#![cfg(unix)]

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wandb_core::console::LineRenderer;
use wandb_test_support::{hermetic, ScratchDir};

/// The quickstart example, compiled into this test: the test binary runs
/// it as a child process (env `WANDB_RS_TEST_QUICKSTART`), so the child is
/// always the current code.
#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

/// Child mode: runs the quickstart instead of the tests.
fn child_mode() -> bool {
    if std::env::var_os("WANDB_RS_TEST_QUICKSTART").is_some() {
        quickstart::main().unwrap();
        return true;
    }
    false
}

/// Runs `cmd` with stdin, stdout and stderr on a new pseudo-terminal and
/// returns every byte it wrote there.
fn run_in_pty(cmd: &mut Command) -> Vec<u8> {
    let (mut master, mut slave) = (0, 0);
    let ws = libc::winsize {
        ws_row: 50,
        ws_col: 200,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds into the given ints.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &ws,
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: fresh fds owned by us from here on.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = cmd
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("spawn");
    // The command still holds slave fds: release them so reading ends at exit.
    let _ = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut out = Vec::new();
    let mut file = std::fs::File::from(master);
    let mut buf = [0u8; 4096];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break, // EIO once the child closed the terminal
        }
    }
    assert!(
        child.wait().unwrap().success(),
        "{}",
        String::from_utf8_lossy(&out)
    );
    out
}

/// The lines a terminal shows for `raw` (`\r` redraws, erases, styles removed).
fn screen(raw: &[u8]) -> Vec<String> {
    let mut r = LineRenderer::new();
    let mut lines = Vec::new();
    r.feed(raw, &mut |l| lines.push(l.plain.trim_end().to_owned()));
    lines.extend(r.take_partial().map(|l| l.plain));
    lines
}

fn run_dir(scratch: &Path) -> PathBuf {
    let wandb = scratch.join("wandb");
    std::fs::read_dir(&wandb)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("offline-run-")
        })
        .expect("a run directory")
}

fn quickstart_cmd(scratch: &ScratchDir) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    hermetic(&mut cmd, scratch.path());
    cmd.env("WANDB_SILENT", "false")
        .env("TERM", "xterm")
        .env("WANDB_RS_TEST_QUICKSTART", "1")
        .current_dir(scratch.path())
        // the test harness of the child runs only this (quiet) test
        .args(["--exact", "child_entry", "-q", "--test-threads=1"]);
    cmd
}

/// Every line of the quickstart's header and footer, in order.
fn assert_header_and_footer(lines: &[String], dir: &Path) {
    let dir = dir.display().to_string();
    let id = dir.rsplit('-').next().unwrap().to_owned();
    let sync = format!("wandb: wandb-rs sync {dir}");
    let expected: Vec<String> = vec![
        format!(
            "wandb: Tracking run with wandb-rs version {}",
            wandb::VERSION
        ),
        "wandb: W&B syncing is set to `offline`. Set WANDB_MODE=online to stream runs to W&B."
            .into(),
        format!("wandb: Run data is saved locally in {dir}"),
        format!(
            "wandb: Offline run {id} in project quickstart; upload it with wandb-rs sync {dir}"
        ),
        "wandb:".into(),
        "wandb: Run history:".into(),
        // prefixes: the sampled lines of epoch/train/* vary with the sample
        "wandb:      epoch ▁".into(),
        "wandb: train/loss █".into(),
        "wandb:   train/lr █".into(),
        "wandb:    val/acc ▁▄▆▇█".into(),
        "wandb:   val/loss █▅▃▂▁".into(),
        "wandb:".into(),
        "wandb: Run summary:".into(),
        "wandb:      epoch 4".into(),
        "wandb:      steps 1005".into(),
        "wandb: train/loss 0.12029".into(),
        "wandb:   train/lr 0.00029".into(),
        "wandb:    val/acc 0.8485".into(),
        "wandb:".into(),
        format!("wandb: 2 file(s) written to {dir}/files"),
        "wandb: You can sync this run to the cloud by running:".into(),
        sync,
        format!(
            "wandb: Find logs at: ./wandb/{}/logs",
            Path::new(&dir).file_name().unwrap().to_string_lossy()
        ),
    ];
    let shown: Vec<&String> = lines.iter().filter(|l| l.starts_with("wandb:")).collect();
    assert_eq!(shown.len(), expected.len(), "{lines:#?}");
    for (got, want) in shown.iter().zip(&expected) {
        assert!(
            got.starts_with(want.as_str()),
            "{got:?} does not start with {want:?}\n{lines:#?}"
        );
    }
    // Sparklines of sampled metrics are 40 points wide.
    for l in &shown[6..9] {
        assert_eq!(l.rsplit(' ').next().unwrap().chars().count(), 40, "{l}");
    }
}

fn assert_not_in_output_log(dir: &Path) {
    let log = std::fs::read_to_string(dir.join("files/output.log")).unwrap_or_default();
    assert!(
        !log.contains("wandb:"),
        "header/footer captured into output.log:\n{log}"
    );
}

/// The entry point of the child processes.
#[test]
fn child_entry() {
    child_mode();
}

#[test]
fn quickstart_under_a_terminal_shows_a_styled_header_and_footer() {
    let scratch = ScratchDir::new("tty-quickstart");
    let raw = run_in_pty(&mut quickstart_cmd(&scratch));
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.contains("\x1b[34m\x1b[1mwandb\x1b[0m: "),
        "styled prefix: {text:?}"
    );
    let dir = run_dir(scratch.path());
    assert_header_and_footer(&screen(&raw), &dir);
    assert_not_in_output_log(&dir);
}

#[test]
fn quickstart_with_stderr_piped_prints_plain_text() {
    let scratch = ScratchDir::new("plain-quickstart");
    let out = quickstart_cmd(&scratch).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains('\x1b'),
        "no escape sequences when not a terminal: {err:?}"
    );
    let lines: Vec<String> = err.lines().map(|l| l.trim_end().to_owned()).collect();
    let dir = run_dir(scratch.path());
    assert_header_and_footer(&lines, &dir);
    assert_not_in_output_log(&dir);
}

#[test]
fn wandb_silent_prints_nothing() {
    let scratch = ScratchDir::new("silent-quickstart");
    let out = quickstart_cmd(&scratch)
        .env("WANDB_SILENT", "true")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // (stdout has only the child's test-harness lines)
    assert!(!String::from_utf8_lossy(&out.stdout).contains("wandb"));
}

/// Child mode of [`a_progress_bar_is_not_torn`]: a run finishing while an
/// indicatif bar is drawn on the same terminal.
fn progress_bar_child(dir: &Path) {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(100),
        indicatif::ProgressDrawTarget::stderr_with_hz(200),
    );
    bar.set_style(indicatif::ProgressStyle::with_template("training {pos}/{len}").unwrap());
    bar.inc(1); // on screen while the header is printed
    std::thread::sleep(std::time::Duration::from_millis(20));
    let run = wandb::init(
        wandb::InitOptions::new()
            .project("bar")
            .mode(wandb::Mode::Offline)
            .dir(dir)
            .console(wandb::Console::Off)
            .environment([("HOME", dir.to_str().unwrap())]),
    )
    .unwrap();
    for i in 0..48u64 {
        bar.inc(1);
        run.log(serde_json::json!({"loss": 1.0 / (i + 1) as f64}))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    run.finish().unwrap(); // the bar is still on screen
    for _ in 49..100 {
        bar.inc(1);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    bar.finish();
}

#[test]
fn a_progress_bar_is_not_torn() {
    if let Some(dir) = std::env::var_os("WANDB_RS_TEST_BAR_CHILD") {
        progress_bar_child(Path::new(&dir));
        return;
    }
    let scratch = ScratchDir::new("tty-bar");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    hermetic(&mut cmd, scratch.path());
    cmd.env("WANDB_SILENT", "false")
        .env("TERM", "xterm")
        .env("WANDB_RS_TEST_BAR_CHILD", scratch.path())
        .args([
            "--exact",
            "a_progress_bar_is_not_torn",
            "--nocapture",
            "--test-threads=1",
        ]);
    let raw = run_in_pty(&mut cmd);
    let lines = screen(&raw);
    // Every wandb line is whole: it starts the line, no bar text inside.
    let wandb_lines: Vec<&String> = lines.iter().filter(|l| l.contains("wandb:")).collect();
    assert!(wandb_lines.len() >= 10, "{lines:#?}");
    for l in &wandb_lines {
        assert!(
            l.starts_with("wandb:") && !l.contains("training"),
            "torn line {l:?}\n{lines:#?}"
        );
    }
    // 1/(i+1) for i in 0..48: all 48 sampled (the sample size), downsampled to 40 (the
    // official sparkify(downsample(values, 40)) of the same float32 values)
    assert!(
        lines
            .iter()
            .any(|l| l == "wandb: loss █▄▃▃▂▂▂▂▂▂▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁"),
        "{lines:#?}"
    );
    // The bar was drawn after the footer and ends complete on its own line.
    assert!(
        lines.iter().any(|l| l.starts_with("training 100/100")),
        "{lines:#?}"
    );
}
