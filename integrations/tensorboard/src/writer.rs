//! [`SummaryWriter`]: writes TensorBoard event files.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use prost::Message as _;

use crate::encode;
use crate::error::{Error, Result};
use crate::framing;
use crate::proto::{self, event, summary, Event, HistogramProto, Summary};

/// The `file_version` of the first event of every event file.
pub const FILE_VERSION: &str = "brain.Event:2";

static FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How a [`SummaryWriter`] buffers and names its file.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Events are kept in memory and written once this many bytes are
    /// buffered (default 1 MiB), on [`SummaryWriter::flush`], by the
    /// background flusher and when the writer is dropped.
    pub flush_bytes: usize,
    /// How often a background thread writes the buffer to the file
    /// (default 2 s, so `tensorboard --logdir` shows data while training
    /// runs; at least 1 ms); `None` disables the thread.
    pub flush_interval: Option<Duration>,
    /// Appended to the file name (like `filename_suffix` in PyTorch).
    pub filename_suffix: String,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            flush_bytes: 1 << 20,
            flush_interval: Some(Duration::from_secs(2)),
            filename_suffix: String::new(),
        }
    }
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    scratch: Vec<u8>,
    flush_bytes: usize,
    failed: Option<String>,
}

impl Inner {
    fn write_out(&mut self) -> Result<()> {
        if let Some(msg) = &self.failed {
            return Err(Error::io(
                "an earlier write failed for event file",
                &self.path,
                std::io::Error::other(msg.clone()),
            ));
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        match self
            .file
            .write_all(&self.buf)
            .and_then(|_| self.file.flush())
        {
            Ok(()) => {
                self.buf.clear();
                Ok(())
            }
            Err(e) => {
                self.failed = Some(e.to_string());
                Err(Error::io("cannot write event file", &self.path, e))
            }
        }
    }

    fn push_payload(&mut self) -> Result<()> {
        framing::write_frame(&mut self.buf, &self.scratch);
        if self.buf.len() >= self.flush_bytes {
            self.write_out()?;
        }
        Ok(())
    }
}

/// Writes a TensorBoard event file `events.out.tfevents.<secs>.<host>.<pid>.<n>`
/// in a log directory, readable by `tensorboard --logdir` and by TensorBoard's
/// own loaders (scalars, histograms, images, text).
///
/// All methods take `&self`, so one writer can be shared between threads.
/// Events are buffered in memory (see [`WriterOptions`]); call
/// [`SummaryWriter::flush`] to make them visible at once.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// use wandb_tensorboard::SummaryWriter;
/// let writer = SummaryWriter::new(dir.path().join("train"))?;
/// for step in 0..10 {
///     writer.add_scalar("loss", 1.0 / (step as f32 + 1.0), step)?;
/// }
/// writer.add_histogram("weights", &[0.1, 0.2, 0.2, 0.9], 9)?;
/// writer.add_text("notes", "first try", 9)?;
/// writer.flush()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SummaryWriter {
    inner: Arc<Mutex<Inner>>,
    logdir: PathBuf,
    path: PathBuf,
    stop: Option<crossbeam_channel::Sender<()>>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

/// Seconds since the Unix epoch, as TensorBoard stores `wall_time`.
pub fn now_wall_time() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// This machine's host name, as Python's `socket.gethostname()` gives it.
pub fn hostname() -> String {
    #[cfg(unix)]
    if let Ok(s) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let s = s.trim();
        if !s.is_empty() {
            return s.to_owned();
        }
    }
    for var in ["HOSTNAME", "COMPUTERNAME"] {
        if let Ok(s) = std::env::var(var) {
            if !s.is_empty() {
                return s;
            }
        }
    }
    "localhost".to_owned()
}

impl SummaryWriter {
    /// Creates `logdir` if needed and a new event file in it, with default
    /// [`WriterOptions`].
    pub fn new(logdir: impl AsRef<Path>) -> Result<Self> {
        Self::with_options(logdir, WriterOptions::default())
    }

