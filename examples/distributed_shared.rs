//! Four processes writing one run (the official shared mode), as a
//! `torchrun --nproc-per-node 4` job would: each process finds its rank in
//! `RANK`/`WORLD_SIZE`, and `Policy::Shared` makes rank 0 the primary
//! writer (metadata, finish state) and labels every process `rank_<n>`
//! (system metrics `cpu/l:rank_1`, console `[rank_1] ...`).
//!
//! ```sh
//! # no account: an in-process fake W&B server, then what it stored
//! cargo run --example distributed_shared -- --demo
//! # your server: the launcher sets RANK/WORLD_SIZE and a job id that every
//! # process turns into the same run id (or set WANDB_RUN_ID for all)
//! WANDB_API_KEY=... torchrun --nproc-per-node 4 --rdzv-id job1 target/debug/examples/distributed_shared
//! ```
//! Started without `RANK`, the example launches itself 4 times with
//! `RANK=0..3` (the launcher's part) and waits for them.

use std::process::{Command, Stdio};

use wandb::distributed::{self, Policy};
use wandb::{row, InitOptions};
use wandb_testkit::FakeWandb;

const WORLD: u32 = 4;

/// One rank's training loop.
fn rank_main() -> Result<(), Box<dyn std::error::Error>> {
    let dist = distributed::from_env()?;
    let options = InitOptions::new()
        .project("distributed-example")
        .config(&serde_json::json!({ format!("rank_{}_seed", dist.rank()): dist.rank() }));
    // the run id comes from the launcher's job id (TORCHELASTIC_RUN_ID,
    // SLURM_JOB_ID) or WANDB_RUN_ID: the same in every process
    let run = wandb::init(dist.options(&Policy::Shared { run_id: None }, options)?)?;
    println!(
        "rank {} of {} writes run {}",
        dist.rank(),
        dist.world_size(),
        run.id()
    );
    for step in 0..5u32 {
        let loss = 1.0 / f64::from(step + 1) + f64::from(dist.rank()) * 0.01;
        run.log(row! {format!("loss/rank_{}", dist.rank()) => loss, "step" => step})?;
        std::thread::sleep(std::time::Duration::from_millis(60)); // the training step
    }
    run.finish()?;
    Ok(())
}

/// The launcher's part: 4 copies of this program with `RANK=0..3`.
fn launch(env: &[(&str, String)]) -> Result<(), Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let job = format!("job-{}", wandb::generate_run_id());
    let children = (0..WORLD)
        .map(|rank| {
            Command::new(&exe)
                .env("RANK", rank.to_string())
                .env("LOCAL_RANK", rank.to_string())
                .env("WORLD_SIZE", WORLD.to_string())
                .env("TORCHELASTIC_RUN_ID", &job)
                .envs(env.iter().map(|(k, v)| (*k, v)))
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    for child in children {
        let out = child.wait_with_output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            return Err(format!("a rank failed: {}", out.status).into());
        }
    }
    Ok(())
}

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let server = FakeWandb::start()?;
    println!("demo: fake W&B server at {}", server.url());
    let scratch = std::env::temp_dir().join(format!("distributed-demo-{}", std::process::id()));
    let env = [
        ("WANDB_API_KEY", server.api_key().to_string()),
        ("WANDB_BASE_URL", server.url().to_string()),
        ("WANDB_DIR", scratch.display().to_string()),
        ("WANDB_MODE", "online".to_string()),
        ("WANDB_SILENT", "true".to_string()),
        ("WANDB_X_STATS_SAMPLING_INTERVAL", "0.1".to_string()),
    ];
    let launched = launch(&env);
    let _ = std::fs::remove_dir_all(&scratch);
    launched?;
    let runs = server.runs();
    let [run] = runs.as_slice() else {
        return Err(format!("the server has {} runs, not 1", runs.len()).into());
    };
    let rows: usize = run.writer_history().values().map(Vec::len).sum();
    let labelled = (0..WORLD)
        .filter(|r| {
            let key = format!("system.cpu/l:rank_{r}");
            run.writer_streams.values().any(|s| {
                s.get("wandb-events.jsonl")
                    .is_some_and(|e| e.json_lines().iter().any(|l| l.get(&key).is_some()))
            })
        })
        .count();
    println!(
        "server stored 1 run ({}) from {} writers: {rows} history rows, labelled system \
         metrics from {labelled} ranks, {} console lines, state {}, completed {} time(s)",
        run.name,
        run.writer_streams.len(),
        run.all_output().len(),
        run.state(),
        run.completions.len(),
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("RANK").is_some() {
        rank_main()
    } else if std::env::args().any(|a| a == "--demo") {
        demo()
    } else {
        launch(&[])
    }
}
