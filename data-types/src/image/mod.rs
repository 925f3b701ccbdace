//! `wandb.Image`: a PNG (or JPEG/GIF file) under `media/images/`, with an
//! optional caption, segmentation masks and bounding boxes.

mod convert;
mod list;
mod overlays;

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageEncoder};
use wandb_core::{Map, Media, MediaContext, MediaFile, Value};

pub use convert::FloatScaling;
pub use list::{Images, MAX_IMAGES};
pub use overlays::{BoundingBoxes, BoxData, BoxPosition, ImageMask};

use crate::error::{Error, Result};
use crate::file_value::file_value;

/// Largest width or height accepted (the limit of the official client's PIL backend).
pub const MAX_DIMENSION: u32 = 65_500;

/// An image value: `{"caption"?,"_type":"image-file","sha256","size","path","format","width","height"}`
/// plus `masks`/`boxes` when set.
///
/// The pixels are encoded (PNG by default) when the `Image` is built, on the
/// caller's thread, so that errors surface there; the file is written when
/// the value is logged.
///
/// ```
/// use wandb_data_types::Image;
/// let mut rgb = vec![0u8; 6 * 4 * 3];
/// rgb[(1 * 6 + 2) * 3] = 255; // a red dot at x=2, y=1
/// let img = Image::from_rgb8(6, 4, &rgb).unwrap().caption("red dot");
/// assert_eq!((img.width(), img.height(), img.format()), (6, 4, "png"));
/// ```
#[derive(Clone)]
pub struct Image {
    bytes: Arc<[u8]>,
    format: String,
    extension: String,
    width: u32,
    height: u32,
    caption: Option<String>,
    grouping: Option<i64>,
    masks: Vec<(String, ImageMask)>,
    boxes: Vec<(String, BoundingBoxes)>,
    classes: Vec<(i64, String)>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .field("caption", &self.caption)
            .field("masks", &self.masks.len())
            .field("boxes", &self.boxes.len())
            .finish()
    }
}

fn check_dims(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidDimensions {
            width,
            height,
            reason: "width and height must be at least 1",
        });
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Error::InvalidDimensions {
            width,
            height,
            reason: "width and height must be at most 65500 (the official client's limit); resize the image",
        });
    }
    Ok(())
}

fn color_type(channels: u8) -> Result<ExtendedColorType> {
    match channels {
        1 => Ok(ExtendedColorType::L8),
        3 => Ok(ExtendedColorType::Rgb8),
        4 => Ok(ExtendedColorType::Rgba8),
        c => Err(Error::Invalid(format!(
            "images need 1 (gray), 3 (RGB) or 4 (RGBA) channels, got {c}; convert the buffer first"
        ))),
    }
}

/// Encodes 8-bit pixels as PNG with fast compression (adaptive filtering).
pub(crate) fn encode_png(
    width: u32,
    height: u32,
    pixels: &[u8],
    color: ExtendedColorType,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(pixels.len() / 2 + 128);
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(pixels, width, height, color)?;
    Ok(out)
}

impl Image {
    /// An image from 8-bit pixels, row-major, `channels` interleaved values
    /// per pixel (1 = gray, 3 = RGB, 4 = RGBA).
    pub fn from_u8(width: u32, height: u32, channels: u8, pixels: &[u8]) -> Result<Self> {
        check_dims(width, height)?;
        let color = color_type(channels)?;
        let expected = width as usize * height as usize * channels as usize;
        if pixels.len() != expected {
            return Err(Error::ShapeMismatch {
                what: "Image::from_u8",
                expected,
                actual: pixels.len(),
            });
        }
        let png = encode_png(width, height, pixels, color)?;
        Ok(Self::from_encoded(png, "png", width, height))
    }

    /// A grayscale image from 8-bit pixels.
    pub fn from_gray8(width: u32, height: u32, pixels: &[u8]) -> Result<Self> {
        Self::from_u8(width, height, 1, pixels)
    }

    /// An RGB image from 8-bit pixels (`width * height * 3` values).
    pub fn from_rgb8(width: u32, height: u32, pixels: &[u8]) -> Result<Self> {
        Self::from_u8(width, height, 3, pixels)
    }

    /// An RGBA image from 8-bit pixels (`width * height * 4` values).
    pub fn from_rgba8(width: u32, height: u32, pixels: &[u8]) -> Result<Self> {
        Self::from_u8(width, height, 4, pixels)
    }

