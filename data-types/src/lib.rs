//! Rich W&B values for wandb-rs: the Rust counterparts of `wandb.Image`,
//! `wandb.Table`, `wandb.Histogram`, `wandb.Audio`, `wandb.Video` and
//! `wandb.Html`.
//!
//! Each type implements [`wandb_core::Media`]: its file is written on the
//! run's writer thread, under `files/media/<kind>/<key>_<step>_<sha256[:20]>.<ext>`,
//! and the JSON stored in history (or the summary) is the one the official
//! client writes, so the W&B UI shows it the same way. Each converts into a
//! [`wandb_core::Value`], so it can be logged like a number:
//!
//! ```
//! use wandb_core::{row, Value};
//! use wandb_data_types::{Histogram, Image};
//! let img = Image::from_rgb8(2, 1, &[255, 0, 0, 0, 0, 255]).unwrap().caption("x");
//! let row = row! {
//!     "samples" => img,
//!     "weights" => Histogram::from_f32(&[0.1, 0.2, 0.2, 0.9]).unwrap(),
//! };
//! # let _ = row;
//! ```
//!
//! See `docs/data-types.md` for compatibility notes.
#![warn(missing_docs)]

mod audio;
mod error;
mod file_value;
mod histogram;
mod html;
mod image;
mod pyjson;
mod table;
mod video;

pub use audio::Audio;
pub use error::{Error, Result};
pub use histogram::{
    count_finite_f32, finite_min_max_f32, histc_f32, history_array, numpy_histogram,
    numpy_linspace, summary_array, summary_array_i64, torch_linspace_f32, HistFloat, Histogram,
    DEFAULT_BINS, MAX_BINS,
};
pub use html::{Html, HTML_INJECTED_HEAD};
pub use image::{
    BoundingBoxes, BoxData, BoxPosition, FloatScaling, Image, ImageMask, Images, MAX_DIMENSION,
    MAX_IMAGES,
};
pub use table::{Cell, Table, MAX_ARTIFACT_ROWS, MAX_RUN_FILE_ROWS};
pub use video::Video;
