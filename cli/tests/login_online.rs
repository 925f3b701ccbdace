//! `wandb-rs login --host URL` then a run with that base URL goes online:
//! login, mode detection and online mode find the same netrc entry
//! (machine `host:port`).

use std::process::Command;

use serde_json::json;
use wandb_core::{init, row, Console, InitOptions, Mode};
use wandb_fake_server::FakeServer;
use wandb_test_support::{hermetic, ScratchDir};

#[test]
fn login_with_a_port_then_init_goes_online() {
    let server = FakeServer::start();
    let scratch = ScratchDir::new("login-online");
    let home = scratch.path().join("home");
    let url = format!("{}/", server.url()); // a trailing slash changes nothing
    let out = hermetic(
        &mut Command::new(env!("CARGO_BIN_EXE_wandb-rs")),
        scratch.path(),
    )
    .args(["login", "--host", &url, server.api_key()])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let netrc = std::fs::read_to_string(home.join(".netrc")).unwrap();
    let machine = server.url().trim_start_matches("http://");
    assert!(machine.contains(':'), "{machine}");
    assert!(netrc.contains(&format!("machine {machine}\n")), "{netrc}");

    // No mode, no API key: the netrc entry alone must make the run online.
    let opts = InitOptions::new()
        .dir(scratch.path())
        .project("proj")
        .entity("me")
        .id("loginrun")
        .console(Console::Off)
        .system_metrics(false)
        .environment([
            ("HOME", home.display().to_string()),
            ("NETRC", home.join(".netrc").display().to_string()),
            ("WANDB_BASE_URL", url.clone()),
        ]);
    let settings = opts.resolve().unwrap();
    assert_eq!(settings.mode, Mode::Online);
    assert_eq!(settings.api_key.as_deref(), Some(server.api_key()));
    let run = init(opts).unwrap();
    run.log(row! {"loss" => 0.5}).unwrap();
    run.finish().unwrap();

    let r = server
        .run("me", "proj", "loginrun")
        .expect("the run reached the server");
    assert_eq!(r.state(), "finished");
    assert_eq!(r.history().len(), 1);
    assert_eq!(r.history()[0]["loss"], json!(0.5));
}
