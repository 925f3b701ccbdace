//! Trains an LSTM with tch (libtorch) to forecast a synthetic noisy sine
//! one step ahead, logging to W&B: the batch and epoch losses through
//! `WandbCallback` (driven by `CallbackDriver`, tch has no trainer),
//! gradient and parameter histograms through `wandb_tch::watch`, the best
//! `VarStore` as a safetensors checkpoint through `ModelCheckpoint`, and at
//! the end the predictions against the truth on the validation range as a
//! `wandb.plot.line_series` chart.
//!
//! ```sh
//! export LIBTORCH=$(scripts/libtorch-venv.sh)
//! cargo run --release --manifest-path integrations/tch/Cargo.toml --example tch_timeseries -- 10
//! ```
//!
//! The argument is the size knob (default 1: seconds; 10: a realistic demo).
//! The run is offline; its directory is printed at the end (`wandb sync` it
//! to upload). The end-to-end test of `wandb-tch` runs this same code.

use std::error::Error;
use std::path::PathBuf;

use tch::nn::{self, Module, OptimizerConfig, RNN};
use tch::{Device, Kind, Tensor};
use wandb_callbacks::{
    CallbackDriver, CallbackList, Metrics, Mode, WandbCallback, WatchLog, WatchOptions,
};
use wandb_core::Run;
use wandb_plot::{ChartRunExt, Xs};

/// What to train and how.
#[derive(Debug, Clone)]
pub struct TimeseriesConfig {
    /// Epochs.
    pub epochs: usize,
    /// Training windows (inputs of `window` points, target the next one).
    pub train_windows: usize,
    /// Validation windows, taken right after the training range.
    pub valid_windows: usize,
    /// Points per input window.
    pub window: usize,
    /// Windows per batch.
    pub batch_size: usize,
    /// LSTM hidden units.
    pub hidden: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Seed of the data and of the initial weights.
    pub seed: i64,
    /// Sine period in points.
    pub period: f64,
    /// Standard deviation of the Gaussian noise added to the sine.
    pub noise: f64,
    /// Log to W&B (`false` gives the same loop without wandb, for benchmarks).
    pub wandb: bool,
    /// `watch` every this many steps (log = all).
    pub watch_log_freq: u64,
    /// Where `ModelCheckpoint` saves the best `VarStore` (none: no checkpoints).
    pub checkpoint_dir: Option<PathBuf>,
}

impl Default for TimeseriesConfig {
    fn default() -> Self {
        TimeseriesConfig::sized(1)
    }
}

impl TimeseriesConfig {
    /// The size knob: `size` 1 trains in about a second; the data, the
    /// epochs and the model grow with it.
    pub fn sized(size: usize) -> Self {
        let size = size.max(1);
        TimeseriesConfig {
            epochs: 2 + size,
            train_windows: 64 * size,
            valid_windows: 32 * size,
            window: 16,
            batch_size: 16,
            hidden: 8 * size.min(4),
            learning_rate: 0.02,
            seed: 7,
            period: 25.0,
            noise: 0.1,
            wandb: true,
            watch_log_freq: 2,
            checkpoint_dir: None,
        }
    }

    /// The loop the overhead benchmark times: 2 epochs of 100 batches of
    /// 64 windows of 32 points, hidden width 128 (a step of a few ms on one
    /// CPU thread, as a real training step, not a sub-millisecond toy step
    /// where a fixed per-row logging cost looks large); with wandb
    /// (`WandbCallback` and `watch` every `watch_log_freq` steps) or, for
    /// `None`, without.
    pub fn benchmark(watch_log_freq: Option<u64>) -> Self {
        TimeseriesConfig {
            epochs: 2,
            train_windows: 64 * 100,
            valid_windows: 256,
            window: 32,
            batch_size: 64,
            hidden: 128,
            wandb: watch_log_freq.is_some(),
            watch_log_freq: watch_log_freq.unwrap_or(u64::MAX),
            ..TimeseriesConfig::sized(1)
        }
    }

    /// Training batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.train_windows.div_ceil(self.batch_size.max(1))
    }
}

/// What training produced.
#[derive(Debug, Clone)]
pub struct TimeseriesOutcome {
    /// Validation loss (MSE) after each epoch.
    pub val_losses: Vec<f64>,
    /// One-step-ahead predictions on the validation range.
    pub predictions: Vec<f64>,
    /// The noisy series on the validation range (the targets).
    pub truth: Vec<f64>,
    /// Names and element counts of the model's parameters.
    pub parameters: Vec<(String, usize)>,
}

/// The LSTM and its linear head.
struct Forecaster {
    lstm: nn::LSTM,
    head: nn::Linear,
}

impl Forecaster {
    fn new(vs: &nn::VarStore, hidden: usize) -> Self {
        let root = vs.root();
        let hidden = i64::try_from(hidden).unwrap_or(i64::MAX);
        Forecaster {
            lstm: nn::lstm(&root / "lstm", 1, hidden, Default::default()),
            head: nn::linear(&root / "head", hidden, 1, Default::default()),
        }
    }

    /// `[batch, window]` inputs to `[batch]` next-value predictions.
    fn forward(&self, x: &Tensor) -> Result<Tensor, tch::TchError> {
        let (out, _) = self.lstm.seq(&x.f_unsqueeze(-1)?);
        let last = out.f_select(1, -1)?;
        self.head.forward(&last).f_squeeze_dim(-1)
    }
}

/// The noisy sine `sin(2πt/period) + N(0, noise²)`, `len` points, seeded.
fn series(cfg: &TimeseriesConfig, len: usize) -> Result<Tensor, Box<dyn Error>> {
    let t = Tensor::f_arange(i64::try_from(len)?, (Kind::Float, Device::Cpu))?;
    let clean = (t * (2.0 * std::f64::consts::PI / cfg.period)).f_sin()?;
    let noise = Tensor::f_randn([i64::try_from(len)?], (Kind::Float, Device::Cpu))? * cfg.noise;
    Ok(clean + noise)
}

