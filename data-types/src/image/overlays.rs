//! Segmentation masks and bounding boxes attached to an [`super::Image`].
//!
//! Files and JSON follow the official client: a mask is an 8-bit gray PNG
//! under `media/images/mask/<key>_<step>_<sha20>.mask.png` with value
//! `{"_type":"mask","sha256","size","path"}`; a box layer is a JSON file
//! `{"box_data":[...],"class_labels":{...}}` under
//! `media/metadata/boxes2D/<key>_<step>_<sha20>.boxes2D.json` with value
//! `{"_type":"boxes2D","sha256","size","path"}`. The class labels of each
//! layer also go into the config at
//! `_wandb.mask/class_labels.<key>_wandb_delimeter_<layer>` (or
//! `bounding_box/class_labels`), spelled as the official client spells it.

use std::collections::BTreeSet;
use std::sync::Arc;

use image::ExtendedColorType;
use wandb_core::{Map, MediaContext, Value};

use crate::error::{Error, Result};
use crate::file_value::file_value;
use crate::pyjson::Py;

fn labels_value(labels: &[(i64, String)]) -> Value {
    let mut m = Map::new();
    for (id, name) in labels {
        m.insert(id.to_string(), Value::from(name.as_str()));
    }
    Value::Map(m)
}

fn emit_class_labels(
    ctx: &mut MediaContext<'_>,
    kind: &str,
    layer: &str,
    labels: &[(i64, String)],
) -> wandb_core::Result<()> {
    let key = format!("{}_wandb_delimeter_{layer}", ctx.key());
    let mut v = Map::new();
    v.insert("type".into(), Value::from(kind));
    v.insert("key".into(), Value::from(key.as_str()));
    v.insert("value".into(), labels_value(labels));
    ctx.update_config(&["_wandb", kind, &key], &Value::Map(v))
}

fn default_labels(ids: impl IntoIterator<Item = i64>) -> Vec<(i64, String)> {
    let set: BTreeSet<i64> = ids.into_iter().collect();
    set.into_iter().map(|c| (c, format!("class_{c}"))).collect()
}

/// A segmentation mask: one class id (0..=255) per pixel.
///
/// ```
/// use wandb_data_types::ImageMask;
/// let mask = ImageMask::new(2, 1, &[0, 1], [(0, "bg"), (1, "cat")]).unwrap();
/// assert_eq!(mask.width(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct ImageMask {
    png: Arc<[u8]>,
    width: u32,
    height: u32,
    class_labels: Vec<(i64, String)>,
}

impl ImageMask {
    /// A mask from row-major class ids with readable class names; with no
    /// names, every id present gets `class_<id>` as the official client does.
    pub fn new<S: Into<String>>(
        width: u32,
        height: u32,
        class_ids: &[u8],
        class_labels: impl IntoIterator<Item = (i64, S)>,
    ) -> Result<Self> {
        let expected = width as usize * height as usize;
        if class_ids.len() != expected || expected == 0 {
            return Err(Error::ShapeMismatch {
                what: "ImageMask::new",
                expected,
                actual: class_ids.len(),
            });
        }
        let mut labels: Vec<(i64, String)> = class_labels
            .into_iter()
            .map(|(i, s)| (i, s.into()))
            .collect();
        if labels.is_empty() {
            labels = default_labels(class_ids.iter().map(|&c| c as i64));
        }
        let png = super::encode_png(width, height, class_ids, ExtendedColorType::L8)?;
        Ok(ImageMask {
            png: png.into(),
            width,
            height,
            class_labels: labels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The class id -> name mapping.
    pub fn class_labels(&self) -> &[(i64, String)] {
        &self.class_labels
    }

    pub(crate) fn materialize_layer(
        &self,
        ctx: &mut MediaContext<'_>,
        layer: &str,
    ) -> wandb_core::Result<Value> {
        let file = ctx.write_media_file("images/mask", ".mask.png", &self.png)?;
        emit_class_labels(ctx, "mask/class_labels", layer, &self.class_labels)?;
        Ok(Value::Map(file_value("mask", None, &file)))
    }
}

/// Where a box is, in `"domain"` coordinates (fractions of the image by
/// default, pixels with [`BoxData::pixel_domain`]).
#[derive(Debug, Clone, PartialEq)]
pub enum BoxPosition {
    /// `{"minX","maxX","minY","maxY"}`.
    MinMax {
        /// Left.
        min_x: f64,
        /// Right.
        max_x: f64,
        /// Top.
        min_y: f64,
        /// Bottom.
        max_y: f64,
    },
    /// `{"middle":[x,y],"width","height"}`.
    Middle {
        /// Centre `[x, y]`.
        middle: [f64; 2],
        /// Box width.
        width: f64,
        /// Box height.
        height: f64,
    },
}

/// One bounding box.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxData {
    position: BoxPosition,
    class_id: i64,
    pixel_domain: bool,
    caption: Option<String>,
    scores: Vec<(String, f64)>,
}

impl BoxData {
    /// A box of class `class_id`.
    pub fn new(position: BoxPosition, class_id: i64) -> Self {
        BoxData {
            position,
            class_id,
            pixel_domain: false,
            caption: None,
            scores: Vec::new(),
        }
    }

    /// Coordinates are pixels (`"domain":"pixel"`) instead of fractions.
    pub fn pixel_domain(mut self) -> Self {
        self.pixel_domain = true;
        self
    }

    /// The label drawn on the box (`box_caption`).
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// Adds a named score (e.g. `("confidence", 0.9)`).
    pub fn score(mut self, name: impl Into<String>, value: f64) -> Self {
        self.scores.push((name.into(), value));
        self
    }

    fn to_py(&self) -> Py {
        let position = match &self.position {
            BoxPosition::MinMax {
                min_x,
                max_x,
                min_y,
                max_y,
            } => Py::dict([
                ("minX", Py::Float(*min_x)),
                ("maxX", Py::Float(*max_x)),
                ("minY", Py::Float(*min_y)),
                ("maxY", Py::Float(*max_y)),
            ]),
            BoxPosition::Middle {
                middle,
                width,
                height,
            } => Py::dict([
                (
                    "middle",
                    Py::List(vec![Py::Float(middle[0]), Py::Float(middle[1])]),
                ),
                ("width", Py::Float(*width)),
                ("height", Py::Float(*height)),
            ]),
        };
        let mut d = vec![("position".to_owned(), position)];
        if self.pixel_domain {
            d.push(("domain".into(), Py::s("pixel")));
        }
        d.push(("class_id".into(), Py::Int(self.class_id)));
        if let Some(c) = &self.caption {
            d.push(("box_caption".into(), Py::s(c.clone())));
        }
        if !self.scores.is_empty() {
            d.push((
                "scores".into(),
                Py::Dict(
                    self.scores
                        .iter()
                        .map(|(k, v)| (k.clone(), Py::Float(*v)))
                        .collect(),
                ),
            ));
        }
        Py::Dict(d)
    }
}

/// A layer of bounding boxes with class names.
///
/// ```
/// use wandb_data_types::{BoundingBoxes, BoxData, BoxPosition};
/// let boxes = BoundingBoxes::new(
///     vec![BoxData::new(BoxPosition::MinMax { min_x: 0.1, max_x: 0.5, min_y: 0.2, max_y: 0.6 }, 1)
///         .caption("cat")
///         .score("acc", 0.9)],
///     [(1, "cat")],
/// );
/// assert_eq!(boxes.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct BoundingBoxes {
    boxes: Vec<BoxData>,
    class_labels: Vec<(i64, String)>,
    explicit_labels: bool,
}

impl BoundingBoxes {
    /// Boxes with class names; with no names, every class id present gets
    /// `class_<id>` (and the file omits `class_labels`, as the official
    /// client does).
    pub fn new<S: Into<String>>(
        boxes: Vec<BoxData>,
        class_labels: impl IntoIterator<Item = (i64, S)>,
    ) -> Self {
        let labels: Vec<(i64, String)> = class_labels
            .into_iter()
            .map(|(i, s)| (i, s.into()))
            .collect();
        let explicit = !labels.is_empty();
        let labels = if explicit {
            labels
        } else {
            default_labels(boxes.iter().map(|b| b.class_id))
        };
        BoundingBoxes {
            boxes,
            class_labels: labels,
            explicit_labels: explicit,
        }
    }

