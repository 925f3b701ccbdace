//! Converts TensorBoard events into W&B history values the way the official
//! client (wandb-core's TensorBoard sync) does.
//!
//! - scalars (`simple_value`, or a scalar tensor of the `scalars` plugin)
//!   become numbers (`f32` values stay [`Value::Float32`]);
//! - histograms (a `[k, 3]` tensor of the `histograms` plugin, or a legacy
//!   `HistogramProto`) become `{"_type":"histogram","values","bins"}`,
//!   re-binned to at most 512 bins;
//! - images (legacy `Summary.Image`, or a `[width, height, png...]` string
//!   tensor of the `images` plugin) become `images/separated` values with
//!   their PNG files under `media/images/`;
//! - PR curves (a `[6, N]` tensor of the `pr_curves` plugin) become a table
//!   of `recall`, `precision` plus a chart in the config.
//!
//! The plugin of a tag is remembered: TensorBoard writes the metadata only
//! with the first value of each tag.

use std::collections::HashMap;

use wandb_core::{Map, Media, MediaContext, Value};

use crate::histogram::{self, Bins, MAX_BINS};
use crate::proto::{event, summary, DataType, Event, TensorProto};
use crate::tensor;
use crate::writer::png_info;

/// One converted summary value.
#[derive(Debug, Clone, PartialEq)]
pub enum TbValue {
    /// A number.
    Scalar(ScalarValue),
    /// A histogram in W&B's layout (at most 512 bins).
    Histogram(Bins),
    /// One or more PNG images.
    Images(Vec<TbImage>),
    /// A precision/recall curve.
    PrCurve {
        /// Recall per threshold.
        recall: Vec<f64>,
        /// Precision per threshold.
        precision: Vec<f64>,
    },
}

/// A scalar keeping the precision it was logged with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScalarValue {
    /// A single-precision value (`simple_value`, `DT_FLOAT`).
    F32(f32),
    /// A double.
    F64(f64),
    /// An integer.
    Int(i64),
}

impl From<ScalarValue> for Value {
    fn from(s: ScalarValue) -> Value {
        match s {
            ScalarValue::F32(v) => Value::Float32(v),
            ScalarValue::F64(v) => Value::Float(v),
            ScalarValue::Int(v) => Value::Int(v),
        }
    }
}

