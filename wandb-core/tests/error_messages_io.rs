//! More of the errors a user meets (issue 15, item 4), one message each
//! saying what was wrong and what to do: the disk filling up while the run
//! is live, and the online server unreachable at init.

use std::io;

use serde_json::json;
use wandb_core::store::RecordSink;
use wandb_core::{init_with_sink, Error, InitOptions, Mode};
use wandb_test_support::ScratchDir;

/// A sink on a disk that fills up after `room` records (ENOSPC, as a
/// full disk answers `write`).
struct FullDisk {
    room: usize,
    taken: usize,
}

impl RecordSink for FullDisk {
    fn append(&mut self, _record: &[u8]) -> io::Result<()> {
        if self.taken == self.room {
            return Err(io::Error::from_raw_os_error(28));
        }
        self.taken += 1;
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn bytes_written(&self) -> u64 {
        0
    }
}

#[test]
fn the_disk_filling_up_during_the_run() {
    let scratch = ScratchDir::new("err-disk-full");
    let run = init_with_sink(
        InitOptions::new()
            .dir(scratch.path())
            .mode(Mode::Offline)
            .quiet(true)
            .system_metrics(false)
            .environment([("HOME", scratch.path().join("home").display().to_string())]),
        Box::new(FullDisk { room: 3, taken: 0 }),
    )
    .unwrap();
    for i in 0..20 {
        // logging never blocks nor fails on the user's thread
        run.log(json!({"loss": i})).unwrap();
    }
    let err = run.finish().unwrap_err();
    assert!(matches!(err, Error::Writer(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("the run's writer thread failed: cannot write "),
        "{msg}"
    );
    assert!(msg.contains("No space left on device"), "{msg}");
    assert!(
        msg.ends_with(
            "the records written before the error are kept and can be synced; free disk space \
             or set InitOptions::dir (WANDB_DIR) to a writable directory with room for the next run"
        ),
        "{msg}"
    );
}

/// Online init with nothing listening at the server URL: one error after
/// `init_timeout`, nothing written, and no silent switch to offline.
#[cfg(feature = "online")]
#[test]
fn the_server_unreachable_at_init() {
    let scratch = ScratchDir::new("err-unreachable");
    // a port that was just free: nothing listens there
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let err = wandb_core::init(
        InitOptions::new()
            .dir(scratch.path())
            .mode(Mode::Online)
            .project("p")
            .quiet(true)
            .system_metrics(false)
            .environment([
                ("HOME", scratch.path().join("home").display().to_string()),
                ("WANDB_API_KEY", "a".repeat(40)),
                ("WANDB_BASE_URL", url.clone()),
                ("WANDB_INIT_TIMEOUT", "0.5".into()),
            ]),
    )
    .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "gave up after init_timeout, took {:?}",
        started.elapsed()
    );
    let msg = err.to_string();
    let head = format!(
        "invalid setting base_url: the W&B server at {url} could not be reached within 500ms ("
    );
    assert!(msg.starts_with(&head), "{msg}");
    assert!(
        msg.ends_with(
            "check the URL (WANDB_BASE_URL) and the network, raise init_timeout \
             (WANDB_INIT_TIMEOUT), or run with Mode::Offline (WANDB_MODE=offline) and upload \
             later with `wandb-rs sync`"
        ),
        "{msg}"
    );
    assert!(
        !scratch.path().join("wandb").exists(),
        "nothing written: the run did not fall back to offline"
    );
}
