//! `wandb-rs artifact get`: an artifact logged to the fake server is
//! downloaded by reference into WANDB_ARTIFACT_DIR/<name>:<vN> or --root,
//! byte for byte; an unknown one or a wrong --type fails with status 1 and
//! says which.

use std::process::Command;

use wandb_core::{init, Artifact, Console, InitOptions, Mode};
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, ScratchDir};

fn cli(server: &FakeServer, scratch: &ScratchDir, args: &[&str]) -> std::process::Output {
    hermetic(
        &mut Command::new(env!("CARGO_BIN_EXE_wandb-rs")),
        scratch.path(),
    )
    .env("WANDB_BASE_URL", server.url())
    .env("WANDB_API_KEY", server.api_key())
    .args(args)
    .output()
    .unwrap()
}

#[test]
fn artifact_get_downloads_by_reference() {
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(
        InitOptions::new()
            .dir(tmp.path())
            .mode(Mode::Online)
            .project("proj")
            .entity("me")
            .id("artget1")
            .console(Console::Off)
            .system_metrics(false)
            .quiet(true)
            .environment([
                ("HOME", tmp.path().join("home").display().to_string()),
                ("WANDB_API_KEY", server.api_key().to_string()),
                ("WANDB_BASE_URL", server.url().to_string()),
            ]),
    )
    .unwrap();
    let mut art = Artifact::new("weights", "model").unwrap();
    art.new_file("w.bin", vec![0u8, 1, 2, 255]).unwrap();
    art.new_file("cfg/opt.json", "{\"lr\": 0.1}").unwrap();
    run.log_artifact(&art, &["best"]).unwrap();
    run.finish().unwrap();

    let scratch = ScratchDir::new("artifact-get");
    let out = cli(
        &server,
        &scratch,
        &["artifact", "get", "me/proj/weights:best"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = scratch.path().join("home/artifacts/weights:v0");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        dir.display().to_string()
    );
    assert_eq!(std::fs::read(dir.join("w.bin")).unwrap(), [0u8, 1, 2, 255]);
    assert_eq!(
        std::fs::read_to_string(dir.join("cfg/opt.json")).unwrap(),
        "{\"lr\": 0.1}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("me/proj/weights:v0 (2 files, 0 from the cache"),
        "{stderr}"
    );

    let root = scratch.path().join("elsewhere");
    let root_arg = root.display().to_string();
    let out = cli(
        &server,
        &scratch,
        &[
            "artifact",
            "get",
            "me/proj/weights:v0",
            "--root",
            &root_arg,
            "--type",
            "model",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(root.join("w.bin")).unwrap(), [0u8, 1, 2, 255]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 from the cache"));

    let out = cli(&server, &scratch, &["artifact", "get", "me/proj/nope:v3"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("artifact me/proj/nope:v3 not found"),
        "{stderr}"
    );

    let out = cli(
        &server,
        &scratch,
        &["artifact", "get", "me/proj/weights", "--type", "dataset"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has type \"model\", not \"dataset\""),
        "{stderr}"
    );
}