/// A PNG image taken from an event.
#[derive(Debug, Clone, PartialEq)]
pub struct TbImage {
    /// The PNG bytes.
    pub png: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Converts the summary values of events, remembering each tag's plugin.
#[derive(Debug, Default, Clone)]
pub struct Converter {
    namespace: String,
    plugin_by_tag: HashMap<String, String>,
}

impl Converter {
    /// A converter whose keys are `<namespace>/<tag>` (just `<tag>` when the
    /// namespace is empty).
    pub fn new(namespace: impl Into<String>) -> Self {
        Converter {
            namespace: namespace.into(),
            plugin_by_tag: HashMap::new(),
        }
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The W&B key of a tag.
    pub fn key(&self, tag: &str) -> String {
        if self.namespace.is_empty() {
            tag.to_owned()
        } else {
            format!("{}/{tag}", self.namespace)
        }
    }

    /// The converted values of an event's summary, keyed `<namespace>/<tag>`,
    /// in the order they appear. Values of unknown plugins or that cannot be
    /// converted are left out (and logged at debug level).
    pub fn convert(&mut self, event: &Event) -> Vec<(String, TbValue)> {
        let Some(event::What::Summary(s)) = &event.what else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(s.value.len());
        for v in &s.value {
            if v.tag.is_empty() {
                continue;
            }
            let key = self.key(&v.tag);
            let plugin = match v.metadata.as_ref().and_then(|m| m.plugin_data.as_ref()) {
                Some(p) if !p.plugin_name.is_empty() => {
                    self.plugin_by_tag
                        .insert(key.clone(), p.plugin_name.clone());
                    p.plugin_name.as_str()
                }
                _ => self
                    .plugin_by_tag
                    .get(&key)
                    .map(String::as_str)
                    .unwrap_or(""),
            };
            match convert_value(plugin, v) {
                Some(c) => out.push((key, c)),
                None => tracing::debug!(key, plugin, "tensorboard: value not converted"),
            }
        }
        out
    }
}

fn convert_value(plugin: &str, v: &summary::Value) -> Option<TbValue> {
    use summary::value::Value as V;
    match (plugin, v.value.as_ref()?) {
        ("", V::SimpleValue(x)) => Some(TbValue::Scalar(ScalarValue::F32(*x))),
        ("", V::Histo(h)) => {
            histogram::from_proto(h).map(|b| TbValue::Histogram(histogram::rebin(b, MAX_BINS)))
        }
        ("", V::Image(img)) => Some(TbValue::Images(vec![TbImage {
            png: img.encoded_image_string.clone(),
            width: img.width.max(0) as u32,
            height: img.height.max(0) as u32,
        }])),
        ("scalars", V::SimpleValue(x)) => Some(TbValue::Scalar(ScalarValue::F32(*x))),
        ("scalars", V::Tensor(t)) => scalar_of(t).map(TbValue::Scalar),
        ("histograms", V::Tensor(t)) => histogram_of_tensor(t).map(TbValue::Histogram),
        ("histograms", V::Histo(h)) => {
            histogram::from_proto(h).map(|b| TbValue::Histogram(histogram::rebin(b, MAX_BINS)))
        }
        ("images", V::Tensor(t)) => images_of_tensor(t).map(TbValue::Images),
        ("images", V::Image(img)) => convert_value(
            "",
            &summary::Value {
                value: Some(V::Image(img.clone())),
                ..Default::default()
            },
        ),
        ("pr_curves", V::Tensor(t)) => pr_curve_of(t),
        _ => None,
    }
}

fn scalar_of(t: &TensorProto) -> Option<ScalarValue> {
    let dtype = DataType::try_from(t.dtype).ok()?;
    let v = tensor::values_f64(t)?;
    let x = *v.first()?;
    Some(match dtype {
        DataType::DtFloat | DataType::DtHalf | DataType::DtBfloat16 => ScalarValue::F32(x as f32),
        DataType::DtDouble => ScalarValue::F64(x),
        _ => ScalarValue::Int(x as i64),
    })
}

fn histogram_of_tensor(t: &TensorProto) -> Option<Bins> {
    let v = tensor::values_f64(t)?;
    let rows: Vec<[f64; 3]> = v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    let b = histogram::from_rows(&rows)?;
    Some(histogram::rebin(b, MAX_BINS))
}

fn images_of_tensor(t: &TensorProto) -> Option<Vec<TbImage>> {
    let s = &t.string_val;
    if s.len() < 3 {
        return None;
    }
    let parse = |b: &[u8]| std::str::from_utf8(b).ok()?.trim().parse::<u32>().ok();
    let (w, h) = (parse(&s[0]), parse(&s[1]));
    let images: Vec<TbImage> = s[2..]
        .iter()
        .filter_map(|png| {
            let (pw, ph, _) = png_info(png).unzip3();
            Some(TbImage {
                png: png.clone(),
                width: w.or(pw)?,
                height: h.or(ph)?,
            })
        })
        .collect();
    (!images.is_empty()).then_some(images)
}

trait Unzip3 {
    fn unzip3(self) -> (Option<u32>, Option<u32>, Option<u8>);
}

impl Unzip3 for Option<(u32, u32, u8)> {
    fn unzip3(self) -> (Option<u32>, Option<u32>, Option<u8>) {
        match self {
            Some((a, b, c)) => (Some(a), Some(b), Some(c)),
            None => (None, None, None),
        }
    }
}

fn pr_curve_of(t: &TensorProto) -> Option<TbValue> {
    let dims = tensor::shape(t);
    let v = tensor::values_f64(t)?;
    let (rows, cols) = match dims.as_slice() {
        [r, c] if *r >= 2 && *c >= 0 => (usize::try_from(*r).ok()?, usize::try_from(*c).ok()?),
        _ => return None,
    };
    // a shape whose size overflows cannot match the values (fuzzer-found)
    if rows.checked_mul(cols) != Some(v.len()) {
        return None;
    }
    let precision = v[(rows - 2) * cols..(rows - 1) * cols].to_vec();
    let recall = v[(rows - 1) * cols..].to_vec();
    Some(TbValue::PrCurve { recall, precision })
}

impl TbValue {
    /// The value to log under `key`: numbers as they are, histograms as a
    /// map, images and PR curves as media objects that write their files
    /// when the row is written.
    pub fn into_value(self, key: &str) -> Value {
        match self {
            TbValue::Scalar(s) => s.into(),
            TbValue::Histogram(b) => histogram_value(&b),
            TbValue::Images(images) => Value::media(TbImagesMedia { images }),
            TbValue::PrCurve { recall, precision } => Value::media(TbPrCurveMedia {
                chart_key: key.to_owned(),
                recall,
                precision,
            }),
        }
    }
}

/// `{"_type":"histogram","values":[...],"bins":[...]}`.
pub fn histogram_value(b: &Bins) -> Value {
    let mut m = Map::with_capacity(3);
    m.insert("_type".into(), "histogram".into());
    m.insert(
        "values".into(),
        Value::List(b.counts.iter().map(|&c| Value::Float(c)).collect()),
    );
    m.insert(
        "bins".into(),
        Value::List(b.edges.iter().map(|&e| Value::Float(e)).collect()),
    );
    Value::Map(m)
}

/// A random lowercase alphanumeric id, like the official file names.
fn short_id(n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| CHARS[fastrand::usize(..CHARS.len())] as char)
        .collect()
}

/// Images converted from an event: written as `media/images/<random>.png`,
/// logged as `{"_type":"images/separated",...}`.
#[derive(Debug, Clone)]
pub struct TbImagesMedia {
    /// The images.
    pub images: Vec<TbImage>,
}

impl Media for TbImagesMedia {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let mut filenames = Vec::with_capacity(self.images.len());
        for img in &self.images {
            let f = ctx.write_file(&format!("media/images/{}.png", short_id(32)), &img.png)?;
            filenames.push(Value::Str(f.path));
        }
        let first = self.images.first();
        let mut m = Map::with_capacity(6);
        m.insert("_type".into(), "images/separated".into());
        m.insert("count".into(), Value::Int(self.images.len() as i64));
        m.insert("filenames".into(), Value::List(filenames));
        m.insert("format".into(), "png".into());
        m.insert(
            "width".into(),
            Value::Int(first.map_or(0, |i| i64::from(i.width))),
        );
        m.insert(
            "height".into(),
            Value::Int(first.map_or(0, |i| i64::from(i.height))),
        );
        Ok(Value::Map(m))
    }
}

