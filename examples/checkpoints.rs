//! Checkpoints as W&B artifacts: trains a tiny linear model, logs each
//! epoch's weights as a version of the `model-<run id>` artifact (aliases
//! `latest`, `epoch_<n>`, `best`), restores the best weights, and — when
//! `WANDB_ENTITY` is set — syncs the run, keeps the newest 3 versions on
//! the server (never `best`) and downloads the best one back.
//!
//! ```sh
//! cargo run --example checkpoints                      # offline only
//! WANDB_ENTITY=me WANDB_API_KEY=... cargo run --example checkpoints
//! ```

use std::path::Path;

use wandb::{row, CheckpointManager, Goal, InitOptions, Mode};

/// y = w·x + b, fitted to y = 3x + 1 by gradient descent.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Weights {
    w: f64,
    b: f64,
}

fn val_loss(m: Weights) -> f64 {
    (0..10)
        .map(|i| {
            let x = i as f64 / 10.0;
            (m.w * x + m.b - (3.0 * x + 1.0)).powi(2)
        })
        .sum::<f64>()
        / 10.0
}

fn train_epoch(m: &mut Weights, epoch: u32) {
    let lr = 0.5;
    for i in 0..10 {
        let x = i as f64 / 10.0;
        let err = m.w * x + m.b - (3.0 * x + 1.0);
        m.w -= lr * err * x / 5.0;
        m.b -= lr * err / 5.0;
    }
    if epoch >= 6 {
        m.w += 0.8; // "overfitting": later epochs get worse, so `best` stays behind
    }
}

fn load(path: &Path) -> Result<Weights, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&std::fs::read(path)?)?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let run = wandb::init(
        InitOptions::new()
            .project("checkpoints")
            .mode(Mode::Offline),
    )?;
    let ckpt_dir = run.dir().join("tmp").join("checkpoints");
    std::fs::create_dir_all(&ckpt_dir)?;
    let mut ckpts = CheckpointManager::new(&run).monitor("val_loss", Goal::Minimize);
    let mut model = Weights { w: 0.0, b: 0.0 };
    for epoch in 0..10u32 {
        train_epoch(&mut model, epoch);
        let loss = val_loss(model);
        run.log(row! {"epoch" => epoch, "val_loss" => loss})?;
        let path = ckpt_dir.join(format!("weights-{epoch}.json"));
        std::fs::write(&path, serde_json::to_vec(&model)?)?;
        let logged = ckpts.save(&path, u64::from(epoch), Some(loss))?;
        println!(
            "epoch {epoch}: val_loss {loss:.5} -> {:?}",
            logged.artifact.aliases
        );
    }
    // restore the best weights from their staged copy (what will be uploaded)
    let (best_loss, best_epoch) = ckpts.best().ok_or("no checkpoint")?;
    let staged = &ckpts
        .logged()
        .iter()
        .find(|c| c.epoch == best_epoch)
        .ok_or("best checkpoint missing")?
        .artifact
        .staged[0]
        .1;
    let best = load(staged)?;
    println!("best: epoch {best_epoch}, val_loss {best_loss:.5}, weights {best:?}");
    let dir = run.dir().to_path_buf();
    let name = ckpts.artifact_name().to_string();
    run.finish()?;

    let Ok(entity) = std::env::var("WANDB_ENTITY") else {
        println!("offline run in {}; set WANDB_ENTITY (and WANDB_API_KEY) to sync it, keep the last 3 versions and download the best", dir.display());
        return Ok(());
    };
    use wandb::online::{
        download_artifact, keep_latest, resolve_api_key, resolve_base_url, sync_run_dir, Client,
        RetryPolicy, SyncOptions,
    };
    let base_url = resolve_base_url();
    let sync = SyncOptions {
        entity: Some(entity.clone()),
        base_url: Some(base_url.clone()),
        ..SyncOptions::default()
    };
    sync_run_dir(&dir, &sync, |_| {})?;
    let client = Client::new(
        &base_url,
        &resolve_api_key(None, &base_url)?,
        RetryPolicy::default(),
    );
    let report = keep_latest(&client, &entity, "checkpoints", "model", &name, 3)?;
    let versions = |v: &[wandb::online::ArtifactVersion]| {
        v.iter().map(|x| x.version.clone()).collect::<Vec<_>>()
    };
    println!(
        "kept {:?}, deleted {:?}, protected {:?}",
        versions(&report.kept),
        versions(&report.deleted),
        versions(&report.protected)
    );
    let root = std::env::temp_dir().join(format!("{name}-best"));
    let cache = std::env::var("WANDB_CACHE_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| std::env::temp_dir().join("wandb-cache"));
    let got = download_artifact(
        &client,
        &wandb::ArtifactRef::parse(&format!("{name}:best"))?,
        &entity,
        "checkpoints",
        &root,
        &cache,
    )?;
    let restored = load(&got.files[0].1)?;
    println!(
        "downloaded {} ({}) to {}: {restored:?}",
        got.version,
        got.aliases.join(","),
        root.display()
    );
    Ok(())
}
