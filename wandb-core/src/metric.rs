//! `define_metric`: metric definitions, their records and the summary
//! aggregation (min/max/mean/first/last/best) they ask for.

use std::collections::HashMap;

use crate::proto;
use crate::row::RowKey;
use crate::value::{Map, Value};

/// Which aggregate of a metric goes into the run summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricSummary {
    /// Minimum.
    Min,
    /// Maximum.
    Max,
    /// Arithmetic mean.
    Mean,
    /// First value.
    First,
    /// Last value.
    Last,
    /// Best value according to the goal.
    Best,
    /// Keep the metric out of the summary.
    None,
}

/// Whether lower or higher is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Lower is better.
    Minimize,
    /// Higher is better.
    Maximize,
}

/// A metric definition, as `run.define_metric(...)` in the official client.
///
/// ```
/// use wandb_core::{Goal, MetricDefinition, MetricSummary};
/// let d = MetricDefinition::new("val/*").step_metric("epoch");
/// let loss = MetricDefinition::new("loss").summary(MetricSummary::Min).goal(Goal::Minimize);
/// # let _ = (d, loss);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDefinition {
    pub(crate) name: String,
    pub(crate) step_metric: Option<String>,
    pub(crate) summaries: Vec<MetricSummary>,
    pub(crate) goal: Option<Goal>,
    pub(crate) hidden: bool,
    pub(crate) step_sync: Option<bool>,
}

impl MetricDefinition {
    /// A definition for a metric name or a glob pattern (`*` matches any characters).
    pub fn new(name: impl Into<String>) -> Self {
        MetricDefinition {
            name: name.into(),
            step_metric: None,
            summaries: Vec::new(),
            goal: None,
            hidden: false,
            step_sync: None,
        }
    }
    /// The metric used as x axis; its last value is added to rows that lack it.
    pub fn step_metric(mut self, step: impl Into<String>) -> Self {
        self.step_metric = Some(step.into());
        self
    }
    /// Adds a summary aggregate (may be called several times).
    pub fn summary(mut self, s: MetricSummary) -> Self {
        if !self.summaries.contains(&s) {
            self.summaries.push(s);
        }
        self
    }
    /// Sets the goal (used by [`MetricSummary::Best`]).
    pub fn goal(mut self, g: Goal) -> Self {
        self.goal = Some(g);
        self
    }
    /// Hides the metric from automatic charts.
    pub fn hidden(mut self, hidden: bool) -> Self {
        self.hidden = hidden;
        self
    }
    /// Whether to add the step metric to rows that lack it (default: true when a step metric is set).
    pub fn step_sync(mut self, sync: bool) -> Self {
        self.step_sync = Some(sync);
        self
    }

    /// The name or glob pattern.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn is_glob(&self) -> bool {
        self.name.contains('*')
    }

    pub(crate) fn syncs_step(&self) -> bool {
        self.step_metric.is_some() && self.step_sync.unwrap_or(true)
    }

    /// The `metric` record for this definition.
    pub(crate) fn to_record(&self) -> proto::MetricRecord {
        let mut rec = proto::MetricRecord::default();
        if self.is_glob() {
            rec.glob_name = self.name.clone();
        } else {
            rec.name = self.name.clone();
        }
        rec.step_metric = self.step_metric.clone().unwrap_or_default();
        rec.options = Some(proto::MetricOptions {
            step_sync: self.syncs_step(),
            hidden: self.hidden,
            defined: true,
        });
        if !self.summaries.is_empty() {
            let mut s = proto::MetricSummary::default();
            for m in &self.summaries {
                match m {
                    MetricSummary::Min => s.min = true,
                    MetricSummary::Max => s.max = true,
                    MetricSummary::Mean => s.mean = true,
                    MetricSummary::First => s.first = true,
                    MetricSummary::Last => s.last = true,
                    MetricSummary::Best => s.best = true,
                    MetricSummary::None => s.none = true,
                }
            }
            rec.summary = Some(s);
        }
        rec.goal = match self.goal {
            None => proto::metric_record::MetricGoal::GoalUnset,
            Some(Goal::Minimize) => proto::metric_record::MetricGoal::GoalMinimize,
            Some(Goal::Maximize) => proto::metric_record::MetricGoal::GoalMaximize,
        } as i32;
        rec
    }
}

/// `*` glob match over whole strings.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[derive(Debug, Default, Clone)]
struct Agg {
    min: f64,
    max: f64,
    sum: f64,
    count: u64,
    first: Option<Value>,
}

/// Metric definitions of a run and the running aggregates they need.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    exact: HashMap<String, MetricDefinition>,
    globs: Vec<MetricDefinition>,
    aggs: HashMap<String, Agg>,
    /// Last values of keys used as step metrics.
    step_values: HashMap<String, Value>,
}