    /// An image from `f32` pixels, scaled with [`FloatScaling::Auto`]
    /// (`[0, 1]` data times 255, negative data min-max normalised).
    pub fn from_f32(width: u32, height: u32, channels: u8, pixels: &[f32]) -> Result<Self> {
        Self::from_f32_scaled(width, height, channels, pixels, FloatScaling::Auto)
    }

    /// An image from `f32` pixels with an explicit [`FloatScaling`].
    pub fn from_f32_scaled(
        width: u32,
        height: u32,
        channels: u8,
        pixels: &[f32],
        scaling: FloatScaling,
    ) -> Result<Self> {
        let v: Vec<f64> = pixels.iter().map(|&x| x as f64).collect();
        Self::from_f64_scaled(width, height, channels, &v, scaling)
    }

    /// An image from `f64` pixels, scaled with [`FloatScaling::Auto`].
    pub fn from_f64(width: u32, height: u32, channels: u8, pixels: &[f64]) -> Result<Self> {
        Self::from_f64_scaled(width, height, channels, pixels, FloatScaling::Auto)
    }

    /// An image from `f64` pixels with an explicit [`FloatScaling`].
    pub fn from_f64_scaled(
        width: u32,
        height: u32,
        channels: u8,
        pixels: &[f64],
        scaling: FloatScaling,
    ) -> Result<Self> {
        let expected = width as usize * height as usize * channels as usize;
        if pixels.len() != expected {
            return Err(Error::ShapeMismatch {
                what: "Image::from_f64",
                expected,
                actual: pixels.len(),
            });
        }
        let u8s = convert::floats_to_u8(pixels, scaling);
        Self::from_u8(width, height, channels, &u8s)
    }

    /// An image from an `image::DynamicImage`; gray, RGB and RGBA images are
    /// kept, gray+alpha becomes RGBA and 16-bit/float images become 8-bit.
    pub fn from_dynamic(img: &DynamicImage) -> Result<Self> {
        let (w, h) = (img.width(), img.height());
        match img {
            DynamicImage::ImageLuma8(b) => Self::from_u8(w, h, 1, b.as_raw()),
            DynamicImage::ImageRgb8(b) => Self::from_u8(w, h, 3, b.as_raw()),
            DynamicImage::ImageRgba8(b) => Self::from_u8(w, h, 4, b.as_raw()),
            DynamicImage::ImageLuma16(_) => Self::from_u8(w, h, 1, img.to_luma8().as_raw()),
            other if other.color().has_alpha() => Self::from_u8(w, h, 4, other.to_rgba8().as_raw()),
            other => Self::from_u8(w, h, 3, other.to_rgb8().as_raw()),
        }
    }