    /// Number of boxes.
    pub fn len(&self) -> usize {
        self.boxes.len()
    }

    /// Whether there is no box.
    pub fn is_empty(&self) -> bool {
        self.boxes.is_empty()
    }

    fn file_json(&self) -> String {
        let mut d = vec![(
            "box_data".to_owned(),
            Py::List(self.boxes.iter().map(BoxData::to_py).collect()),
        )];
        if self.explicit_labels {
            d.push((
                "class_labels".into(),
                Py::Dict(
                    self.class_labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), Py::s(v.clone())))
                        .collect(),
                ),
            ));
        }
        Py::Dict(d).to_compact()
    }

    pub(crate) fn materialize_layer(
        &self,
        ctx: &mut MediaContext<'_>,
        layer: &str,
    ) -> wandb_core::Result<Value> {
        let json = self.file_json();
        let file = ctx.write_media_file("metadata/boxes2D", ".boxes2D.json", json.as_bytes())?;
        emit_class_labels(ctx, "bounding_box/class_labels", layer, &self.class_labels)?;
        Ok(Value::Map(file_value("boxes2D", None, &file)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_file_matches_official_layout() {
        // Same content as the oracle run's boxes2D file except that Python
        // kept the user's ints (`"middle":[3,2]`); here coordinates are floats.
        let b = BoundingBoxes::new(
            vec![
                BoxData::new(
                    BoxPosition::MinMax {
                        min_x: 0.1,
                        max_x: 0.5,
                        min_y: 0.2,
                        max_y: 0.6,
                    },
                    1,
                )
                .caption("cat")
                .score("acc", 0.9),
                BoxData::new(
                    BoxPosition::Middle {
                        middle: [3.5, 2.5],
                        width: 2.5,
                        height: 1.5,
                    },
                    2,
                )
                .pixel_domain(),
            ],
            [(1, "cat"), (2, "dog")],
        );
        assert_eq!(
            b.file_json(),
            r#"{"box_data":[{"position":{"minX":0.1,"maxX":0.5,"minY":0.2,"maxY":0.6},"class_id":1,"box_caption":"cat","scores":{"acc":0.9}},{"position":{"middle":[3.5,2.5],"width":2.5,"height":1.5},"domain":"pixel","class_id":2}],"class_labels":{"1":"cat","2":"dog"}}"#
        );
    }

    #[test]
    fn default_labels_cover_present_classes() {
        let m = ImageMask::new(3, 1, &[2, 0, 2], Vec::<(i64, String)>::new()).unwrap();
        assert_eq!(
            m.class_labels(),
            &[(0, "class_0".to_owned()), (2, "class_2".to_owned())]
        );
        assert!(ImageMask::new(2, 2, &[0], [(0, "a")]).is_err());
    }
}