    /// Creates `logdir` if needed and a new event file in it.
    pub fn with_options(logdir: impl AsRef<Path>, opts: WriterOptions) -> Result<Self> {
        let logdir = logdir.as_ref().to_path_buf();
        std::fs::create_dir_all(&logdir)
            .map_err(|e| Error::io("cannot create TensorBoard log directory", &logdir, e))?;
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let name = format!(
            "events.out.tfevents.{secs}.{}.{}.{}{}",
            hostname(),
            std::process::id(),
            FILE_COUNTER.fetch_add(1, Ordering::Relaxed),
            opts.filename_suffix
        );
        let path = logdir.join(name);
        let file = File::options()
            .create_new(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot create event file", &path, e))?;
        let mut inner = Inner {
            path: path.clone(),
            file,
            buf: Vec::with_capacity(opts.flush_bytes.min(1 << 22) + 1024),
            scratch: Vec::with_capacity(256),
            flush_bytes: opts.flush_bytes,
            failed: None,
        };
        let first = Event {
            wall_time: now_wall_time(),
            step: 0,
            what: Some(event::What::FileVersion(FILE_VERSION.to_owned())),
            source_metadata: Some(proto::SourceMetadata {
                writer: "wandb-rs".to_owned(),
            }),
        };
        first
            .encode(&mut inner.scratch)
            .map_err(|e| invalid("", e.to_string()))?;
        framing::write_frame(&mut inner.buf, &inner.scratch);
        inner.write_out()?;
        let inner = Arc::new(Mutex::new(inner));
        let (stop, flusher) = match opts.flush_interval {
            Some(every) => {
                let (tx, rx) = crossbeam_channel::bounded::<()>(0);
                let weak = Arc::downgrade(&inner);
                let handle = std::thread::Builder::new()
                    .name("wandb-tb-flush".into())
                    // at least 1 ms: zero would flush in a busy loop
                    .spawn(move || flush_loop(weak, rx, every.max(Duration::from_millis(1))))
                    .map_err(|e| Error::io("cannot start the flush thread for", &path, e))?;
                (Some(tx), Some(handle))
            }
            None => (None, None),
        };
        Ok(SummaryWriter {
            inner,
            logdir,
            path,
            stop,
            flusher,
        })
    }

    /// The log directory.
    pub fn logdir(&self) -> &Path {
        &self.logdir
    }

    /// The event file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Logs a scalar (a legacy `simple_value`, as PyTorch writes it) at the
    /// current time.
    pub fn add_scalar(&self, tag: &str, value: f32, step: i64) -> Result<()> {
        self.add_scalar_at(tag, value, step, now_wall_time())
    }

    /// Logs a scalar with an explicit `wall_time` (seconds since the epoch).
    pub fn add_scalar_at(&self, tag: &str, value: f32, step: i64, wall_time: f64) -> Result<()> {
        check_tag(tag)?;
        let mut inner = self.inner.lock();
        inner.scratch.clear();
        encode::scalar_event(&mut inner.scratch, wall_time, step, tag, value);
        inner.push_payload()
    }

    /// Logs a histogram of `values` (30 equal-width buckets between the
    /// minimum and the maximum; NaN and infinities are left out) as a legacy
    /// `HistogramProto`, the layout PyTorch writes.
    pub fn add_histogram(&self, tag: &str, values: &[f64], step: i64) -> Result<()> {
        self.add_histogram_proto(tag, histogram_of(values, 30), step)
    }

    /// Logs a histogram given by its bucket edges (`counts.len() + 1`
    /// ascending edges) and counts.
    pub fn add_histogram_bins(
        &self,
        tag: &str,
        edges: &[f64],
        counts: &[f64],
        step: i64,
    ) -> Result<()> {
        if edges.len() != counts.len() + 1 || counts.is_empty() {
            return Err(invalid(
                tag,
                format!(
                    "a histogram needs counts.len() + 1 edges and at least one bucket; got {} edges and {} counts",
                    edges.len(),
                    counts.len()
                ),
            ));
        }
        let num: f64 = counts.iter().sum();
        let centers = edges.windows(2).map(|w| (w[0] + w[1]) / 2.0);
        let (sum, sum_squares) = centers
            .zip(counts)
            .fold((0.0, 0.0), |(s, q), (c, n)| (s + c * n, q + c * c * n));
        let mut bucket = Vec::with_capacity(counts.len() + 1);
        bucket.push(0.0);
        bucket.extend_from_slice(counts);
        let h = HistogramProto {
            min: edges[0],
            max: edges[edges.len() - 1],
            num,
            sum,
            sum_squares,
            bucket_limit: edges.to_vec(),
            bucket,
        };
        self.add_histogram_proto(tag, h, step)
    }

    /// Logs a ready-made `HistogramProto`.
    pub fn add_histogram_proto(&self, tag: &str, histo: HistogramProto, step: i64) -> Result<()> {
        self.add_value(
            step,
            summary::Value {
                tag: tag.to_owned(),
                value: Some(summary::value::Value::Histo(histo)),
                ..Default::default()
            },
        )
    }

    /// Logs an image from raw 8-bit pixels, row-major, `channels` per pixel
    /// (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA); it is stored as PNG.
    pub fn add_image(
        &self,
        tag: &str,
        pixels: &[u8],
        width: u32,
        height: u32,
        channels: u8,
        step: i64,
    ) -> Result<()> {
        let color = match channels {
            1 => image::ExtendedColorType::L8,
            2 => image::ExtendedColorType::La8,
            3 => image::ExtendedColorType::Rgb8,
            4 => image::ExtendedColorType::Rgba8,
            n => {
                return Err(invalid(
                    tag,
                    format!("an image has 1 to 4 channels, not {n}"),
                ))
            }
        };
        let expected = width as usize * height as usize * channels as usize;
        if pixels.len() != expected || expected == 0 {
            return Err(invalid(
                tag,
                format!("{width}x{height} pixels with {channels} channels need {expected} bytes, got {}", pixels.len()),
            ));
        }
        let mut png = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut png),
            pixels,
            width,
            height,
            color,
        )
        .map_err(|e| invalid(tag, format!("cannot encode the image as PNG: {e}")))?;
        self.add_image_encoded(tag, png, width, height, channels, step)
    }

    /// Logs an already PNG-encoded image; its size and channels are read
    /// from the PNG header.
    pub fn add_image_png(&self, tag: &str, png: Vec<u8>, step: i64) -> Result<()> {
        let (w, h, c) = png_info(&png)
            .ok_or_else(|| invalid(tag, "not a PNG file (bad signature or IHDR)".to_owned()))?;
        self.add_image_encoded(tag, png, w, h, c, step)
    }

    fn add_image_encoded(
        &self,
        tag: &str,
        png: Vec<u8>,
        w: u32,
        h: u32,
        c: u8,
        step: i64,
    ) -> Result<()> {
        self.add_value(
            step,
            summary::Value {
                tag: tag.to_owned(),
                value: Some(summary::value::Value::Image(summary::Image {
                    height: h as i32,
                    width: w as i32,
                    colorspace: c as i32,
                    encoded_image_string: png,
                })),
                ..Default::default()
            },
        )
    }

    /// Logs a text (Markdown) value for TensorBoard's text plugin.
    pub fn add_text(&self, tag: &str, text: &str, step: i64) -> Result<()> {
        self.add_value(
            step,
            summary::Value {
                tag: tag.to_owned(),
                metadata: Some(proto::SummaryMetadata {
                    plugin_data: Some(proto::summary_metadata::PluginData {
                        plugin_name: "text".to_owned(),
                        content: Vec::new(),
                    }),
                    ..Default::default()
                }),
                value: Some(summary::value::Value::Tensor(proto::TensorProto {
                    dtype: proto::DataType::DtString as i32,
                    tensor_shape: Some(proto::TensorShapeProto::default()),
                    string_val: vec![text.as_bytes().to_vec()],
                    ..Default::default()
                })),
                ..Default::default()
            },
        )
    }

    /// Logs one summary value at `step`.
    pub fn add_value(&self, step: i64, value: summary::Value) -> Result<()> {
        check_tag(&value.tag)?;
        self.add_event(Event {
            wall_time: now_wall_time(),
            step,
            what: Some(event::What::Summary(Summary { value: vec![value] })),
            source_metadata: None,
        })
    }

    /// Appends any event.
    pub fn add_event(&self, event: Event) -> Result<()> {
        let mut inner = self.inner.lock();
        inner.scratch.clear();
        let Inner { scratch, .. } = &mut *inner;
        event
            .encode(scratch)
            .map_err(|e| invalid("", e.to_string()))?;
        inner.push_payload()
    }

    /// Writes everything buffered to the file.
    pub fn flush(&self) -> Result<()> {
        self.inner.lock().write_out()
    }

    /// Flushes and closes the writer, reporting a final write error.
    pub fn close(mut self) -> Result<()> {
        self.stop_flusher();
        self.inner.lock().write_out()
    }

    fn stop_flusher(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.flusher.take() {
            let _ = h.join();
        }
    }
}