impl Metrics {
    pub(crate) fn define(&mut self, def: MetricDefinition) {
        if let Some(step) = &def.step_metric {
            self.step_values.entry(step.clone()).or_insert(Value::Null);
        }
        if def.is_glob() {
            self.globs.retain(|g| g.name != def.name);
            self.globs.push(def);
        } else {
            self.exact.insert(def.name.clone(), def);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.globs.is_empty()
    }

    fn find(&self, key: &str) -> Option<&MetricDefinition> {
        self.exact
            .get(key)
            .or_else(|| self.globs.iter().find(|g| glob_match(&g.name, key)))
    }

    /// Adds the last value of step metrics to a row lacking them (`step_sync`)
    /// and remembers step-metric values.
    pub(crate) fn sync_steps(&mut self, row: &mut Vec<(RowKey, Value)>) {
        if self.is_empty() {
            return;
        }
        for (k, v) in row.iter() {
            if let Some(slot) = self.step_values.get_mut(k.as_str()) {
                *slot = v.clone();
            }
        }
        let mut missing: Vec<(RowKey, Value)> = Vec::new();
        for (key, _) in row.iter() {
            if let Some(def) = self.find(key) {
                if def.syncs_step() {
                    if let Some(step) = &def.step_metric {
                        if !row.iter().any(|(k, _)| k == step)
                            && !missing.iter().any(|(k, _)| k == step)
                        {
                            if let Some(v) = self.step_values.get(step).filter(|v| !v.is_null()) {
                                missing.push((RowKey::from(step.as_str()), v.clone()));
                            }
                        }
                    }
                }
            }
        }
        row.extend(missing);
    }

    /// The summary value for a logged leaf: the value itself, an object of
    /// aggregates, or `None` when the metric is kept out of the summary.
    pub(crate) fn summarize(&mut self, key: &str, value: &Value) -> Option<Value> {
        let Some(def) = self.find(key) else {
            return Some(value.clone());
        };
        if def.summaries.is_empty() {
            return Some(value.clone());
        }
        if def.summaries.contains(&MetricSummary::None) {
            return None;
        }
        let summaries = def.summaries.clone();
        let goal = def.goal;
        let agg = self.aggs.entry(key.to_owned()).or_insert_with(|| Agg {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Agg::default()
        });
        if agg.first.is_none() {
            agg.first = Some(value.clone());
        }
        if let Some(x) = value.as_f64() {
            agg.min = agg.min.min(x);
            agg.max = agg.max.max(x);
            agg.sum += x;
            agg.count += 1;
        }
        let mut out = Map::new();
        let num = |x: f64| Value::Float(x);
        for s in summaries {
            match s {
                MetricSummary::Min if agg.count > 0 => {
                    out.insert("min".into(), num(agg.min));
                }
                MetricSummary::Max if agg.count > 0 => {
                    out.insert("max".into(), num(agg.max));
                }
                MetricSummary::Mean if agg.count > 0 => {
                    out.insert("mean".into(), num(agg.sum / agg.count as f64));
                }
                MetricSummary::Best if agg.count > 0 => {
                    let best = match goal {
                        Some(Goal::Maximize) => agg.max,
                        _ => agg.min,
                    };
                    out.insert("best".into(), num(best));
                }
                MetricSummary::First => {
                    out.insert("first".into(), agg.first.clone().unwrap_or_default());
                }
                MetricSummary::Last => {
                    out.insert("last".into(), value.clone());
                }
                _ => {}
            }
        }
        Some(Value::Map(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("val/*", "val/acc"));
        assert!(!glob_match("val/*", "train/acc"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("a*c*e", "abcdf"));
        assert!(glob_match("loss", "loss"));
    }

    #[test]
    fn min_summary_and_step_sync() {
        let mut m = Metrics::default();
        m.define(MetricDefinition::new("loss").summary(MetricSummary::Min));
        m.define(MetricDefinition::new("val/*").step_metric("epoch"));
        assert_eq!(
            m.summarize("loss", &Value::Float(1.0)),
            Some(Value::Map(Map::from_iter([(
                "min".into(),
                Value::Float(1.0)
            )])))
        );
        assert_eq!(
            m.summarize("loss", &Value::Float(2.0)),
            Some(Value::Map(Map::from_iter([(
                "min".into(),
                Value::Float(1.0)
            )])))
        );
        let mut r1 = vec![(RowKey::from("epoch"), Value::Int(3))];
        m.sync_steps(&mut r1);
        let mut r2 = vec![(RowKey::from("val/acc"), Value::Float(0.5))];
        m.sync_steps(&mut r2);
        assert_eq!(r2[1], (RowKey::from("epoch"), Value::Int(3)));
        let rec = MetricDefinition::new("val/*")
            .step_metric("epoch")
            .to_record();
        assert_eq!(rec.glob_name, "val/*");
        assert!(rec.options.unwrap().step_sync);
    }
}
