//! `wandb.Video`: an animated GIF made from frames, or an existing video file,
//! under `media/videos/`.

use std::path::Path;
use std::sync::Arc;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};
use wandb_core::{Media, MediaContext, Value};

use crate::error::{Error, Result};
use crate::file_value::file_value;

/// A video value: `{"caption"?,"_type":"video-file","sha256","size","path"}`,
/// plus `"width"`/`"height"` for videos made from frames (as the official
/// client adds them for numpy input).
///
/// ```
/// use wandb_data_types::Video;
/// let frames = vec![0u8; 3 * 8 * 8 * 3]; // 3 frames of 8x8 RGB
/// let v = Video::from_rgb8_frames(8, 8, &frames, 4).unwrap().caption("noise");
/// assert_eq!(v.format(), "gif");
/// ```
#[derive(Debug, Clone)]
pub struct Video {
    bytes: Arc<[u8]>,
    format: String,
    size: Option<(u32, u32)>,
    caption: Option<String>,
}

impl Video {
    /// An animated GIF from `T` frames of `width x height` RGB pixels
    /// (`T*H*W*3` values, frame-major, row-major; the official client takes
    /// `(T, C, H, W)` numpy arrays, so transpose such data first) played at
    /// `fps` frames per second, looping forever.
    pub fn from_rgb8_frames(width: u32, height: u32, frames: &[u8], fps: u32) -> Result<Self> {
        Self::from_frames(width, height, 3, frames, fps)
    }

    /// Like [`Video::from_rgb8_frames`] with 1 (gray), 3 (RGB) or 4 (RGBA) channels.
    pub fn from_frames(
        width: u32,
        height: u32,
        channels: u8,
        frames: &[u8],
        fps: u32,
    ) -> Result<Self> {
        if width == 0 || height == 0 || width > u16::MAX as u32 || height > u16::MAX as u32 {
            return Err(Error::InvalidDimensions {
                width,
                height,
                reason: "GIF frames must be between 1 and 65535 pixels wide and high",
            });
        }
        if !matches!(channels, 1 | 3 | 4) {
            return Err(Error::Invalid(format!(
                "video frames need 1, 3 or 4 channels, got {channels}"
            )));
        }
        if fps == 0 {
            return Err(Error::Invalid("Video: fps must be at least 1".into()));
        }
        let frame_len = width as usize * height as usize * channels as usize;
        if frames.is_empty() || !frames.len().is_multiple_of(frame_len) {
            return Err(Error::ShapeMismatch {
                what: "Video::from_frames",
                expected: frame_len * (frames.len() / frame_len).max(1),
                actual: frames.len(),
            });
        }
        let mut out = Vec::new();
        {
            let mut enc = GifEncoder::new_with_speed(&mut out, 10);
            enc.set_repeat(Repeat::Infinite)?;
            let delay = Delay::from_numer_denom_ms(1000, fps);
            for chunk in frames.chunks_exact(frame_len) {
                let rgba: Vec<u8> = match channels {
                    1 => chunk.iter().flat_map(|&g| [g, g, g, 255]).collect(),
                    3 => chunk
                        .chunks_exact(3)
                        .flat_map(|p| [p[0], p[1], p[2], 255])
                        .collect(),
                    _ => chunk.to_vec(),
                };
                let img = RgbaImage::from_raw(width, height, rgba).ok_or_else(|| {
                    Error::Invalid("Video: frame buffer does not match its size".into())
                })?;
                enc.encode_frame(Frame::from_parts(img, 0, 0, delay))?;
            }
        }
        Ok(Video {
            bytes: out.into(),
            format: "gif".into(),
            size: Some((width, height)),
            caption: None,
        })
    }

    /// An existing video file (`gif`, `mp4`, `webm`, `ogg`), stored as is.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let p = path.as_ref();
        let format = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !matches!(format.as_str(), "gif" | "mp4" | "webm" | "ogg") {
            return Err(Error::Invalid(format!(
                "Video::from_path: {} has format {format:?}; W&B shows gif, mp4, webm and ogg",
                p.display()
            )));
        }
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        Ok(Video {
            bytes: bytes.into(),
            format,
            size: None,
            caption: None,
        })
    }

    /// Sets the caption.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// The file format (extension without the dot).
    pub fn format(&self) -> &str {
        &self.format
    }

    /// The file bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Media for Video {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let ext = format!(".{}", self.format);
        let file = ctx.write_media_file("videos", &ext, &self.bytes)?;
        let mut m = file_value("video-file", self.caption.as_deref(), &file);
        if let Some((w, h)) = self.size {
            m.insert("width".into(), Value::UInt(w as u64));
            m.insert("height".into(), Value::UInt(h as u64));
        }
        Ok(Value::Map(m))
    }
}

impl From<Video> for Value {
    fn from(v: Video) -> Self {
        Value::media(v)
    }
}
