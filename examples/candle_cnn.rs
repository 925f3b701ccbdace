//! Trains a small CNN with candle on synthetic image classification (16x16
//! grayscale images of four shapes with noise, seeded), logging to W&B from
//! a hand-written loop through `wandb_candle::WandbCallback`: batch and epoch
//! loss and accuracy, `watch` histograms of every variable, early stopping
//! that restores the best weights, a safetensors checkpoint of the best
//! epoch, and at the end a Table of validation images with their predictions
//! and a confusion matrix.
//!
//! ```sh
//! cargo run --release --example candle_cnn --features candle            # seconds
//! cargo run --release --example candle_cnn --features candle -- demo    # a realistic demo
//! ```
//!
//! The size is the first argument or `CANDLE_CNN_SIZE` (`test`, `demo`).
//! The run is offline; its directory is printed at the end (`wandb sync` it
//! to upload). The workflow test (`tests/workflows_candle.rs`) and the
//! overhead benchmark of `wandb-candle` run this same code.

use std::path::PathBuf;

use wandb_callbacks::{EarlyStopping, FitReport, Mode};
use wandb_candle::candle_core::{self, DType, Device, Module, Tensor, D};
use wandb_candle::candle_nn::{self, Conv2d, Linear, Optimizer, VarBuilder, VarMap};
use wandb_candle::{WandbCallback, WatchLog, WatchOptions};
use wandb_data_types::{cells, Image, Table};
use wandb_plot::ChartRowExt;

/// Side of the square images.
pub const SIDE: usize = 16;
/// The classes, in label order.
pub const CLASSES: [&str; 4] = ["horizontal", "vertical", "diagonal", "box"];

/// What to train and how.
#[derive(Debug, Clone)]
pub struct CnnConfig {
    /// Epochs (early stopping may end sooner).
    pub epochs: usize,
    /// Training images.
    pub train_size: usize,
    /// Validation images.
    pub valid_size: usize,
    /// Images per batch.
    pub batch_size: usize,
    /// Channels of the first convolution (the second has twice as many).
    pub channels: usize,
    /// SGD learning rate.
    pub learning_rate: f64,
    /// Log to W&B (`false` gives the same loop without wandb, for benchmarks).
    pub wandb: bool,
    /// `watch` (log = all) every this many steps.
    pub watch_log_freq: u64,
    /// Validation images with their predictions in the final Table.
    pub table_rows: usize,
    /// Where the best epoch's safetensors checkpoint goes (`None`: no checkpoint).
    pub checkpoint_dir: Option<PathBuf>,
    /// Seed of the data and of the initial weights.
    pub seed: u64,
}

impl Default for CnnConfig {
    /// The test size: runs in a second or two in a debug build.
    fn default() -> Self {
        CnnConfig {
            epochs: 3,
            train_size: 96,
            valid_size: 32,
            batch_size: 16,
            channels: 4,
            learning_rate: 0.1,
            wandb: true,
            watch_log_freq: 3,
            table_rows: 8,
            checkpoint_dir: None,
            seed: 7,
        }
    }
}

impl CnnConfig {
    /// A size by name: `test` (the default) or `demo` (20 epochs of 4 096
    /// images, 16 channels, watch every 100 steps, 64 table rows).
    pub fn sized(name: &str) -> Option<Self> {
        match name {
            "test" => Some(CnnConfig::default()),
            "demo" => Some(CnnConfig {
                epochs: 20,
                train_size: 4096,
                valid_size: 512,
                batch_size: 64,
                channels: 16,
                learning_rate: 0.05,
                watch_log_freq: 100,
                table_rows: 64,
                ..CnnConfig::default()
            }),
            _ => None,
        }
    }

    /// The loop the overhead benchmark times: 4 epochs of 50 batches of 32,
    /// 8 channels, `watch` every `watch_log_freq` steps, no checkpoint and
    /// no final table.
    pub fn benchmark(wandb: bool, watch_log_freq: u64) -> Self {
        CnnConfig {
            epochs: 4,
            train_size: 32 * 50,
            valid_size: 128,
            batch_size: 32,
            channels: 8,
            learning_rate: 0.05,
            wandb,
            watch_log_freq,
            table_rows: 0,
            ..CnnConfig::default()
        }
    }

