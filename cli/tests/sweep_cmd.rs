//! `wandb-rs sweep CONFIG -- COMMAND`: trials get their parameters the way
//! the official agent passes them (`--k=v` with Python's `str`, the
//! official grid order, WANDB_SWEEP_ID / WANDB_RUN_ID / WANDB_RUN_GROUP /
//! WANDB_SWEEP_PARAM_PATH, WANDB_MODE=offline).

use std::path::Path;
use std::process::Command;

fn sweep(home: &Path, config: &str, extra: &[&str], command: &[&str]) -> std::process::Output {
    std::fs::write(home.join("sweep.yaml"), config).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_wandb-rs"));
    wandb_test_support::clear_wandb_env(&mut c)
        .env("HOME", home)
        .env("TMPDIR", home)
        .current_dir(home)
        .arg("sweep")
        .arg("sweep.yaml")
        .args(extra)
        .arg("--")
        .args(command);
    c.output().unwrap()
}

#[cfg(unix)]
#[test]
fn grid_sweep_passes_args_and_env_like_the_official_agent() {
    let tmp = tempfile::tempdir().unwrap();
    let config = "method: grid\nparameters:\n  lr: {values: [0.1, 1e-05]}\n  flag: {values: [true, false]}\n  name: {value: x y}\n";
    let script = r#"echo "$WANDB_SWEEP_ID|$WANDB_RUN_ID|$WANDB_RUN_GROUP|$WANDB_MODE|$WANDB_SWEEP_PARAM_PATH|$*" >> trials.log"#;
    let out = sweep(
        tmp.path(),
        config,
        &["--sweep-id", "abcd1234"],
        &["sh", "-c", script, "sh"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("sweep abcd1234 done: 4 run(s), 0 failed"),
        "{stdout}"
    );
    let log = std::fs::read_to_string(tmp.path().join("trials.log")).unwrap();
    let lines: Vec<Vec<&str>> = log.lines().map(|l| l.split('|').collect()).collect();
    let args: Vec<&str> = lines.iter().map(|l| l[5]).collect();
    assert_eq!(
        args,
        vec![
            "--flag=True --lr=0.1 --name=x y",
            "--flag=True --lr=1e-05 --name=x y",
            "--flag=False --lr=0.1 --name=x y",
            "--flag=False --lr=1e-05 --name=x y",
        ]
    );
    for l in &lines {
        assert_eq!(l[0], "abcd1234");
        assert_eq!(l[1].len(), 8, "run id {}", l[1]);
        assert_eq!(l[2], "abcd1234");
        assert_eq!(l[3], "offline");
        let expected = tmp
            .path()
            .join(format!("wandb/sweep-abcd1234/config-{}.yaml", l[1]));
        assert_eq!(
            Path::new(l[4]).canonicalize().unwrap(),
            expected.canonicalize().unwrap()
        );
        let text = std::fs::read_to_string(l[4]).unwrap();
        assert!(
            text.starts_with("wandb_version: 1\n\nflag:\n  value: "),
            "{text}"
        );
        assert!(text.contains("name:\n  value: \"x y\"\n"), "{text}");
    }
}

#[cfg(unix)]
#[test]
fn macros_count_and_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let config = "method: random\nparameters:\n  n: {min: 1, max: 3}\n";
    // One file per trial: two run at once (--jobs 2).
    let script = r#"{ echo "$1 $2"; cat "$2"; echo; } > "trial-$WANDB_RUN_ID.log""#;
    let out = sweep(
        tmp.path(),
        config,
        &["--count", "3", "--jobs", "2", "--seed", "4"],
        &[
            "sh",
            "-c",
            script,
            "sh",
            "${args_no_hyphens}",
            "${args_json_file}",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut log = String::new();
    for e in std::fs::read_dir(tmp.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("trial-")
        {
            log.push_str(&std::fs::read_to_string(p).unwrap());
        }
    }
    let heads: Vec<&str> = log.lines().filter(|l| l.starts_with("n=")).collect();
    assert_eq!(heads.len(), 3, "{log}");
    for h in heads {
        let (arg, file) = h.split_once(' ').unwrap();
        let n: i64 = arg.trim_start_matches("n=").parse().unwrap();
        assert!((1..=3).contains(&n));
        assert!(file.ends_with(".json"), "{file}");
    }
    assert_eq!(
        log.lines().filter(|l| l.starts_with("{\"n\":")).count(),
        3,
        "{log}"
    );

    // Every trial failing makes the command fail.
    let out = sweep(tmp.path(), config, &["--count", "2"], &["false"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("failed (exit 1)"));

    // A bad config names the key.
    let out = sweep(
        tmp.path(),
        "method: grid\nparameters:\n  n: {min: 3, max: 1}\n",
        &[],
        &["true"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("parameters.n.min"));
}
