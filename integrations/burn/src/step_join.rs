//! Joins `watch` histograms to the row of the same training step.
//!
//! burn's `Learner` runs `TrainStep::step` (where [`crate::Watcher`] logs)
//! on the training thread and hands the step's metrics to the
//! [`crate::WandbMetricLogger`] on its event thread, later. A `commit =
//! false` log from the training thread would join whichever row commits
//! next, so two watch steps could land in one row (the later overwriting
//! the earlier) or in the row of an earlier batch. Instead, while a metric
//! logger for the run exists, the watcher leaves each step's histograms
//! here under its step number, and the logger adds them to the row of that
//! training batch (`global_step` = step number).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Weak};

use parking_lot::Mutex;
use wandb_callbacks::WatchStep;
use wandb_core::{LogOptions, Row, Run};

/// The rendezvous of one run's metric logger and its watchers.
#[derive(Debug, Default)]
pub(crate) struct StepJoin {
    state: Mutex<JoinState>,
}

#[derive(Debug, Default)]
struct JoinState {
    /// Histograms waiting for the batch row of their step.
    pending: BTreeMap<u64, Row>,
    /// The last `global_step` the logger logged.
    logged_through: u64,
}

/// The join of each run that has a live metric logger (by run id).
static JOINS: LazyLock<Mutex<HashMap<String, Weak<StepJoin>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl StepJoin {
    /// Registers a join for `run`'s metric logger (which keeps the `Arc`;
    /// watchers fall back to `commit = false` once it is dropped).
    pub(crate) fn register(run: &Run) -> Arc<StepJoin> {
        let join = Arc::new(StepJoin::default());
        let mut joins = JOINS.lock();
        joins.retain(|_, w| w.strong_count() > 0);
        joins.insert(run.id().to_owned(), Arc::downgrade(&join));
        join
    }

    /// The histograms of steps up to `global_step`, to add to that batch's
    /// row; later watch steps up to it are logged directly.
    pub(crate) fn take_through(&self, global_step: u64) -> Vec<Row> {
        let mut st = self.state.lock();
        st.logged_through = st.logged_through.max(global_step);
        let later = st.pending.split_off(&global_step.saturating_add(1));
        std::mem::replace(&mut st.pending, later)
            .into_values()
            .collect()
    }

    /// What is still waiting (the logger is going away).
    pub(crate) fn take_all(&self) -> Vec<Row> {
        let mut st = self.state.lock();
        st.logged_through = u64::MAX;
        std::mem::take(&mut st.pending).into_values().collect()
    }
}

/// Adds every item of `from` to `into`.
pub(crate) fn merge(into: &mut Row, from: Row) {
    for (k, v) in from.into_map() {
        into.insert(k, v);
    }
}

/// Delivers a filled watch step: to the run's metric logger when one is
/// live and has not logged that step yet, else as a `commit = false` log.
/// Returns how many histograms it holds.
pub(crate) fn deliver(step: WatchStep) -> Result<usize, wandb_core::Error> {
    let Some(run) = step.run() else {
        return Ok(0);
    };
    let join = JOINS.lock().get(run.id()).and_then(Weak::upgrade);
    let Some(join) = join else {
        return step.commit();
    };
    let number = step.number();
    let (row, added) = step.into_row();
    if added == 0 {
        return Ok(0);
    }
    {
        let mut st = join.state.lock();
        if number > st.logged_through {
            merge(st.pending.entry(number).or_default(), row);
            return Ok(added);
        }
    }
    run.log_with(row, LogOptions::new().commit(false))?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_up_to_the_batch_are_taken_in_order() {
        let join = StepJoin::default();
        for n in [2u64, 4, 6] {
            join.state
                .lock()
                .pending
                .insert(n, Row::new().with(format!("h{n}"), n));
        }
        let rows = join.take_through(4);
        let keys: Vec<_> = rows
            .iter()
            .map(|r| r.iter().next().unwrap().0.to_owned())
            .collect();
        assert_eq!(keys, ["h2", "h4"]);
        assert_eq!(join.state.lock().logged_through, 4);
        assert_eq!(join.take_all().len(), 1);
        assert!(join.take_all().is_empty());
    }
}
