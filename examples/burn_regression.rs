//! Trains a small MLP on synthetic regression data with burn's
//! `SupervisedTraining` on the pure-Rust `flex` CPU backend, logging to W&B:
//! every train and valid metric through `WandbMetricLogger`, and gradient and
//! parameter histograms through `watch` (called from `TrainStep::step`).
//!
//! ```sh
//! cargo run --release --example burn_regression --features burn
//! ```
//!
//! The run is offline; its directory is printed at the end (`wandb sync` it
//! to upload). The integration test of `wandb-burn` runs this same code.

use std::path::Path;
use std::sync::Arc;

use wandb_burn::burn;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::InMemDataset;
use burn::lr_scheduler::constant::ConstantLr;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};
use burn::train::logger::InMemoryMetricLogger;
use burn::train::metric::store::{Aggregate, Direction, Split};
use burn::train::metric::LossMetric;
use burn::train::{
    InferenceStep, Learner, MetricEarlyStoppingStrategy, RegressionOutput, StoppingCondition,
    SupervisedTraining, TrainOutput, TrainStep,
};
use wandb_burn::{WandbMetricLogger, WatchLog, WatchOptions, Watcher};

/// What to train and how.
#[derive(Debug, Clone)]
pub struct RegressionConfig {
    /// Epochs.
    pub epochs: usize,
    /// Training examples.
    pub train_size: usize,
    /// Validation examples.
    pub valid_size: usize,
    /// Examples per batch.
    pub batch_size: usize,
    /// Hidden units of the MLP.
    pub hidden: usize,
    /// SGD learning rate.
    pub learning_rate: f64,
    /// Log to W&B (`false` gives the same loop without wandb, for benchmarks).
    pub wandb: bool,
    /// `watch` every this many steps (log = all).
    pub watch_log_freq: u64,
}

impl Default for RegressionConfig {
    fn default() -> Self {
        RegressionConfig {
            epochs: 2,
            train_size: 256,
            valid_size: 64,
            batch_size: 32,
            hidden: 16,
            learning_rate: 0.05,
            wandb: true,
            watch_log_freq: 2,
        }
    }
}

impl RegressionConfig {
    /// The loop the overhead benchmarks time: 2 epochs of 200 batches of 32,
    /// hidden width 64, `watch` every `watch_log_freq` steps.
    pub fn benchmark(wandb: bool, watch_log_freq: u64) -> Self {
        RegressionConfig {
            epochs: 2,
            train_size: 32 * 200,
            valid_size: 32 * 20,
            batch_size: 32,
            hidden: 64,
            wandb,
            watch_log_freq,
            ..RegressionConfig::default()
        }
    }
}

/// `y = 2 x0 - 3 x1 + 0.5 x2 + 1` plus a little noise.
#[derive(Debug, Clone)]
pub struct Sample {
    x: [f32; 3],
    y: f32,
}

fn synthetic(n: usize, seed: u64) -> Vec<Sample> {
    // A small deterministic generator (splitmix64), so runs are reproducible.
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    (0..n)
        .map(|_| {
            let x = [next(), next(), next()];
            let y = 2.0 * x[0] - 3.0 * x[1] + 0.5 * x[2] + 1.0 + 0.01 * next();
            Sample { x, y }
        })
        .collect()
}

/// A batch of inputs `[n, 3]` and targets `[n, 1]`.
#[derive(Debug, Clone)]
pub struct RegressionBatch {
    inputs: Tensor<2>,
    targets: Tensor<2>,
}

#[derive(Debug, Clone)]
struct RegressionBatcher;

impl Batcher<Sample, RegressionBatch> for RegressionBatcher {
    fn batch(&self, items: Vec<Sample>, device: &Device) -> RegressionBatch {
        let n = items.len();
        let xs: Vec<f32> = items.iter().flat_map(|s| s.x).collect();
        let ys: Vec<f32> = items.iter().map(|s| s.y).collect();
        RegressionBatch {
            inputs: Tensor::from_data(TensorData::new(xs, [n, 3]), device),
            targets: Tensor::from_data(TensorData::new(ys, [n, 1]), device),
        }
    }
}

/// Two linear layers with a ReLU; the watcher rides along, outside the parameters.
#[derive(Module, Debug)]
pub struct Mlp {
    fc1: Linear,
    fc2: Linear,
    activation: Relu,
    #[module(skip)]
    watcher: Option<Watcher>,
}

