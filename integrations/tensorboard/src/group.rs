//! Groups the events of one file into W&B history rows, as the official
//! client does: consecutive events with the same step become one row.

use wandb_core::{Row, Value};

use crate::convert::{Converter, TbValue};
use crate::proto::Event;

/// One W&B history row made from consecutive events of one file with the
/// same step.
#[derive(Debug, Clone, PartialEq)]
pub struct TbRow {
    /// The TensorBoard step (logged as `global_step`).
    pub step: i64,
    /// `wall_time` of the group's last event (logged as `_timestamp`).
    pub wall_time: f64,
    /// `<namespace>/<tag>` and converted value, in event order (a later
    /// value of the same key replaces an earlier one).
    pub values: Vec<(String, TbValue)>,
}

impl TbRow {
    /// The row to log: the values, `global_step` and `_timestamp`.
    pub fn into_row(self) -> Row {
        let mut row = Row::with_capacity(self.values.len() + 2);
        for (key, value) in self.values {
            let v = value.into_value(&key);
            row.insert(key, v);
        }
        row.insert("global_step", Value::Int(self.step));
        row.insert("_timestamp", Value::Float(self.wall_time));
        row
    }
}

/// Turns the events of one file, in order, into [`TbRow`]s.
#[derive(Debug, Default)]
pub struct StepGrouper {
    converter: Converter,
    pending: Option<TbRow>,
}

impl StepGrouper {
    /// A grouper for a file whose keys get `namespace` as prefix.
    pub fn new(namespace: impl Into<String>) -> Self {
        StepGrouper {
            converter: Converter::new(namespace),
            pending: None,
        }
    }

    /// The namespace of the keys.
    pub fn namespace(&self) -> &str {
        self.converter.namespace()
    }

    /// Adds the next event; returns the previous group's row when this event
    /// starts a new step (groups without values are dropped).
    pub fn push(&mut self, event: &Event) -> Option<TbRow> {
        let values = self.converter.convert(event);
        let done = match &self.pending {
            Some(p) if p.step != event.step => self.finish(),
            _ => None,
        };
        let group = self.pending.get_or_insert_with(|| TbRow {
            step: event.step,
            wall_time: event.wall_time,
            values: Vec::new(),
        });
        group.wall_time = event.wall_time;
        for (k, v) in values {
            match group.values.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => group.values.push((k, v)),
            }
        }
        done
    }

    /// Ends the current group (at the end of the file or of the sync).
    pub fn finish(&mut self) -> Option<TbRow> {
        self.pending.take().filter(|r| !r.values.is_empty())
    }

    /// Whether a group is waiting for a different step or [`Self::finish`].
    pub fn has_pending(&self) -> bool {
        self.pending.as_ref().is_some_and(|r| !r.values.is_empty())
    }
}
