//! Every time setting, from every source (builder, environment map, global
//! settings file), with extreme and malformed values: `init` either fails
//! with `Error::InvalidSetting` naming a setting that was bad, or the run
//! works (offline, in a temp dir) and finishes with its exit record on disk.
//! Never a panic.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Duration;

use proptest::prelude::*;
use wandb_core::proto::record::RecordType;
use wandb_core::settings::{MIN_FLUSH_INTERVAL, MIN_STATS_SAMPLING_INTERVAL};
use wandb_core::{init, row, Console, Error, InitOptions, Mode};

const SAMPLING: &str = "x_stats_sampling_interval";
const TRANSMIT: &str = "x_file_stream_transmit_interval";

/// Seconds as text: extremes, malformed and ordinary values.
fn secs_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "1e400", "", "   ", "abc", "-1", "NaN", "nan", "inf", "-inf", "0", "-0",
            "18446744073709551615", "1e20", "1e-300", "0.05", "0.1", "2", " 3 ", "1s",
            "0x10", "1e19",
        ])
        .prop_map(str::to_string),
        1 => any::<f64>().prop_map(|f| f.to_string()),
        1 => (0u32..600).prop_map(|n| format!("{}", f64::from(n) / 10.0)),
    ]
}

/// Durations for the builder: zero, tiny, ordinary, huge, `MAX`.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        3 => prop::sample::select(vec![
            Duration::ZERO,
            Duration::MAX,
            Duration::from_nanos(1),
            Duration::from_millis(1),
            Duration::from_millis(99),
            Duration::from_millis(100),
            Duration::from_secs(u64::MAX),
            Duration::from_secs(5),
        ]),
        1 => (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        1 => (1u64..5_000).prop_map(Duration::from_millis),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    env_x_sampling: Option<String>,
    env_old_sampling: Option<String>,
    env_transmit: Option<String>,
    file_sampling: Option<String>,
    file_transmit: Option<String>,
    sampling: Option<Duration>,
    transmit: Option<Duration>,
    flush: Option<Duration>,
    finish: Option<Duration>,
}

fn case() -> impl Strategy<Value = Case> {
    let text = || prop::option::weighted(0.4, secs_text());
    let dur = || prop::option::weighted(0.4, duration());
    (
        (text(), text(), text(), text(), text()),
        (dur(), dur(), dur(), dur()),
    )
        .prop_map(|((a, b, c, d, e), (f, g, h, i))| Case {
            env_x_sampling: a,
            env_old_sampling: b,
            env_transmit: c,
            file_sampling: d,
            file_transmit: e,
            sampling: f,
            transmit: g,
            flush: h,
            finish: i,
        })
}

/// The documented reading of a number of seconds: `None` when invalid.
fn secs(text: &str) -> Option<Duration> {
    let v = text.trim().parse::<f64>().ok()?;
    (!v.is_nan() && v >= 0.0).then(|| Duration::try_from_secs_f64(v).unwrap_or(Duration::MAX))
}

/// What `init` must do: the settings that are bad (empty: none), and the
/// resolved sampling interval, transmit interval, flush interval, timeout.
struct Expected {
    bad: BTreeSet<&'static str>,
    sampling: Duration,
    transmit: Option<Duration>,
    flush: Duration,
    finish: Duration,
}

fn expected(c: &Case) -> Expected {
    let mut bad = BTreeSet::new();
    let mut parse = |name: &'static str, t: &Option<String>| -> Option<Duration> {
        let t = t.as_ref()?;
        let d = secs(t);
        if d.is_none() {
            bad.insert(name);
        }
        d
    };
    // the file first, then the environment (empty variables are ignored;
    // WANDB__STATS_SAMPLING_INTERVAL wins over WANDB_X_STATS_SAMPLING_INTERVAL)
    let file_sampling = parse(SAMPLING, &c.file_sampling);
    let file_transmit = parse(TRANSMIT, &c.file_transmit);
    let nonempty = |t: &Option<String>| t.clone().filter(|v| !v.is_empty());
    let env_sampling_text = nonempty(&c.env_old_sampling).or(nonempty(&c.env_x_sampling));
    let env_sampling = parse(SAMPLING, &env_sampling_text);
    let env_transmit = parse(TRANSMIT, &nonempty(&c.env_transmit));
    let sampling = c
        .sampling
        .or(env_sampling)
        .or(file_sampling)
        .unwrap_or(Duration::from_secs(15));
    let transmit = c.transmit.or(env_transmit).or(file_transmit);
    let flush = c.flush.unwrap_or(Duration::from_secs(1));
    let finish = c.finish.unwrap_or(Duration::from_secs(60));
    if bad.is_empty() {
        if sampling < MIN_STATS_SAMPLING_INTERVAL {
            bad.insert(SAMPLING);
        }
        if flush < MIN_FLUSH_INTERVAL {
            bad.insert("flush_interval");
        }
        if finish.is_zero() {
            bad.insert("finish_timeout");
        }
    }
    Expected {
        bad,
        sampling,
        transmit,
        flush,
        finish,
    }
}

