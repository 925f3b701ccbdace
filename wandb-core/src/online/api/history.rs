//! [`HistoryScan`]: every history row of a run, read a step range at a
//! time, up to the last step the server reports (`RunHistoryKeys`), with
//! the queries the official client's scan sends: `HistoryPage` (whole rows,
//! `minStep <= _step < maxStep`) or, when keys are given,
//! `SampledHistoryPage` (rows holding every key, reduced to them; its step
//! range is inclusive).

use std::collections::VecDeque;

use serde_json::{json, Value as JValue};

use super::run::ApiRun;
use super::{queries, Api};
use crate::online::error::{OnlineError, Result};
use crate::value::{Map, Value};

/// An iterator over a run's history rows; see [`ApiRun::scan_history`].
/// After an error it ends.
#[derive(Debug)]
pub struct HistoryScan {
    api: Api,
    vars: JValue,
    path: String,
    keys: Vec<String>,
    page_size: usize,
    next_min: i64,
    stop: i64,
    rows: VecDeque<Map>,
    failed: bool,
}

impl HistoryScan {
    pub(crate) fn start(run: &ApiRun, keys: &[&str], page_size: usize) -> Result<Self> {
        let data = run.api().query(
            "RunHistoryKeys",
            queries::HISTORY_KEYS,
            json!({"entity": run.entity, "project": run.project, "name": run.id}),
        )?;
        let keys_field = run.run_field(&data, "historyKeys", "RunHistoryKeys")?;
        let keys_field = match keys_field {
            JValue::String(s) => serde_json::from_str(s).unwrap_or(JValue::Null),
            other => other.clone(),
        };
        let last = keys_field
            .get("lastStep")
            .and_then(JValue::as_i64)
            .unwrap_or(-1);
        Ok(HistoryScan {
            api: run.api().clone(),
            vars: json!({"entity": run.entity, "project": run.project, "run": run.id}),
            path: run.path(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            page_size: page_size.clamp(1, i32::MAX as usize),
            next_min: 0,
            stop: last.saturating_add(1),
            rows: VecDeque::new(),
            failed: false,
        })
    }

    /// The last step the scan can yield (`-1` for an empty history).
    pub fn max_step(&self) -> i64 {
        self.stop - 1
    }

    fn load_page(&mut self) -> Result<()> {
        let min = self.next_min;
        let max = min.saturating_add(self.page_size as i64).min(self.stop);
        let mut vars = self.vars.clone();
        let (op, query, field) = if self.keys.is_empty() {
            vars["minStep"] = json!(min);
            vars["maxStep"] = json!(max);
            vars["pageSize"] = json!(self.page_size);
            ("HistoryPage", queries::HISTORY_PAGE, "history")
        } else {
            let mut keys = vec!["_step".to_string()];
            keys.extend(self.keys.iter().filter(|k| *k != "_step").cloned());
            let spec = json!({"keys": keys, "minStep": min, "maxStep": max - 1,
                              "samples": max - min});
            vars["spec"] = json!(spec.to_string());
            (
                "SampledHistoryPage",
                queries::SAMPLED_HISTORY_PAGE,
                "sampledHistory",
            )
        };
        let data = self.api.query(op, query, vars)?;
        let found = match data.pointer("/project/run") {
            Some(run) if run.is_object() => run.get(field).cloned().unwrap_or(JValue::Null),
            _ => {
                return Err(OnlineError::RunNotFound {
                    path: self.path.clone(),
                })
            }
        };
        let not_list = || OnlineError::UnexpectedAnswer {
            op: op.into(),
            reason: "the history is not a list".into(),
        };
        // sampledHistory holds one list per spec
        let lines = match (self.keys.is_empty(), found) {
            (true, JValue::Array(lines)) => lines,
            (false, JValue::Array(mut lists)) if !lists.is_empty() => match lists.swap_remove(0) {
                JValue::Array(lines) => lines,
                _ => return Err(not_list()),
            },
            _ => return Err(not_list()),
        };
        for line in &lines {
            let row = parse_row(line, op)?;
            if self.keys.iter().all(|k| row.contains_key(k)) {
                self.rows.push_back(row);
            }
        }
        // an empty page does not end the scan (steps may have gaps)
        self.next_min = max;
        Ok(())
    }
}

impl Iterator for HistoryScan {
    type Item = Result<Map>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.rows.pop_front() {
                return Some(Ok(row));
            }
            if self.failed || self.next_min >= self.stop {
                return None;
            }
            if let Err(e) = self.load_page() {
                self.failed = true;
                return Some(Err(e));
            }
        }
    }
}

/// A history row: a JSON string (W&B JSON, `NaN` and `Infinity` allowed)
/// or an object.
pub(crate) fn parse_row(row: &JValue, op: &str) -> Result<Map> {
    let bad = |reason: String| OnlineError::UnexpectedAnswer {
        op: op.into(),
        reason: format!("a history row {reason}"),
    };
    let value = match row {
        JValue::String(s) => crate::json::parse(s).map_err(|e| bad(format!("is not JSON: {e}")))?,
        JValue::Object(_) => Value::from(row),
        _ => return Err(bad("is neither an object nor a JSON string".into())),
    };
    match value {
        Value::Map(m) => Ok(m),
        _ => Err(bad("is not a JSON object".into())),
    }
}
