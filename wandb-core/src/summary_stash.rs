//! The last committed row, kept as the pending summary update.
//!
//! Updating the summary leaf by leaf costs a map update per value per row.
//! Instead the writer keeps the last row as is; the next row with the same
//! flat layout (same top-level keys in the same order, no maps, no nulls)
//! simply replaces it. Anything else folds it into the changed-leaves map
//! first, so the summary still ends up with the last value of every leaf,
//! in message order.

use crate::history_encode::for_each_leaf;
use crate::row_pool::{self, Items};
use crate::summary_dirty::{join_path, DirtySummary};
use crate::value::Value;

/// A committed row (and its step, runtime, timestamp) not yet applied to
/// the summary.
#[derive(Default)]
pub(crate) struct SummaryStash {
    row: Items,
    /// Whether `row` has only top-level, non-null, non-map values.
    flat: bool,
    /// `_step`, `_runtime`, `_timestamp` of the last row.
    meta: Option<(u64, f64, f64)>,
    key_buf: String,
}

impl SummaryStash {
    /// Keeps `_step`, `_runtime`, `_timestamp` of the latest row.
    pub(crate) fn set_meta(&mut self, step: u64, runtime: f64, timestamp: f64) {
        self.meta = Some((step, runtime, timestamp));
    }

    /// Keeps `items` as the pending update, folding the previous row into
    /// `dirty` first unless `items` has the same flat layout.
    pub(crate) fn stash(
        &mut self,
        items: Items,
        dirty: &mut DirtySummary,
        spares: &mut Vec<Items>,
    ) {
        let flat = items
            .iter()
            .all(|(_, v)| !matches!(v, Value::Map(_) | Value::Null));
        let same_layout = flat
            && self.flat
            && self.row.len() == items.len()
            && self.row.iter().zip(&items).all(|((a, _), (b, _))| a == b);
        if !same_layout {
            self.fold(dirty, spares);
        }
        let old = std::mem::replace(&mut self.row, items);
        row_pool::recycle(old, spares);
        self.flat = flat;
    }

    /// Applies the stashed row and step/runtime/timestamp to `dirty`. Called
    /// before anything else touches the summary, to keep the order.
    pub(crate) fn fold(&mut self, dirty: &mut DirtySummary, spares: &mut Vec<Items>) {
        let row = std::mem::take(&mut self.row);
        let key_buf = &mut self.key_buf;
        for (key, value) in &row {
            for_each_leaf(key, value, &mut |path, v| {
                if v.is_null() {
                    return;
                }
                join_path(path, key_buf);
                dirty.set(key_buf, Some(v.clone()));
            });
        }
        if let Some((step, runtime, timestamp)) = self.meta.take() {
            dirty.set_at(0, "_step", Some(Value::UInt(step)));
            dirty.set_at(1, "_runtime", Some(Value::Float(runtime)));
            dirty.set_at(2, "_timestamp", Some(Value::Float(timestamp)));
        }
        row_pool::recycle(row, spares);
    }
}