/// A PR curve converted from an event: a `recall`/`precision` table file
/// `media/table/<random>.table.json` plus a chart config at
/// `_wandb.visualize.<key>`.
#[derive(Debug, Clone)]
pub struct TbPrCurveMedia {
    /// The key of the chart (and of the table in history).
    pub chart_key: String,
    /// Recall per threshold.
    pub recall: Vec<f64>,
    /// Precision per threshold.
    pub precision: Vec<f64>,
}

impl TbPrCurveMedia {
    /// The table file's content.
    pub fn table_json(&self) -> wandb_core::Result<String> {
        let rows = self
            .recall
            .iter()
            .zip(&self.precision)
            .map(|(&r, &p)| Value::List(vec![Value::Float(r), Value::Float(p)]))
            .collect();
        let mut m = Map::with_capacity(2);
        m.insert(
            "columns".into(),
            Value::List(vec!["recall".into(), "precision".into()]),
        );
        m.insert("data".into(), Value::List(rows));
        wandb_core::json::to_json_string(&Value::Map(m))
    }

    /// The chart config stored at `_wandb.visualize.<key>`.
    pub fn chart_config(&self) -> Value {
        let s = |x: &str| Value::Str(x.to_owned());
        let kv = |pairs: &[(&str, Value)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect(),
            )
        };
        let field = |name: &str| kv(&[("name", s(name))]);
        let query = kv(&[
            ("name", s("runSets")),
            (
                "args",
                Value::List(vec![kv(&[
                    ("name", s("runSets")),
                    ("value", s("${runSets}")),
                ])]),
            ),
            (
                "fields",
                Value::List(vec![
                    field("id"),
                    field("name"),
                    field("_defaultColorIndex"),
                    kv(&[
                        ("name", s("summaryTable")),
                        (
                            "args",
                            Value::List(vec![kv(&[
                                ("name", s("tableKey")),
                                ("value", s(&self.chart_key)),
                            ])]),
                        ),
                    ]),
                ]),
            ),
        ]);
        kv(&[
            ("panel_type", s("Vega2")),
            (
                "panel_config",
                kv(&[
                    ("panelDefId", s("wandb/line/v0")),
                    (
                        "fieldSettings",
                        kv(&[("x", s("recall")), ("y", s("precision"))]),
                    ),
                    (
                        "stringSettings",
                        kv(&[(
                            "title",
                            s(&format!("{} Precision v. Recall", self.chart_key)),
                        )]),
                    ),
                    ("transform", kv(&[("name", s("tableWithLeafColNames"))])),
                    (
                        "userQuery",
                        kv(&[("queryFields", Value::List(vec![query]))]),
                    ),
                ]),
            ),
        ])
    }
}

