//! `wandb-rs sweep CONFIG -- COMMAND...`: a local sweep (no server) with
//! the wandb-sweeps controller; each trial is an ordinary offline run
//! grouped by the sweep id.

use std::path::{Path, PathBuf};

use wandb_sweeps::{run_sweep, AgentOptions, RunState, SweepConfig, TrialResult};

/// What `wandb-rs sweep` was given.
pub struct SweepArgs {
    pub config: PathBuf,
    pub command: Vec<String>,
    pub jobs: usize,
    pub count: Option<usize>,
    pub seed: u32,
    pub dir: Option<PathBuf>,
    pub sweep_id: Option<String>,
}

/// A command without any `${...}` macro gets `${args}` appended, as the
/// official default command ends with it.
pub fn command_template(command: &[String]) -> Vec<String> {
    let mut out = command.to_vec();
    if !out.is_empty() && !out.iter().any(|c| c.starts_with("${") && c.ends_with('}')) {
        out.push("${args}".into());
    }
    out
}

fn describe(t: &TrialResult) -> String {
    let params = serde_json::Value::Object(t.params.clone());
    let state = match t.state {
        RunState::Finished => "finished".to_string(),
        RunState::Killed => "stopped early".to_string(),
        _ => format!(
            "failed (exit {})",
            t.exit_code.map_or("signal".into(), |c| c.to_string())
        ),
    };
    let metric = t.metric.map_or(String::new(), |m| format!(" metric={m}"));
    format!("run {} {state}{metric} {params}", t.run_id)
}

pub fn sweep(args: SweepArgs) -> Result<(), String> {
    let config = SweepConfig::from_path(&args.config)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    for w in &config.warnings {
        eprintln!("wandb-rs: warning: {w}");
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let sweep_id = args
        .sweep_id
        .clone()
        .unwrap_or_else(wandb_sweeps::agent::new_sweep_id);
    println!(
        "wandb-rs: sweep {sweep_id} ({:?}), runs in {}",
        config.method,
        Path::new(&dir).join("wandb").display()
    );
    let metric = config.metric.clone();
    let opts = AgentOptions {
        command: command_template(&args.command),
        jobs: args.jobs.max(1),
        count: args.count,
        dir,
        sweep_id: Some(sweep_id.clone()),
        seed: args.seed,
        ..AgentOptions::default()
    };
    let trials = run_sweep(config, &opts, |t| println!("wandb-rs: {}", describe(t)))
        .map_err(|e| e.to_string())?;
    let failed = trials
        .iter()
        .filter(|t| matches!(t.state, RunState::Failed | RunState::Crashed))
        .count();
    let best = metric.as_ref().and_then(|m| {
        let max = m.goal == wandb_sweeps::Goal::Maximize;
        trials.iter().filter(|t| t.metric.is_some()).min_by(|a, b| {
            let (x, y) = (a.metric.unwrap_or(0.0), b.metric.unwrap_or(0.0));
            if max {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            }
        })
    });
    println!(
        "wandb-rs: sweep {sweep_id} done: {} run(s), {failed} failed",
        trials.len()
    );
    if let (Some(m), Some(b)) = (&metric, best) {
        println!(
            "wandb-rs: best {} = {} in run {}",
            m.name,
            b.metric.unwrap_or(f64::NAN),
            b.run_id
        );
    }
    if !trials.is_empty() && failed == trials.len() {
        return Err("every run of the sweep failed".into());
    }
    Ok(())
}