/// Windows `[n, window]` starting at `from, from+1, ...` and their next values `[n]`.
fn windows(
    s: &Tensor,
    from: usize,
    n: usize,
    window: usize,
) -> Result<(Tensor, Tensor), Box<dyn Error>> {
    let w = i64::try_from(window)?;
    let (from, n) = (i64::try_from(from)?, i64::try_from(n)?);
    let x = s.f_unfold(0, w, 1)?.f_narrow(0, from, n)?;
    let y = s.f_narrow(0, from + w, n)?;
    Ok((x, y))
}

/// Trains the forecaster on the configured series; logs to `run` when
/// given and `cfg.wandb` is on.
pub fn train(
    run: Option<&Run>,
    cfg: &TimeseriesConfig,
) -> Result<TimeseriesOutcome, Box<dyn Error>> {
    tch::manual_seed(cfg.seed);
    let total = cfg.train_windows + cfg.valid_windows + cfg.window;
    let s = series(cfg, total)?;
    let (train_x, train_y) = windows(&s, 0, cfg.train_windows, cfg.window)?;
    let (valid_x, valid_y) = windows(&s, cfg.train_windows, cfg.valid_windows, cfg.window)?;

    let vs = nn::VarStore::new(Device::Cpu);
    let model = Forecaster::new(&vs, cfg.hidden);
    let mut opt = nn::Adam::default().build(&vs, cfg.learning_rate)?;
    let run = run.filter(|_| cfg.wandb);

    let mut callbacks = CallbackList::new();
    let mut watcher = None;
    if let Some(run) = run {
        callbacks.push(WandbCallback::new(run).monitor("val_loss", Mode::Min));
        if let Some(dir) = &cfg.checkpoint_dir {
            callbacks.push(
                wandb_tch::var_store_checkpoint(&vs, dir, "val_loss", Mode::Min)
                    .save_best_only(true)
                    .log_to_run(run),
            );
        }
        let opts = WatchOptions::new()
            .log(WatchLog::All)
            .log_freq(cfg.watch_log_freq);
        watcher = Some(wandb_tch::watch(run, &vs, opts));
    }

    let mut driver = CallbackDriver::new(callbacks, Some(cfg.epochs));
    let mut val_losses = Vec::with_capacity(cfg.epochs);
    driver.train_begin()?;
    let batch = cfg.batch_size.max(1);
    for _ in 0..cfg.epochs {
        driver.epoch_begin()?;
        let order = Tensor::f_randperm(
            i64::try_from(cfg.train_windows)?,
            (Kind::Int64, Device::Cpu),
        )?;
        for start in (0..cfg.train_windows).step_by(batch) {
            let len = batch.min(cfg.train_windows - start);
            let idx = order.f_narrow(0, i64::try_from(start)?, i64::try_from(len)?)?;
            driver.batch_begin(Some(cfg.learning_rate))?;
            let pred = model.forward(&train_x.f_index_select(0, &idx)?)?;
            let loss = pred.f_mse_loss(&train_y.f_index_select(0, &idx)?, tch::Reduction::Mean)?;
            opt.backward_step(&loss);
            if let Some(w) = &watcher {
                // The histograms join the batch row WandbCallback logs next.
                w.after_backward()?;
            }
            let loss = loss.f_double_value(&[])?;
            driver.batch_end(&Metrics::from([("loss".to_string(), loss)]))?;
        }
        let val = tch::no_grad(|| -> Result<f64, tch::TchError> {
            model
                .forward(&valid_x)?
                .f_mse_loss(&valid_y, tch::Reduction::Mean)?
                .f_double_value(&[])
        })?;
        val_losses.push(val);
        driver.validation_end(&Metrics::from([("loss".to_string(), val)]))?;
        if driver.epoch_end()? {
            break;
        }
    }
    driver.train_end()?;

    let predictions = tch::no_grad(|| model.forward(&valid_x))?;
    let predictions = Vec::<f64>::try_from(&predictions.f_to_kind(Kind::Double)?)?;
    let truth = Vec::<f64>::try_from(&valid_y.f_to_kind(Kind::Double)?)?;
    if let Some(run) = run {
        let steps = (cfg.train_windows + cfg.window..).take(truth.len());
        let chart = wandb_plot::line_series(
            Xs::shared(steps.map(|t| t as u64)),
            vec![truth.clone(), predictions.clone()],
            Some(vec!["truth".into(), "prediction".into()]),
        )?
        .title("Validation: prediction vs truth")
        .xname("t");
        run.log_chart("predictions", chart)?;
        run.summary().set(
            "final_val_loss",
            val_losses.last().copied().unwrap_or(f64::NAN),
        )?;
    }
    let mut parameters: Vec<(String, usize)> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| (n, t.numel()))
        .collect();
    parameters.sort();
    Ok(TimeseriesOutcome {
        val_losses,
        predictions,
        truth,
        parameters,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let size = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|e| format!("size must be a positive integer, got {a:?}: {e}"))?,
        None => 1,
    };
    let cfg = TimeseriesConfig {
        checkpoint_dir: Some(PathBuf::from("checkpoints")),
        ..TimeseriesConfig::sized(size)
    };
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("tch-timeseries")
            .mode(wandb_core::Mode::Offline),
    )?;
    let out = train(Some(&run), &cfg)?;
    println!("validation MSE per epoch: {:?}", out.val_losses);
    let dir = run.dir().to_path_buf();
    run.finish()?;
    println!("run directory: {}", dir.display());
    Ok(())
}