    /// Training batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.train_size.div_ceil(self.batch_size.max(1))
    }
}

/// A deterministic generator (splitmix64), so runs are reproducible.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Images (`[n, 1, SIDE, SIDE]`, values in [0, 1]) and labels (`[n]`).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Pixels, row-major, `n * SIDE * SIDE`.
    pub pixels: Vec<f32>,
    /// Class of each image.
    pub labels: Vec<u32>,
}

/// `n` images of the four shapes at random places, with noise.
pub fn synthetic(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng(seed);
    let mut pixels = Vec::with_capacity(n * SIDE * SIDE);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let label = rng.below(CLASSES.len());
        let mut img = [0f32; SIDE * SIDE];
        let (a, b) = (2 + rng.below(SIDE - 4), 2 + rng.below(SIDE - 4));
        let len = 6 + rng.below(6);
        let mut put = |r: usize, c: usize| {
            if r < SIDE && c < SIDE {
                img[r * SIDE + c] = 1.0;
            }
        };
        match label {
            0 => (0..len).for_each(|i| put(a, (b + i) % SIDE)),
            1 => (0..len).for_each(|i| put((a + i) % SIDE, b)),
            2 => (0..len).for_each(|i| put((a + i) % SIDE, (b + i) % SIDE)),
            _ => {
                let s = 3 + rng.below(4);
                let (r0, c0) = (a.min(SIDE - 1 - s), b.min(SIDE - 1 - s));
                for i in 0..=s {
                    put(r0, c0 + i);
                    put(r0 + s, c0 + i);
                    put(r0 + i, c0);
                    put(r0 + i, c0 + s);
                }
            }
        }
        pixels.extend(img.iter().map(|p| (p * 0.8 + rng.unit() * 0.3).min(1.0)));
        labels.push(label as u32);
    }
    Dataset { pixels, labels }
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Images `range` as tensors on `dev`.
    fn batch(
        &self,
        range: std::ops::Range<usize>,
        dev: &Device,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let n = range.len();
        let px = &self.pixels[range.start * SIDE * SIDE..range.end * SIDE * SIDE];
        let x = Tensor::from_slice(px, (n, 1, SIDE, SIDE), dev)?;
        let y = Tensor::from_slice(&self.labels[range], n, dev)?;
        Ok((x, y))
    }

    /// Image `i` as 8-bit grayscale pixels.
    pub fn gray8(&self, i: usize) -> Vec<u8> {
        self.pixels[i * SIDE * SIDE..(i + 1) * SIDE * SIDE]
            .iter()
            .map(|p| (p * 255.0).round() as u8)
            .collect()
    }
}

/// conv(1->c, 3x3) - relu - pool - conv(c->2c, 3x3) - relu - pool - linear(->4).
pub struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    fc: Linear,
}

/// The variables of [`Cnn`] with their element counts, for `channels` channels.
pub fn variables(channels: usize) -> Vec<(String, usize)> {
    let c = channels;
    let flat = 2 * c * (SIDE / 4) * (SIDE / 4);
    vec![
        ("conv1.weight".into(), c * 9),
        ("conv1.bias".into(), c),
        ("conv2.weight".into(), 2 * c * c * 9),
        ("conv2.bias".into(), 2 * c),
        ("fc.weight".into(), CLASSES.len() * flat),
        ("fc.bias".into(), CLASSES.len()),
    ]
}