impl Media for TbPrCurveMedia {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let content = self.table_json()?;
        let f = ctx.write_file(
            &format!("media/table/{}.table.json", short_id(32)),
            content.as_bytes(),
        )?;
        ctx.update_config(
            &["_wandb", "visualize", &self.chart_key],
            &self.chart_config(),
        )?;
        let mut m = Map::with_capacity(6);
        m.insert("_type".into(), "table-file".into());
        m.insert("ncols".into(), Value::Int(2));
        m.insert("nrows".into(), Value::Int(self.recall.len() as i64));
        m.insert("path".into(), Value::Str(f.path));
        m.insert("sha256".into(), Value::Str(f.sha256));
        m.insert("size".into(), Value::Int(f.size as i64));
        Ok(Value::Map(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{tensor_shape_proto::Dim, TensorShapeProto};

    fn pr_tensor(rows: i64, cols: i64, values: Vec<f32>) -> TensorProto {
        TensorProto {
            dtype: DataType::DtFloat as i32,
            tensor_shape: Some(TensorShapeProto {
                dim: [rows, cols]
                    .iter()
                    .map(|&size| Dim {
                        size,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            float_val: values,
            ..Default::default()
        }
    }

    #[test]
    fn pr_curve_shape_that_overflows_is_rejected() {
        // 2^33 * 2^31 wraps to 0 = the number of values
        assert!(pr_curve_of(&pr_tensor(1 << 33, 1 << 31, Vec::new())).is_none());
        assert!(pr_curve_of(&pr_tensor(i64::MAX, 2, vec![0.0; 2])).is_none());
        let ok = pr_curve_of(&pr_tensor(2, 2, vec![0.1, 0.2, 0.3, 0.4]));
        match ok {
            Some(TbValue::PrCurve { recall, precision }) => {
                assert_eq!(precision, vec![f64::from(0.1f32), f64::from(0.2f32)]);
                assert_eq!(recall, vec![f64::from(0.3f32), f64::from(0.4f32)]);
            }
            other => panic!("{other:?}"),
        }
    }
}