impl Drop for SummaryWriter {
    fn drop(&mut self) {
        self.stop_flusher();
        if let Err(e) = self.inner.lock().write_out() {
            tracing::warn!("TensorBoard writer: {e}");
        }
    }
}

fn flush_loop(inner: Weak<Mutex<Inner>>, stop: crossbeam_channel::Receiver<()>, every: Duration) {
    while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let result = strong.lock().write_out();
        if let Err(e) = result {
            tracing::warn!("TensorBoard writer: {e}");
        }
    }
}

fn invalid(tag: &str, reason: String) -> Error {
    Error::InvalidValue {
        tag: tag.to_owned(),
        reason,
    }
}

fn check_tag(tag: &str) -> Result<()> {
    if tag.is_empty() {
        return Err(invalid(tag, "the tag must not be empty".to_owned()));
    }
    Ok(())
}

/// Width, height and channel count from a PNG's IHDR chunk.
pub fn png_info(png: &[u8]) -> Option<(u32, u32, u8)> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 26 || &png[..8] != SIG || &png[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    let channels = match png[25] {
        0 => 1,
        4 => 2,
        2 | 3 => 3,
        6 => 4,
        _ => return None,
    };
    Some((w, h, channels))
}

/// A legacy histogram of `values` with `bins` equal-width buckets, in the
/// layout PyTorch writes: `bucket_limit` holds all edges and `bucket` a
/// leading zero followed by the counts.
pub fn histogram_of(values: &[f64], bins: usize) -> HistogramProto {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let mut h = HistogramProto::default();
    if finite.is_empty() {
        return h;
    }
    let (min, max) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if min < max {
        (min, max)
    } else {
        (min - 0.5, max + 0.5)
    };
    let bins = bins.max(1);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0.0; bins];
    for &v in &finite {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1.0;
    }
    h.min = min;
    h.max = max;
    h.num = finite.len() as f64;
    h.sum = finite.iter().sum();
    h.sum_squares = finite.iter().map(|v| v * v).sum();
    h.bucket_limit = (0..=bins)
        .map(|i| if i == bins { hi } else { lo + width * i as f64 })
        .collect();
    h.bucket = std::iter::once(0.0).chain(counts).collect();
    h
}
