//! `logs/debug.log` (user threads) and `logs/debug-internal.log` (writer
//! thread) of the run directory hold wandb-rs's `tracing` events, never the
//! API key, and the user's own subscriber still receives them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wandb_core::{InitOptions, LogOptions, Mode, StepPolicy};
use wandb_test_support::ScratchDir;

const KEY: &str = "local-0123456789abcdef0123456789abcdef01234567";

/// Counts the wandb-rs warnings it receives.
struct Counter(Arc<AtomicUsize>);

impl Subscriber for Counter {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &Event<'_>) {
        if e.metadata().target().starts_with("wandb")
            && *e.metadata().level() == tracing::Level::WARN
        {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn run_logs_hold_library_events_without_the_key_and_reach_the_users_subscriber() {
    let scratch = ScratchDir::new("debug-logs");
    let home = scratch.path().join("home");
    let seen = Arc::new(AtomicUsize::new(0));
    let dir = tracing::subscriber::with_default(Counter(seen.clone()), || {
        let run = wandb_core::init(
            InitOptions::new()
                .mode(Mode::Offline)
                .dir(scratch.path())
                .quiet(true)
                .step_decrease(StepPolicy::Warn)
                .environment([("HOME", home.to_str().unwrap()), ("WANDB_API_KEY", KEY)]),
        )
        .unwrap();
        assert_eq!(run.settings().api_key.as_deref(), Some(KEY));
        run.log_with(serde_json::json!({"a": 1}), LogOptions::new().step(5))
            .unwrap();
        run.log_with(serde_json::json!({"a": 2}), LogOptions::new().step(2))
            .unwrap();
        let dir = run.dir().to_path_buf();
        run.finish().unwrap();
        dir
    });
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the user's subscriber got the warning"
    );

    let user = std::fs::read_to_string(dir.join("logs/debug.log")).unwrap();
    let internal = std::fs::read_to_string(dir.join("logs/debug-internal.log")).unwrap();
    for want in [
        "run initialized",
        "settings=",
        "row with a decreasing step dropped given=2 current=5",
        "Run summary:", // the footer, silenced to the log
        "run finished",
    ] {
        assert!(user.contains(want), "debug.log lacks {want:?}:\n{user}");
    }
    assert!(user.lines().all(|l| l.contains(" wandb_core")), "{user}");
    assert!(
        internal.contains("[wandb-writer] wandb_core::worker: writer thread started"),
        "{internal}"
    );
    assert!(
        !internal.contains("run initialized"),
        "user events stay out of the internal log"
    );
    for text in [&user, &internal] {
        assert!(!text.contains(KEY), "the API key leaked:\n{text}");
        assert!(
            !text.contains("0123456789abcdef0123"),
            "part of the API key leaked"
        );
    }
}