    /// An existing PNG, JPEG or GIF file, stored byte for byte; `format` is
    /// the file's extension (as the official client reports it).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let p = path.as_ref();
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_owned();
        let (width, height) = image::ImageReader::new(Cursor::new(&bytes))
            .with_guessed_format()
            .map_err(|e| Error::io(p, e))?
            .into_dimensions()?;
        check_dims(width, height)?;
        let mut img = Self::from_encoded(bytes, &ext, width, height);
        img.extension = format!(".{ext}");
        Ok(img)
    }

    fn from_encoded(bytes: Vec<u8>, format: &str, width: u32, height: u32) -> Self {
        Image {
            bytes: bytes.into(),
            format: format.to_owned(),
            extension: format!(".{format}"),
            width,
            height,
            caption: None,
            grouping: None,
            masks: Vec::new(),
            boxes: Vec::new(),
            classes: Vec::new(),
        }
    }

    /// Re-encodes the image as JPEG (`file_type="jpg"` in the official
    /// client; `quality` 1..=100, PIL's default is 75). An alpha channel is
    /// dropped, as the official client does.
    pub fn into_jpeg(mut self, quality: u8) -> Result<Self> {
        let img = image::load_from_memory(&self.bytes)?;
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
            .encode_image(&rgb)?;
        self.bytes = out.into();
        self.format = "jpg".into();
        self.extension = ".jpg".into();
        Ok(self)
    }

    /// Sets the caption shown under the image.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// Sets the (legacy) `grouping` number.
    pub fn grouping(mut self, grouping: i64) -> Self {
        self.grouping = Some(grouping);
        self
    }

    /// Adds a segmentation mask layer (e.g. `"predictions"`, `"ground_truth"`).
    pub fn mask(mut self, layer: impl Into<String>, mask: ImageMask) -> Result<Self> {
        if mask.width() != self.width || mask.height() != self.height {
            return Err(Error::Invalid(format!(
                "mask is {}x{} but the image is {}x{}; masks must have the image's size",
                mask.width(),
                mask.height(),
                self.width,
                self.height
            )));
        }
        self.masks.push((layer.into(), mask));
        Ok(self)
    }

    /// Adds a bounding-box layer (e.g. `"predictions"`).
    pub fn boxes(mut self, layer: impl Into<String>, boxes: BoundingBoxes) -> Self {
        self.boxes.push((layer.into(), boxes));
        self
    }

    /// Sets class ids and names (`classes=[{"id":..,"name":..}]`); the UI
    /// uses them with masks and boxes.
    pub fn classes<S: Into<String>>(mut self, classes: impl IntoIterator<Item = (i64, S)>) -> Self {
        self.classes = classes.into_iter().map(|(i, s)| (i, s.into())).collect();
        self
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The `format` value (`"png"`, `"jpg"`, or a file's extension).
    pub fn format(&self) -> &str {
        &self.format
    }

    /// The encoded file bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The caption, if set.
    pub fn caption_text(&self) -> Option<&str> {
        self.caption.as_deref()
    }

    pub(crate) fn extension(&self) -> &str {
        &self.extension
    }

    pub(crate) fn has_overlays(&self) -> bool {
        !self.masks.is_empty() || !self.boxes.is_empty()
    }

    /// Writes the image file only.
    pub(crate) fn write_file(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<MediaFile> {
        ctx.write_media_file("images", &self.extension, &self.bytes)
    }

    /// Writes mask files and returns `{"<layer>": {"_type":"mask",...}}`.
    pub(crate) fn write_masks(
        &self,
        ctx: &mut MediaContext<'_>,
    ) -> wandb_core::Result<Option<Map>> {
        if self.masks.is_empty() {
            return Ok(None);
        }
        let mut m = Map::new();
        for (layer, mask) in &self.masks {
            m.insert(layer.clone(), mask.materialize_layer(ctx, layer)?);
        }
        Ok(Some(m))
    }

    /// Writes box files and returns `{"<layer>": {"_type":"boxes2D",...}}`.
    pub(crate) fn write_boxes(
        &self,
        ctx: &mut MediaContext<'_>,
    ) -> wandb_core::Result<Option<Map>> {
        if self.boxes.is_empty() {
            return Ok(None);
        }
        let mut m = Map::new();
        for (layer, b) in &self.boxes {
            m.insert(layer.clone(), b.materialize_layer(ctx, layer)?);
        }
        Ok(Some(m))
    }

    /// The JSON of an image inside a table artifact:
    /// `{"_type","caption"?,"format","height","path","sha256","width"}`.
    pub(crate) fn artifact_cell(&self, path: &str, sha256: &str) -> crate::pyjson::Py {
        use crate::pyjson::Py;
        let mut d = vec![("_type".to_owned(), Py::s("image-file"))];
        if let Some(c) = &self.caption {
            d.push(("caption".into(), Py::s(c.clone())));
        }
        d.push(("format".into(), Py::s(self.format.clone())));
        d.push(("height".into(), Py::Int(self.height as i64)));
        d.push(("path".into(), Py::s(path)));
        d.push(("sha256".into(), Py::s(sha256)));
        d.push(("width".into(), Py::Int(self.width as i64)));
        Py::Dict(d)
    }
}

impl Media for Image {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let file = self.write_file(ctx)?;
        let mut m = file_value("image-file", self.caption.as_deref(), &file);
        m.insert("format".into(), Value::from(self.format.as_str()));
        m.insert("width".into(), Value::UInt(self.width as u64));
        m.insert("height".into(), Value::UInt(self.height as u64));
        if let Some(g) = self.grouping.filter(|g| *g != 0) {
            m.insert("grouping".into(), Value::Int(g));
        }
        if let Some(b) = self.write_boxes(ctx)? {
            m.insert("boxes".into(), Value::Map(b));
        }
        if let Some(k) = self.write_masks(ctx)? {
            m.insert("masks".into(), Value::Map(k));
        }
        Ok(Value::Map(m))
    }
}

impl From<Image> for Value {
    fn from(i: Image) -> Self {
        Value::media(i)
    }
}
