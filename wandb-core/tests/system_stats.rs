//! System metrics and the environment record of real offline runs, checked
//! with the official reader (`wandb leet inspect` of wandb 0.31.0).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::Value as Json;
use wandb_core::system::{MetricSource, Sample, SystemMonitor};
use wandb_core::{init, Console, InitOptions, Mode};
use wandb_test_support::{fixtures_dir, leet_inspect};

fn opts(dir: &Path) -> InitOptions {
    InitOptions::new()
        .dir(dir)
        .mode(Mode::Offline)
        .console(Console::Off)
        .environment([("HOME", dir.join("home").display().to_string())])
}

/// The official stats records of the reference run (`V/stats/stats_records.jsonl`).
fn official_stats() -> Vec<Json> {
    std::fs::read_to_string(fixtures_dir().join("system/stats_records.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Keys independent of the machine: block device names (`disk.vda.in`) and
/// Linux-only counters differ between hosts.
fn portable_keys<'a>(keys: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    keys.filter(|k| !(k.starts_with("disk.") && (k.ends_with(".in") || k.ends_with(".out"))))
        .filter(|k| *k != "network.tcpRetransmits")
        .map(str::to_string)
        .collect()
}

#[test]
fn real_machine_stats_reach_the_official_reader_with_the_official_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).with(|s| {
        s.stats_sampling_interval = Duration::from_millis(150);
    }))
    .unwrap();
    let dir = run.dir().to_path_buf();
    // Burn a little CPU so `cpu` is non-zero on the second sample.
    let t = std::time::Instant::now();
    let mut x = 0u64;
    while t.elapsed() < Duration::from_millis(400) {
        x = x.wrapping_mul(31).wrapping_add(7);
    }
    std::hint::black_box(x);
    run.finish().unwrap();

    let records = leet_inspect(&dir);
    let stats: Vec<&Json> = records.iter().filter(|r| r["type"] == "stats").collect();
    assert!(
        stats.len() >= 2,
        "expected at least 2 samples, got {}",
        stats.len()
    );
    let exit_pos = records.iter().position(|r| r["type"] == "exit").unwrap();
    let last_stats = records.iter().rposition(|r| r["type"] == "stats").unwrap();
    assert!(last_stats < exit_pos, "no sample after the exit record");

    // Same key set as the official client (first sample: no `cpu` yet).
    let official = official_stats();
    let official_keys = |i: usize| {
        portable_keys(
            official[i]["item"]
                .as_array()
                .unwrap()
                .iter()
                .map(|it| it["key"].as_str().unwrap()),
        )
    };
    let ours = |i: usize| {
        portable_keys(
            stats[i]["stats"]["item"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str),
        )
    };
    assert_eq!(ours(0), official_keys(0), "first sample");
    assert_eq!(ours(1), official_keys(1), "later samples");

    let item = &stats[1]["stats"]["item"];
    let f = |k: &str| {
        item[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k} missing: {item}"))
    };
    assert!(
        f("proc.cpu.threads") >= 2.0,
        "main + monitor thread at least"
    );
    assert!(f("proc.memory.rssMB") > 1.0);
    assert!((0.0..=100.0).contains(&f("memory_percent")));
    assert!((0.0..=100.0).contains(&f("cpu")));
    assert!(f("disk./.usageGB") > 0.0);
    assert!(stats[1]["stats"]["timestamp"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    // The environment record carries software and hardware facts.
    let env = &records.iter().find(|r| r["type"] == "environment").unwrap()["environment"];
    for k in [
        "os",
        "host",
        "program",
        "executable",
        "root",
        "started_at",
        "writer_id",
        "cpu_count_logical",
    ] {
        assert!(!env[k].is_null(), "environment.{k} missing: {env}");
    }
    assert!(
        env["memory"]["total"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(env["disk"]["/"]["total"].is_string());
    // requirements.txt: the crates of this workspace's Cargo.lock.
    let files = records.iter().find(|r| r["type"] == "files").unwrap();
    assert_eq!(files["files"]["files"][0]["path"], "requirements.txt");
    let reqs = std::fs::read_to_string(dir.join("files/requirements.txt")).unwrap();
    assert!(reqs.lines().any(|l| l.starts_with("sysinfo==0.40.")));
}

/// Replays the official samples through a deterministic source; tells
/// `done` when the last one was taken.
struct Replay(Vec<Vec<(String, f64)>>, crossbeam_channel::Sender<()>);

impl MetricSource for Replay {
    fn name(&self) -> &str {
        "replay"
    }
    fn sample(&mut self, out: &mut Sample) {
        if !self.0.is_empty() {
            for (k, v) in self.0.remove(0) {
                out.push(k, v);
            }
            if self.0.is_empty() {
                let _ = self.1.send(());
            }
        }
    }
}

#[test]
fn deterministic_samples_read_back_exactly_like_the_official_ones() {
    let official = official_stats();
    let samples: Vec<Vec<(String, f64)>> = official
        .iter()
        .map(|r| {
            r["item"]
                .as_array()
                .unwrap()
                .iter()
                .map(|it| {
                    let v: f64 = it["value_json"].as_str().unwrap().parse().unwrap();
                    (it["key"].as_str().unwrap().to_string(), v)
                })
                .collect()
        })
        .collect();
    let n = samples.len();
    let tmp = tempfile::tempdir().unwrap();
    let run = init(opts(tmp.path()).system_metrics(false)).unwrap();
    let dir = run.dir().to_path_buf();
    let (done_tx, done) = crossbeam_channel::bounded(1);
    let monitor = SystemMonitor::spawn(
        run.downgrade(),
        vec![Box::new(Replay(samples, done_tx))],
        Duration::from_millis(5),
    )
    .unwrap();
    done.recv_timeout(Duration::from_secs(30)).unwrap();
    monitor.stop(); // joins: the last sample's record is queued
    let wandb_file = run.wandb_file().to_path_buf();
    run.finish().unwrap();
    // Our value_json strings equal the official ones, byte for byte.
    let out = wandb_core::store::read_file(&wandb_file).unwrap();
    let our_stats: Vec<_> = out
        .records
        .into_iter()
        .filter_map(|r| match r.record_type {
            Some(wandb_core::proto::record::RecordType::Stats(s)) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(our_stats.len(), n);
    for (o, theirs) in our_stats.iter().zip(&official) {
        let want: Vec<(String, String)> = theirs["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|it| {
                (
                    it["key"].as_str().unwrap().into(),
                    it["value_json"].as_str().unwrap().into(),
                )
            })
            .collect();
        let got: Vec<(String, String)> = o
            .item
            .iter()
            .map(|i| (i.key.clone(), i.value_json.clone()))
            .collect();
        assert_eq!(got, want);
    }
    // And the official reader parses them to the same numbers.
    let leet = leet_inspect(&dir);
    let first = &leet.iter().find(|r| r["type"] == "stats").unwrap()["stats"]["item"];
    assert_eq!(first["proc.cpu.threads"], 4);
    assert_eq!(first["proc.memory.availableMB"], 23358.99609375);
}
