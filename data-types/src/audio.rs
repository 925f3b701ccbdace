//! `wandb.Audio`: samples written as a 16-bit PCM WAV under `media/audio/`.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use wandb_core::{Media, MediaContext, Value};

use crate::error::{Error, Result};
use crate::file_value::file_value;

/// An audio value: `{"caption"?,"_type":"audio-file","sha256","size","path"}`.
///
/// Float samples are written as the official client writes a numpy array
/// through `soundfile`: a WAV file with 16-bit signed PCM, each sample
/// `floor(x * 32768)` (what the golden file holds, bit for bit), clipped to
/// `[-32768, 32767]`.
///
/// ```
/// use wandb_data_types::Audio;
/// let samples: Vec<f32> = (0..800).map(|i| (i as f32 * 0.125).sin()).collect();
/// let a = Audio::from_f32(&samples, 1, 8000).unwrap().caption("sine");
/// assert_eq!(a.bytes().len(), 44 + 800 * 2);
/// ```
#[derive(Debug, Clone)]
pub struct Audio {
    bytes: Arc<[u8]>,
    extension: String,
    caption: Option<String>,
}

impl Audio {
    /// Interleaved `f32` samples in `[-1, 1]` with `channels` channels
    /// (1 = mono, 2 = stereo, ...) at `sample_rate` Hz.
    pub fn from_f32(samples: &[f32], channels: u16, sample_rate: u32) -> Result<Self> {
        if channels == 0 || sample_rate == 0 {
            return Err(Error::Invalid(format!(
                "Audio::from_f32: channels ({channels}) and sample_rate ({sample_rate}) must be at least 1"
            )));
        }
        if !samples.len().is_multiple_of(channels as usize) {
            return Err(Error::ShapeMismatch {
                what: "Audio::from_f32",
                expected: samples.len() / channels as usize * channels as usize,
                actual: samples.len(),
            });
        }
        let spec = hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cur = Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
        {
            let mut w = hound::WavWriter::new(&mut cur, spec)?;
            let mut w16 = w.get_i16_writer(samples.len() as u32);
            for &s in samples {
                w16.write_sample(f32_to_pcm16(s));
            }
            w16.flush()?;
            w.finalize()?;
        }
        Ok(Audio {
            bytes: cur.into_inner().into(),
            extension: ".wav".into(),
            caption: None,
        })
    }

    /// Mono `f32` samples.
    pub fn mono(samples: &[f32], sample_rate: u32) -> Result<Self> {
        Self::from_f32(samples, 1, sample_rate)
    }

    /// Stereo samples from two channels of equal length.
    pub fn stereo(left: &[f32], right: &[f32], sample_rate: u32) -> Result<Self> {
        if left.len() != right.len() {
            return Err(Error::Invalid(format!(
                "Audio::stereo: left has {} samples, right has {}; they must be equal",
                left.len(),
                right.len()
            )));
        }
        let inter: Vec<f32> = left.iter().zip(right).flat_map(|(&l, &r)| [l, r]).collect();
        Self::from_f32(&inter, 2, sample_rate)
    }

    /// An existing audio file (WAV, MP3, FLAC, OGG, ...), stored as is.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let p = path.as_ref();
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        Ok(Audio {
            bytes: bytes.into(),
            extension: ext,
            caption: None,
        })
    }

    /// Sets the caption.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// The file bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The float -> 16-bit conversion seen in the official files:
/// `floor(x * 32768)`, clipped to the 16-bit range.
fn f32_to_pcm16(x: f32) -> i16 {
    if x.is_nan() {
        return 0;
    }
    let v = (x * 32768.0f32).floor();
    v.clamp(-32768.0, 32767.0) as i16
}

impl Media for Audio {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let file = ctx.write_media_file("audio", &self.extension, &self.bytes)?;
        Ok(Value::Map(file_value(
            "audio-file",
            self.caption.as_deref(),
            &file,
        )))
    }
}

impl From<Audio> for Value {
    fn from(a: Audio) -> Self {
        Value::media(a)
    }
}
