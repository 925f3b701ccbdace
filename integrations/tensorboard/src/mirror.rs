//! [`TensorBoardMirror`]: writes what a run logs into a TensorBoard event
//! directory too, so `tensorboard --logdir` shows the run locally without a
//! W&B account.

use std::path::Path;

use wandb_core::{IntoRow, Row, Run, Value};

use crate::error::Result;
use crate::writer::{SummaryWriter, WriterOptions};

/// Mirrors logged rows into an event file: numbers and booleans become
/// scalars, strings become text, W&B histograms (`{"_type":"histogram",
/// "bins","values"}`) become histograms; nested maps give `a.b` tags (the
/// W&B key). Media objects are not mirrored.
///
/// ```no_run
/// let run = wandb_core::init(wandb_core::InitOptions::new().mode(wandb_core::Mode::Offline))?;
/// let tb = wandb_tensorboard::TensorBoardMirror::new("tb_logs")?;
/// for epoch in 0..3 {
///     // logs to the run and writes the same values at the row's W&B step
///     tb.log(&run, wandb_core::row! {"loss" => 1.0 / (epoch as f64 + 1.0), "epoch" => epoch})?;
/// }
/// tb.flush()?;
/// run.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TensorBoardMirror {
    writer: SummaryWriter,
}

impl TensorBoardMirror {
    /// Writes into a new event file in `logdir` (created if needed).
    pub fn new(logdir: impl AsRef<Path>) -> Result<Self> {
        Self::with_options(logdir, WriterOptions::default())
    }

    /// Like [`Self::new`] with writer options.
    pub fn with_options(logdir: impl AsRef<Path>, opts: WriterOptions) -> Result<Self> {
        Ok(TensorBoardMirror {
            writer: SummaryWriter::with_options(logdir, opts)?,
        })
    }

    /// The underlying writer.
    pub fn writer(&self) -> &SummaryWriter {
        &self.writer
    }

    /// Logs `row` to `run` (committing a step) and writes its values at the
    /// W&B step the row got.
    pub fn log(&self, run: &Run, row: impl IntoRow) -> Result<()> {
        let row = row.into_row()?;
        let step = run.current_step();
        run.log(row.clone())?;
        self.write_row(&row, i64::try_from(step).unwrap_or(i64::MAX))
    }

    /// Writes the values of a row at `step` (without logging to a run).
    pub fn write_row(&self, row: &Row, step: i64) -> Result<()> {
        for (key, value) in row.iter() {
            self.write_value(key, value, step, 0)?;
        }
        Ok(())
    }

    fn write_value(&self, tag: &str, value: &Value, step: i64, depth: usize) -> Result<()> {
        match value {
            Value::Int(v) => self.writer.add_scalar(tag, *v as f32, step),
            Value::UInt(v) => self.writer.add_scalar(tag, *v as f32, step),
            Value::Float(v) => self.writer.add_scalar(tag, *v as f32, step),
            Value::Float32(v) => self.writer.add_scalar(tag, *v, step),
            Value::Bool(b) => self.writer.add_scalar(tag, f32::from(u8::from(*b)), step),
            Value::Str(s) => self.writer.add_text(tag, s, step),
            Value::Map(m) if m.get("_type").and_then(Value::as_str) == Some("histogram") => {
                let nums = |k: &str| -> Option<Vec<f64>> {
                    match m.get(k)? {
                        Value::List(l) => l.iter().map(Value::as_f64).collect(),
                        _ => None,
                    }
                };
                match (nums("bins"), nums("values")) {
                    (Some(edges), Some(counts)) => {
                        self.writer.add_histogram_bins(tag, &edges, &counts, step)
                    }
                    _ => Ok(()),
                }
            }
            Value::Map(m) if depth < 16 => {
                for (k, v) in m {
                    self.write_value(&format!("{tag}.{k}"), v, step, depth + 1)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Writes everything buffered to the event file.
    pub fn flush(&self) -> Result<()> {
        self.writer.flush()
    }
}
