//! A list of images logged under one key (`images/separated`).

use wandb_core::{Map, Media, MediaContext, Value};

use super::Image;
use crate::error::{Error, Result};

/// The most images one `images/separated` value may hold (the official
/// client's `wandb.Image.MAX_ITEMS`).
pub const MAX_IMAGES: usize = 108;

/// Several images under one key, shown side by side:
/// `{"_type":"images/separated","width","height","format","count","filenames",`
/// `"captions"?,"all_masks"?,"all_boxes"?}`. `width`/`height`/`format` come
/// from the first image; captions are written when the first image has one.
///
/// A plain `Vec<Image>` converts to a JSON list of separate image values;
/// use `Images` for the official grouped form.
///
/// ```
/// use wandb_data_types::{Image, Images};
/// let a = Image::from_gray8(2, 2, &[0, 64, 128, 255]).unwrap();
/// let imgs = Images::new(vec![a.clone().caption("a"), a.caption("b")]).unwrap();
/// assert_eq!(imgs.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Images {
    images: Vec<Image>,
}

impl Images {
    /// Groups `images`; fails when empty or when there are more than
    /// [`MAX_IMAGES`] (log several keys or several steps instead).
    pub fn new(images: Vec<Image>) -> Result<Self> {
        if images.is_empty() {
            return Err(Error::Invalid(
                "Images::new: the list is empty; log at least one image".into(),
            ));
        }
        if images.len() > MAX_IMAGES {
            return Err(Error::Invalid(format!(
                "Images::new: {} images is more than the {MAX_IMAGES} the W&B UI shows in one value; split them over several keys or steps",
                images.len()
            )));
        }
        Ok(Images { images })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Always false (an empty list is rejected).
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The images.
    pub fn images(&self) -> &[Image] {
        &self.images
    }
}

impl Media for Images {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let first = &self.images[0];
        let mut filenames = Vec::with_capacity(self.images.len());
        let mut all_masks = Vec::new();
        let mut all_boxes = Vec::new();
        for img in &self.images {
            let file = img.write_file(ctx)?;
            filenames.push(Value::from(file.path));
            all_boxes.push(img.write_boxes(ctx)?.map_or(Value::Null, Value::Map));
            all_masks.push(img.write_masks(ctx)?.map_or(Value::Null, Value::Map));
        }
        let mut m = Map::new();
        m.insert("_type".into(), Value::from("images/separated"));
        m.insert("width".into(), Value::UInt(first.width as u64));
        m.insert("height".into(), Value::UInt(first.height as u64));
        m.insert("format".into(), Value::from(first.format.as_str()));
        m.insert("count".into(), Value::UInt(self.images.len() as u64));
        m.insert("filenames".into(), Value::List(filenames));
        if first.caption.is_some() {
            let caps = self
                .images
                .iter()
                .map(|i| i.caption.as_deref().map_or(Value::Null, Value::from))
                .collect();
            m.insert("captions".into(), Value::List(caps));
        }
        if all_masks.iter().any(|v| !v.is_null()) {
            m.insert("all_masks".into(), Value::List(all_masks));
        }
        if all_boxes.iter().any(|v| !v.is_null()) {
            m.insert("all_boxes".into(), Value::List(all_boxes));
        }
        Ok(Value::Map(m))
    }
}

impl From<Images> for Value {
    fn from(i: Images) -> Self {
        Value::media(i)
    }
}
