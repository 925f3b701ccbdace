use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn precedence_env_over_local_over_global() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("cfg");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("settings"),
        "[default]\nproject = global\nentity = g-ent\nbase_url = http://g\n",
    )
    .unwrap();
    std::fs::create_dir_all(tmp.path().join("wandb")).unwrap();
    std::fs::write(
        tmp.path().join("wandb/settings"),
        "[default]\nproject = local\n",
    )
    .unwrap();
    let e = env(&[
        ("WANDB_CONFIG_DIR", cfg.to_str().unwrap()),
        ("HOME", tmp.path().to_str().unwrap()),
    ]);
    let s = Settings::resolve(&e, tmp.path()).unwrap();
    assert_eq!(s.project.as_deref(), Some("local"));
    assert_eq!(s.entity.as_deref(), Some("g-ent"));
    assert_eq!(s.base_url, "http://g");
    assert_eq!(s.mode, Mode::Offline, "no API key -> offline");

    let mut e2 = e.clone();
    e2.insert("WANDB_PROJECT".into(), "from-env".into());
    e2.insert("WANDB_TAGS".into(), "a, b,,c".into());
    let s = Settings::resolve(&e2, tmp.path()).unwrap();
    assert_eq!(s.project.as_deref(), Some("from-env"));
    assert_eq!(s.tags, vec!["a", "b", "c"]);
}

#[test]
fn api_key_makes_online_default_but_explicit_mode_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().to_str().unwrap();
    let s = Settings::resolve(
        &env(&[("HOME", home), ("WANDB_API_KEY", "k".repeat(40).as_str())]),
        tmp.path(),
    )
    .unwrap();
    assert_eq!(s.mode, Mode::Online);
    let s = Settings::resolve(
        &env(&[
            ("HOME", home),
            ("WANDB_API_KEY", "x"),
            ("WANDB_MODE", "dryrun"),
        ]),
        tmp.path(),
    )
    .unwrap();
    assert_eq!(s.mode, Mode::Offline);
    assert!(!format!("{s:?}").contains("WANDB_API_KEY"));
    assert!(format!("{s:?}").contains("<redacted>"));
}

#[test]
fn bad_values_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().to_str().unwrap();
    let err = Settings::resolve(
        &env(&[("HOME", home), ("WANDB_MODE", "sideways")]),
        tmp.path(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("sideways") && err.contains("offline"), "{err}");
    let err = Settings::resolve(
        &env(&[("HOME", home), ("WANDB_X_STATS_SAMPLING_INTERVAL", "-1")]),
        tmp.path(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("x_stats_sampling_interval"), "{err}");
}

#[test]
fn huge_intervals_saturate_and_bad_ones_are_errors() {
    // found by the fuzzer (tests/fixtures/fuzz/settings/regress-huge-interval.ini)
    for v in ["NaN", "-1", "0", "0.05", "abc"] {
        let text = format!("[default]\nx_stats_sampling_interval = {v}\n");
        let err = Settings::from_ini_text(&text).unwrap_err().to_string();
        assert!(err.contains("x_stats_sampling_interval"), "{err}");
    }
    // huge values saturate: no limit
    for v in ["1e300", "inf"] {
        let text = format!("[default]\nx_stats_sampling_interval = {v}\n");
        let s = Settings::from_ini_text(&text).unwrap();
        assert_eq!(s.stats_sampling_interval, Duration::MAX);
    }
    let s = Settings::from_ini_text("[default]\nx_stats_sampling_interval = 2.5\n").unwrap();
    assert_eq!(s.stats_sampling_interval, Duration::from_millis(2500));
}

#[test]
fn netrc_entry_with_a_port_makes_the_mode_online() {
    let tmp = tempfile::tempdir().unwrap();
    let netrc = tmp.path().join("netrc");
    std::fs::write(
        &netrc,
        "machine h:8080\n  login user\n  password secret123\n",
    )
    .unwrap();
    let vars = |url: &str| {
        env(&[
            ("HOME", tmp.path().to_str().unwrap()),
            ("NETRC", netrc.to_str().unwrap()),
            ("WANDB_BASE_URL", url),
        ])
    };
    let s = Settings::resolve(&vars("http://h:8080/"), tmp.path()).unwrap();
    assert_eq!(s.api_key.as_deref(), Some("secret123"));
    assert_eq!(s.mode, Mode::Online);
    let s = Settings::resolve(&vars("http://h"), tmp.path()).unwrap();
    assert_eq!(s.api_key, None);
    assert_eq!(s.mode, Mode::Offline);
}

#[test]
fn wandb_resume_values_as_the_official_client() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().to_str().unwrap().to_owned();
    let resume = |v: &str| {
        Settings::resolve(&env(&[("HOME", &home), ("WANDB_RESUME", v)]), tmp.path())
            .map(|s| s.resume)
    };
    assert_eq!(resume("allow").unwrap(), Some(Resume::Allow));
    assert_eq!(resume("MUST").unwrap(), Some(Resume::Must));
    assert_eq!(resume("never").unwrap(), Some(Resume::Never));
    assert_eq!(resume("auto").unwrap(), Some(Resume::Auto));
    assert_eq!(resume("true").unwrap(), Some(Resume::Auto));
    assert_eq!(resume("false").unwrap(), None);
    assert_eq!(resume("").unwrap(), None);
    let err = resume("sometimes").unwrap_err().to_string();
    assert!(err.contains("resume") && err.contains("sometimes"), "{err}");
}