impl Mlp {
    fn new(hidden: usize, watcher: Option<Watcher>, device: &Device) -> Self {
        Mlp {
            fc1: LinearConfig::new(3, hidden).init(device),
            fc2: LinearConfig::new(hidden, 1).init(device),
            activation: Relu::new(),
            watcher,
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.fc2
            .forward(self.activation.forward(self.fc1.forward(x)))
    }

    fn regression(&self, batch: RegressionBatch) -> RegressionOutput {
        let output = self.forward(batch.inputs);
        let loss = (output.clone() - batch.targets.clone())
            .powi_scalar(2)
            .mean();
        RegressionOutput::new(loss, output, batch.targets)
    }
}

impl TrainStep for Mlp {
    type Input = RegressionBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: RegressionBatch) -> TrainOutput<RegressionOutput> {
        let item = self.regression(batch);
        let grads = GradientsParams::from_grads(item.loss.backward(), self);
        if let Some(watcher) = &self.watcher {
            // Histograms of the parameters and their gradients every log_freq steps;
            // a failure to log must not stop training.
            if let Err(e) = watcher.observe(self, &grads) {
                eprintln!("watch: {e}");
            }
        }
        TrainOutput { grads, item }
    }
}

impl InferenceStep for Mlp {
    type Input = RegressionBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: RegressionBatch) -> RegressionOutput {
        self.regression(batch)
    }
}

type Loader = Arc<dyn DataLoader<RegressionBatch>>;

fn loaders(cfg: &RegressionConfig) -> (Loader, Loader) {
    let train = DataLoaderBuilder::new(RegressionBatcher)
        .batch_size(cfg.batch_size)
        .build(InMemDataset::new(synthetic(cfg.train_size, 1)));
    let valid = DataLoaderBuilder::new(RegressionBatcher)
        .batch_size(cfg.batch_size)
        .build(InMemDataset::new(synthetic(cfg.valid_size, 2)));
    (train, valid)
}

/// Trains the MLP; logs to `run` when `cfg.wandb` is set. `dir` receives
/// burn's checkpoints (`dir/checkpoint/model-<epoch>.bpk`). Returns the
/// trained model.
pub fn train(run: Option<&wandb_core::Run>, dir: &Path, cfg: &RegressionConfig) -> Mlp {
    let device = Device::flex().autodiff();
    let run = run.filter(|_| cfg.wandb);
    let watcher = run.map(|run| {
        Watcher::new(
            run,
            WatchOptions::new()
                .log(WatchLog::All)
                .log_freq(cfg.watch_log_freq),
        )
    });
    let model = Mlp::new(cfg.hidden, watcher, &device);
    let optim: ModuleOptimizer = SgdConfig::new().init();
    let learner = Learner::new(model, optim, ConstantLr::new(cfg.learning_rate));
    let (train, valid) = loaders(cfg);
    let training = SupervisedTraining::new(dir, train, valid)
        .num_epochs(cfg.epochs)
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        // burn's own checkpointing and early stopping read the metrics back
        // through the metric logger (WandbMetricLogger keeps that working).
        .with_default_checkpointers()
        .early_stopping(MetricEarlyStoppingStrategy::new(
            &LossMetric::new(),
            Aggregate::Mean,
            Direction::Lowest,
            Split::Valid,
            StoppingCondition::NoImprovementSince { n_epochs: 2 },
        ))
        .with_application_logger(None);
    let training = match run {
        Some(run) => training.with_metric_logger(WandbMetricLogger::new(run)),
        None => training.with_metric_logger(InMemoryMetricLogger::new()),
    };
    training.launch(learner).model
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = RegressionConfig::default();
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("burn-regression")
            .mode(wandb_core::Mode::Offline)
            .config(&serde_json::json!({
                "epochs": cfg.epochs,
                "batch_size": cfg.batch_size,
                "hidden": cfg.hidden,
                "learning_rate": cfg.learning_rate,
            })),
    )?;
    let dir = std::env::temp_dir().join(format!("burn-regression-{}", run.id()));
    let model = train(Some(&run), &dir, &cfg);
    println!("trained {model}");
    run.finish()?;
    println!("run directory: {}", run.dir().display());
    Ok(())
}
