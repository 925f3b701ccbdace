//! Several processes of this test binary (RANK=0..N, as `torchrun` starts
//! them) against one fake server: a shared run (`Policy::Shared`) and one
//! run per rank (`Policy::RunPerRank`), compared with the official client's
//! captured two-process runs (fixtures/online/captures/dist_*, wandb 0.31.0).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use wandb_core::distributed::{self, Policy};
use wandb_core::{init, row, Console, InitOptions};
use wandb_fake_server::{FakeServer, RequestLog};

/// Set in a child process: the scenario it runs (`shared`, `per_rank`).
const CHILD: &str = "WANDB_RS_DIST_CHILD";

/// The body of a child process: one rank of the job (a no-op in the
/// normal test run, where `CHILD` is unset).
#[test]
fn dist_child_process() {
    let Ok(scenario) = std::env::var(CHILD) else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap();
    let dist = distributed::from_env().unwrap();
    let rank = dist.rank();
    let policy = match scenario.as_str() {
        "shared" => Policy::Shared {
            run_id: Some("shrd0001".into()),
        },
        _ => Policy::RunPerRank {
            group: Some("ddp-grp1".into()),
        },
    };
    let dir = Path::new(&var("WANDB_RS_DIST_DIR")).join(format!("rank{rank}"));
    let base = InitOptions::new()
        .dir(&dir)
        .project("dist-proj")
        .entity("me")
        .console(Console::Redirect)
        .config(&json!({ format!("rank_cfg_{rank}"): rank, "world_size": dist.world_size() }))
        .environment([
            ("HOME", dir.join("home").display().to_string()),
            ("WANDB_API_KEY", var("WANDB_RS_DIST_KEY")),
            ("WANDB_BASE_URL", var("WANDB_RS_DIST_URL")),
            ("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL", "0.05".into()),
            ("WANDB_X_STATS_SAMPLING_INTERVAL", "0.1".into()),
        ]);
    let run = init(dist.options(&policy, base).unwrap()).unwrap();
    println!("hello from rank {rank} run {}", run.id());
    for i in 0..3u32 {
        let loss = 1.0 / f64::from(i + 1);
        run.log(row! {format!("loss_r{rank}") => loss, "shared_metric" => rank * 10 + i})
            .unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    run.summary().set(format!("final_r{rank}"), rank).unwrap();
    run.finish().unwrap();
}

/// Starts `world` ranks of `scenario` and waits for all of them.
fn launch(server: &FakeServer, scenario: &str, world: u32, dir: &Path) {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..world)
        .map(|rank| {
            let mut cmd = Command::new(&exe);
            wandb_test_support::clear_wandb_env(&mut cmd)
                .args([
                    "--exact",
                    "dist_child_process",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, scenario)
                .env("RANK", rank.to_string())
                .env("WORLD_SIZE", world.to_string())
                .env("LOCAL_RANK", rank.to_string())
                .env("WANDB_RS_DIST_DIR", dir)
                .env("WANDB_RS_DIST_URL", server.url())
                .env("WANDB_RS_DIST_KEY", server.api_key())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for (rank, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "rank {rank} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The official capture's requests.
fn capture(name: &str) -> Vec<Value> {
    let p = wandb_test_support::fixtures_dir()
        .join("online/captures")
        .join(name)
        .join("requests.jsonl");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The files each writer of the capture asked for (CreateRunFiles), by client id.
fn official_run_files(reqs: &[Value]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in reqs.iter().filter(|r| r["op"] == "CreateRunFiles") {
        let id = r["headers"]["X-Wandb-Client-Id"]
            .as_str()
            .unwrap()
            .to_string();
        let files = r["body"]["variables"]["files"].as_array().unwrap();
        let set = out.entry(id).or_default();
        set.extend(files.iter().map(|f| f.as_str().unwrap().to_string()));
    }
    out
}

/// The client id of the writer whose first UpsertBucket carried `rank_cfg_<rank>`.
fn writer_of(reqs: &[RequestLog], rank: u32) -> String {
    reqs.iter()
        .filter(|r| r.op.as_deref() == Some("UpsertBucket"))
        .find(|r| {
            r.body["variables"]["config"]
                .as_str()
                .is_some_and(|c| c.contains(&format!("\"rank_cfg_{rank}\"")))
        })
        .and_then(|r| r.client_id.clone())
        .unwrap_or_else(|| panic!("no UpsertBucket with a client id from rank {rank}"))
}

#[test]
fn a_shared_run_gets_every_rank_and_the_finish_from_rank_zero() {
    const WORLD: u32 = 3;
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    launch(&server, "shared", WORLD, tmp.path());

    // one run on the server, written by three clients
    let runs = server.runs();
    assert_eq!(
        runs.len(),
        1,
        "{:?}",
        runs.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    let r = &runs[0];
    assert_eq!((r.entity.as_str(), r.name.as_str()), ("me", "shrd0001"));
    let reqs = server.requests();
    let ids: Vec<String> = (0..WORLD).map(|rank| writer_of(&reqs, rank)).collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), WORLD as usize);
    assert_eq!(r.writer_streams.len(), WORLD as usize);

    // every file_stream request names its writer; nobody asks RunResumeStatus
    // (the official client does not in shared mode)
    for q in reqs.iter().filter(|q| q.path.ends_with("/file_stream")) {
        assert!(q.client_id.is_some(), "file_stream without a client id");
    }
    assert!(!server.ops().iter().any(|o| o == "RunResumeStatus"));

    // the finish state comes from rank 0 only
    assert_eq!(r.completions, vec![Some(ids[0].clone())]);
    assert_eq!((r.state(), r.exitcode), ("finished", Some(0)));

    let history = r.writer_history();
    let console = r.all_output();
    for rank in 0..WORLD {
        let id = &ids[rank as usize];
        // history: each writer's own rows, its own `_step` from 0
        let rows = &history[id];
        assert_eq!(rows.len(), 3, "rank {rank}: {rows:?}");
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row["_step"], json!(i));
            assert_eq!(row["shared_metric"], json!(rank * 10 + i as u32));
            let loss = row[format!("loss_r{rank}")].as_f64();
            assert_eq!(loss, Some(1.0 / (i as f64 + 1.0)));
        }
        // system metrics: every key labelled, as `system.cpu/l:rank1` in the capture
        let events = r.writer_streams[id]["wandb-events.jsonl"].json_lines();
        assert!(!events.is_empty(), "rank {rank}: no system metrics");
        let suffix = format!("/l:rank_{rank}");
        for e in &events {
            for k in e.as_object().unwrap().keys() {
                if !matches!(k.as_str(), "_wandb" | "_timestamp" | "_runtime") {
                    assert!(k.starts_with("system.") && k.ends_with(&suffix), "{k}");
                }
            }
        }
        assert!(events
            .iter()
            .any(|e| e.get(format!("system.cpu{suffix}")).is_some()));
        // console: `<ts> [rank_<n>] text`
        let want = format!("[rank_{rank}] hello from rank {rank} run shrd0001");
        assert!(
            console
                .iter()
                .any(|l| l.split_once(' ').map(|x| x.1) == Some(&want)),
            "{want:?} not in {console:?}"
        );
        // the uploaded console log has the label in its name, not in its lines
        let log = String::from_utf8(r.files[&format!("output_rank_{rank}.log")].clone()).unwrap();
        assert!(
            log.contains(&format!("hello from rank {rank} run shrd0001")),
            "{log}"
        );
        assert!(!log.contains("[rank_"), "{log}");
    }
    // the config has every writer's keys (the server merges the upserts)
    let config_keys: BTreeSet<String> = reqs
        .iter()
        .filter(|q| q.op.as_deref() == Some("UpsertBucket"))
        .filter_map(|q| q.body["variables"]["config"].as_str())
        .flat_map(|c| {
            serde_json::from_str::<BTreeMap<String, Value>>(c)
                .unwrap()
                .into_keys()
        })
        .collect();
    for rank in 0..WORLD {
        assert!(config_keys.contains(&format!("rank_cfg_{rank}")));
    }

    // run files as the official client: the primary uploads the metadata,
    // the others only their console log
    let official = official_run_files(&capture("dist_shared"));
    assert_eq!(official.len(), 2);
    let off_primary = official
        .values()
        .find(|f| f.contains("wandb-metadata.json"))
        .unwrap();
    let off_other = official
        .values()
        .find(|f| !f.contains("wandb-metadata.json"))
        .unwrap();
    assert_eq!(off_other, &BTreeSet::from(["output_rank1.log".to_string()]));
    let mut ours: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for q in reqs
        .iter()
        .filter(|q| q.op.as_deref() == Some("CreateRunFiles"))
    {
        let files = q.body["variables"]["files"].as_array().unwrap();
        ours.entry(q.client_id.as_deref().unwrap())
            .or_default()
            .extend(files.iter().map(|f| f.as_str().unwrap().to_string()));
    }
    // the official primary's list with our label; requirements.txt only
    // where a Cargo.lock was found
    let mut primary = ours[ids[0].as_str()].clone();
    primary.insert("requirements.txt".into());
    let want: BTreeSet<String> = off_primary
        .iter()
        .map(|f| f.replace("output_rank0.log", "output_rank_0.log"))
        .collect();
    assert_eq!(primary, want);
    for rank in 1..WORLD {
        assert_eq!(
            ours[ids[rank as usize].as_str()],
            BTreeSet::from([format!("output_rank_{rank}.log")])
        );
    }
    // the GraphQL operations of each writer are among the official writer's
    let official_ops: BTreeSet<String> = capture("dist_shared")
        .iter()
        .filter_map(|q| q["op"].as_str().map(str::to_owned))
        .collect();
    for id in &ids {
        let ops: BTreeSet<String> = reqs
            .iter()
            .filter(|q| q.client_id.as_deref() == Some(id.as_str()))
            .filter_map(|q| q.op.clone())
            .collect();
        assert!(
            ops.contains("UpsertBucket") && ops.contains("CreateRunFiles"),
            "{ops:?}"
        );
        assert!(
            ops.is_subset(&official_ops),
            "{ops:?} not in {official_ops:?}"
        );
    }
}

#[test]
fn one_run_per_rank_in_one_group() {
    const WORLD: u32 = 2;
    let server = FakeServer::start();
    let tmp = tempfile::tempdir().unwrap();
    launch(&server, "per_rank", WORLD, tmp.path());

    let runs = server.runs();
    assert_eq!(runs.len(), WORLD as usize);
    let mut job_types: Vec<String> = Vec::new();
    for r in &runs {
        assert_eq!(r.group.as_deref(), Some("ddp-grp1"));
        assert_eq!((r.state(), r.exitcode), ("finished", Some(0)));
        let cfg = r.plain_config();
        let rank = cfg["rank"].as_u64().unwrap();
        assert_eq!(cfg["world_size"], json!(WORLD));
        assert_eq!(cfg["local_rank"], json!(rank));
        assert_eq!(r.job_type, Some(format!("rank_{rank}")));
        job_types.push(r.job_type.clone().unwrap());
        // an ordinary run: unlabelled metrics and console
        assert_eq!(r.history().len(), 3);
        assert!(r.files.contains_key("output.log"));
        assert!(r
            .events()
            .iter()
            .flat_map(|e| e.as_object().unwrap().keys().cloned().collect::<Vec<_>>())
            .all(|k| !k.contains("/l:")));
    }
    job_types.sort();
    assert_eq!(job_types, ["rank_0", "rank_1"]);
    // as the official client (dist_group capture): the group and job type
    // go out with each run's first UpsertBucket, and no client ids are sent
    let first_upserts = |reqs: Vec<(String, Value)>| -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for (name, vars) in reqs {
            out.entry(name).or_insert(vars);
        }
        out
    };
    let official = first_upserts(
        capture("dist_group")
            .into_iter()
            .filter(|q| q["op"] == "UpsertBucket")
            .map(|q| {
                let v = q["body"]["variables"].clone();
                (v["name"].as_str().unwrap().to_string(), v)
            })
            .collect(),
    );
    let reqs = server.requests();
    let ours = first_upserts(
        reqs.iter()
            .filter(|q| q.op.as_deref() == Some("UpsertBucket"))
            .map(|q| {
                let v = q.body["variables"].clone();
                (v["name"].as_str().unwrap().to_string(), v)
            })
            .collect(),
    );
    assert_eq!(official.len(), 2);
    assert_eq!(ours.len(), 2);
    for (o, u) in official.values().zip(ours.values()) {
        assert_eq!(o["groupName"], "ddp-grp1");
        assert_eq!(u["groupName"], o["groupName"]);
        assert!(o["jobType"].as_str().unwrap().starts_with("rank"));
        assert!(u["jobType"].as_str().unwrap().starts_with("rank_"));
    }
    assert!(reqs.iter().all(|q| q.client_id.is_none()));
}