fn options(c: &Case, root: &Path) -> InitOptions {
    let home = root.join("home");
    let cfg = root.join("cfg");
    std::fs::create_dir_all(&cfg).unwrap();
    let mut ini = String::from("[default]\n");
    for (key, v) in [(SAMPLING, &c.file_sampling), (TRANSMIT, &c.file_transmit)] {
        if let Some(v) = v {
            ini.push_str(&format!("{key} = {v}\n"));
        }
    }
    std::fs::write(cfg.join("settings"), ini).unwrap();
    let mut env = vec![
        ("HOME".to_string(), home.display().to_string()),
        ("WANDB_CONFIG_DIR".to_string(), cfg.display().to_string()),
    ];
    for (var, v) in [
        ("WANDB_X_STATS_SAMPLING_INTERVAL", &c.env_x_sampling),
        ("WANDB__STATS_SAMPLING_INTERVAL", &c.env_old_sampling),
        ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", &c.env_transmit),
    ] {
        if let Some(v) = v {
            env.push((var.to_string(), v.clone()));
        }
    }
    let mut o = InitOptions::new()
        .dir(root)
        .mode(Mode::Offline)
        .console(Console::Off)
        .environment(env);
    if let Some(d) = c.sampling {
        o = o.with(move |s| s.stats_sampling_interval = d);
    }
    if let Some(d) = c.transmit {
        o = o.with(move |s| s.file_stream_transmit_interval = Some(d));
    }
    if let Some(d) = c.flush {
        o = o.flush_interval(d);
    }
    if let Some(d) = c.finish {
        o = o.finish_timeout(d);
    }
    o
}

/// Panics on any thread (the writer, the system monitor) are counted: a
/// background thread dying is a failure too.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            prev(info);
        }));
    });
}

fn check(c: &Case) {
    count_panics();
    let before = PANICS.load(Ordering::SeqCst);
    check_run(c);
    // give background threads of the finished run a moment to misbehave
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        before,
        "a thread panicked: {c:?}"
    );
}

fn check_run(c: &Case) {
    let tmp = tempfile::tempdir().unwrap();
    let want = expected(c);
    let run = match init(options(c, tmp.path())) {
        Err(Error::InvalidSetting { name, reason }) => {
            assert!(
                want.bad.contains(name.as_str()),
                "{name} rejected ({reason}) but only {:?} are bad",
                want.bad
            );
            assert!(reason.len() > 10, "unhelpful reason {reason:?}");
            return;
        }
        Err(e) => panic!("init failed with {e}; expected InvalidSetting or a run"),
        Ok(run) => run,
    };
    assert!(want.bad.is_empty(), "init accepted bad {:?}", want.bad);
    if std::env::var_os("TIME_SETTINGS_VERBOSE").is_some() {
        eprintln!("run with {c:?}");
    }
    let s = run.settings();
    assert_eq!(s.stats_sampling_interval, want.sampling);
    assert_eq!(s.file_stream_transmit_interval, want.transmit);
    assert_eq!(s.flush_interval, want.flush);
    assert_eq!(s.finish_timeout, want.finish);
    run.log(row! {"x" => 1.0}).unwrap();
    let file = run.wandb_file().to_path_buf();
    match run.finish_report(0) {
        Ok(report) => {
            assert!(report.is_complete());
            // the deadline bounds the wait for the writer; a writer that
            // replied in time (even to a 1 ns timeout, on the other core)
            // is followed by the join and the footer
            assert!(
                report.elapsed <= want.finish.saturating_add(Duration::from_secs(2)),
                "{report:?}"
            );
            let records = wandb_core::store::read_file(&file).unwrap().records;
            let exits = records
                .iter()
                .filter(|r| matches!(r.record_type, Some(RecordType::Exit(_))))
                .count();
            assert_eq!(exits, 1, "one exit record");
            let rows = records
                .iter()
                .filter(|r| matches!(r.record_type, Some(RecordType::History(_))))
                .count();
            assert_eq!(rows, 1, "the logged row");
        }
        // only a finish timeout too short for the writer may fail
        Err(Error::FinishTimeout(t)) => {
            assert_eq!(t, want.finish);
            assert!(t < Duration::from_secs(1), "finish timed out after {t:?}");
        }
        Err(e) => panic!("finish failed: {e}"),
    }
    assert!(matches!(run.finish(), Err(Error::Finished)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn time_settings_give_a_typed_error_or_a_working_run(c in case()) {
        check(&c);
    }
}

#[test]
fn named_extremes() {
    let none = Case {
        env_x_sampling: None,
        env_old_sampling: None,
        env_transmit: None,
        file_sampling: None,
        file_transmit: None,
        sampling: None,
        transmit: None,
        flush: None,
        finish: None,
    };
    let cases = [
        Case {
            finish: Some(Duration::MAX),
            ..none.clone()
        },
        Case {
            finish: Some(Duration::ZERO),
            ..none.clone()
        },
        Case {
            flush: Some(Duration::MAX),
            ..none.clone()
        },
        Case {
            flush: Some(Duration::ZERO),
            ..none.clone()
        },
        Case {
            sampling: Some(Duration::MAX),
            ..none.clone()
        },
        Case {
            sampling: Some(Duration::ZERO),
            ..none.clone()
        },
        Case {
            env_x_sampling: Some("1e400".into()),
            ..none.clone()
        },
        Case {
            env_old_sampling: Some("0".into()),
            ..none.clone()
        },
        Case {
            env_transmit: Some("1e20".into()),
            ..none.clone()
        },
        Case {
            env_transmit: Some("-1".into()),
            ..none.clone()
        },
        Case {
            file_sampling: Some("NaN".into()),
            ..none.clone()
        },
        Case {
            file_transmit: Some("".into()),
            ..none.clone()
        },
        Case {
            file_transmit: Some("0".into()),
            ..none.clone()
        },
    ];
    for c in &cases {
        check(c);
    }
    // the reasons name the setting and say what to do
    let tmp = tempfile::tempdir().unwrap();
    let c = Case {
        env_old_sampling: Some("0.01".into()),
        ..none
    };
    let err = init(options(&c, tmp.path())).unwrap_err().to_string();
    assert!(err.contains(SAMPLING) && err.contains("100ms"), "{err}");
}