impl Cnn {
    fn new(vb: VarBuilder, channels: usize) -> candle_core::Result<Self> {
        let cfg = candle_nn::Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        let flat = 2 * channels * (SIDE / 4) * (SIDE / 4);
        Ok(Cnn {
            conv1: candle_nn::conv2d(1, channels, 3, cfg, vb.pp("conv1"))?,
            conv2: candle_nn::conv2d(channels, 2 * channels, 3, cfg, vb.pp("conv2"))?,
            fc: candle_nn::linear(flat, CLASSES.len(), vb.pp("fc"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.conv1.forward(x)?.relu()?.max_pool2d(2)?;
        let x = self.conv2.forward(&x)?.relu()?.max_pool2d(2)?;
        self.fc.forward(&x.flatten_from(1)?)
    }
}

/// Replaces candle's random initial weights (its CPU generator cannot be
/// seeded) with seeded uniform ones (±1/sqrt(fan_in)), biases 0.
fn seed_weights(varmap: &VarMap, seed: u64) -> candle_core::Result<()> {
    let mut rng = Rng(seed ^ 0xC0FF_EE00);
    let data = varmap
        .data()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let shape = var.as_tensor().dims().to_vec();
        let n = var.as_tensor().elem_count();
        let values: Vec<f32> = if name.ends_with(".bias") {
            vec![0.0; n]
        } else {
            let fan_in = (n / shape[0].max(1)).max(1) as f32;
            let bound = 1.0 / fan_in.sqrt();
            (0..n).map(|_| (rng.unit() * 2.0 - 1.0) * bound).collect()
        };
        var.set(&Tensor::from_vec(values, shape, var.as_tensor().device())?)?;
    }
    Ok(())
}

/// Loss and accuracy of `model` on `data`, and the predicted classes.
fn evaluate(
    model: &Cnn,
    data: &Dataset,
    batch: usize,
    dev: &Device,
) -> candle_core::Result<(f64, f64, Vec<u32>)> {
    let (mut loss_sum, mut preds) = (0.0, Vec::with_capacity(data.len()));
    let mut start = 0;
    while start < data.len() {
        let end = (start + batch.max(1)).min(data.len());
        let (x, y) = data.batch(start..end, dev)?;
        let logits = model.forward(&x)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &y)?.to_scalar::<f32>()?;
        loss_sum += f64::from(loss) * (end - start) as f64;
        preds.extend(logits.argmax(D::Minus1)?.to_vec1::<u32>()?);
        start = end;
    }
    let correct = preds
        .iter()
        .zip(&data.labels)
        .filter(|(p, l)| p == l)
        .count();
    let n = data.len().max(1) as f64;
    Ok((loss_sum / n, correct as f64 / n, preds))
}

/// What training did.
#[derive(Debug, Clone)]
pub struct CnnReport {
    /// The callbacks' report (epochs, steps, history); default without wandb.
    pub fit: FitReport,
    /// Validation loss and accuracy of the final weights.
    pub val_loss: f64,
    /// Validation accuracy of the final weights.
    pub val_acc: f64,
    /// Predicted class of each validation image.
    pub predictions: Vec<u32>,
    /// True class of each validation image.
    pub labels: Vec<u32>,
}

/// Trains the CNN; logs to `run` when `cfg.wandb` is set.
pub fn train(
    run: Option<&wandb_core::Run>,
    cfg: &CnnConfig,
) -> Result<CnnReport, Box<dyn std::error::Error + Send + Sync>> {
    let dev = Device::Cpu;
    let run = run.filter(|_| cfg.wandb);
    let train = synthetic(cfg.train_size, cfg.seed);
    let valid = synthetic(cfg.valid_size, cfg.seed.wrapping_add(1));
    let varmap = VarMap::new();
    let model = Cnn::new(
        VarBuilder::from_varmap(&varmap, DType::F32, &dev),
        cfg.channels,
    )?;
    seed_weights(&varmap, cfg.seed)?;
    let mut opt = candle_nn::SGD::new(varmap.all_vars(), cfg.learning_rate)?;

    let mut cb = run.map(|run| {
        let stop = wandb_candle::restore_best_weights(
            EarlyStopping::new("val_loss", Mode::Min).patience(3),
            &varmap,
        );
        let mut cb = WandbCallback::new(run).with_callback(stop);
        if let Some(dir) = &cfg.checkpoint_dir {
            cb = cb.with_callback(
                wandb_candle::safetensors_checkpoint(&varmap, dir, "val_loss", Mode::Min)
                    .save_best_only(true)
                    .log_to_run(run),
            );
        }
        cb.watch(
            &varmap,
            WatchOptions::new()
                .log(WatchLog::All)
                .log_freq(cfg.watch_log_freq),
        )
    });
    if let Some(cb) = cb.as_mut() {
        cb.train_begin(Some(cfg.epochs))?;
    }
    let bs = cfg.batch_size.max(1);
    for _epoch in 0..cfg.epochs {
        if let Some(cb) = cb.as_mut() {
            cb.epoch_begin()?;
        }
        let mut start = 0;
        while start < train.len() {
            let end = (start + bs).min(train.len());
            let (x, y) = train.batch(start..end, &dev)?;
            let logits = model.forward(&x)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
            let grads = loss.backward()?;
            if let Some(cb) = cb.as_ref() {
                cb.after_backward(&grads)?;
            }
            opt.step(&grads)?;
            // The loop's own metrics, computed with or without wandb (a
            // loop without wandb still watches its loss and accuracy).
            let correct = logits
                .argmax(D::Minus1)?
                .eq(&y)?
                .to_dtype(DType::F32)?
                .mean_all()?;
            let loss = f64::from(loss.to_scalar::<f32>()?);
            let acc = f64::from(correct.to_scalar::<f32>()?);
            if let Some(cb) = cb.as_mut() {
                cb.batch_end_with(Some(cfg.learning_rate), &[("loss", loss), ("acc", acc)])?;
            }
            start = end;
        }
        let (val_loss, val_acc, _) = evaluate(&model, &valid, bs, &dev)?;
        if let Some(cb) = cb.as_mut() {
            cb.validation_end(&[("loss", val_loss), ("acc", val_acc)])?;
            if cb.epoch_end()? {
                break;
            }
        }
    }
    let fit = match cb.as_mut() {
        Some(cb) => cb.train_end()?,
        None => FitReport::default(),
    };
    // The final weights (the best epoch's, when early stopping restored them).
    let (val_loss, val_acc, predictions) = evaluate(&model, &valid, bs, &dev)?;
    if let Some(run) = run {
        log_results(run, cfg, &valid, &predictions, val_loss, val_acc)?;
    }
    Ok(CnnReport {
        fit,
        val_loss,
        val_acc,
        predictions,
        labels: valid.labels,
    })
}

/// The final row: a Table of validation images with truth and prediction,
/// and the confusion matrix; the final values go to the summary.
fn log_results(
    run: &wandb_core::Run,
    cfg: &CnnConfig,
    valid: &Dataset,
    predictions: &[u32],
    val_loss: f64,
    val_acc: f64,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut table = Table::new(["image", "truth", "prediction", "correct"]);
    for i in 0..cfg.table_rows.min(valid.len()) {
        let (truth, pred) = (
            CLASSES[valid.labels[i] as usize],
            CLASSES[predictions[i] as usize],
        );
        let image = Image::from_gray8(SIDE as u32, SIDE as u32, &valid.gray8(i))?.caption(pred);
        table.add_row(cells![image, truth, pred, truth == pred])?;
    }
    let cm = wandb_plot::confusion_matrix(&valid.labels, predictions, Some(&CLASSES[..]))?;
    let mut row = wandb_core::Row::new();
    if cfg.table_rows > 0 {
        row.insert("predictions", table);
    }
    run.log(row.with_chart("confusion_matrix", cm))?;
    let summary = run.summary();
    summary.set("final_val_loss", val_loss)?;
    summary.set("final_val_acc", val_acc)?;
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let size = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("CANDLE_CNN_SIZE").ok())
        .unwrap_or_else(|| "test".into());
    let mut cfg = CnnConfig::sized(&size)
        .ok_or_else(|| format!("unknown size {size:?}: use test or demo"))?;
    let run = wandb_core::init(
        wandb_core::InitOptions::new()
            .project("candle-cnn")
            .mode(wandb_core::Mode::Offline)
            .config(&serde_json::json!({
                "size": size,
                "epochs": cfg.epochs,
                "train_size": cfg.train_size,
                "batch_size": cfg.batch_size,
                "channels": cfg.channels,
                "learning_rate": cfg.learning_rate,
            })),
    )?;
    cfg.checkpoint_dir = Some(std::env::temp_dir().join(format!("candle-cnn-{}", run.id())));
    let start = std::time::Instant::now();
    let report = train(Some(&run), &cfg)?;
    println!(
        "{} epochs, {} steps in {:.1} s: val_loss {:.4}, val_acc {:.3}",
        report.fit.epochs_run,
        report.fit.global_step,
        start.elapsed().as_secs_f64(),
        report.val_loss,
        report.val_acc
    );
    run.finish()?;
    println!("run directory: {}", run.dir().display());
    Ok(())
}
