//! The run config's `_wandb.m`: metric definitions as the official sender
//! reports them (spec §3; behaviour of wandb-core's run config metrics,
//! reimplemented): definitions merge per name or glob (unless `_control.
//! overwrite`), only the state wandb-core tracks is kept (step, step sync,
//! hidden, explicit, summary min/max/mean/last/first/none, goal), and a step
//! metric gets an entry of its own right after the first metric that names
//! it, referenced by its 1-based index.

use serde_json::{json, Value as JValue};

use crate::proto;

/// One merged definition.
#[derive(Debug, Clone, Default)]
struct Def {
    step: String,
    step_sync: bool,
    hidden: bool,
    /// Defined by name (not only through a glob).
    explicit: bool,
    /// Summary flags as `MetricSummary` field numbers (1 min, 2 max, 3 mean,
    /// 5 last, 6 none, 8 first).
    summary: Vec<u32>,
    goal: i32,
}

impl Def {
    fn merge(&mut self, m: &proto::MetricRecord) {
        let o = m.options.unwrap_or_default();
        self.step_sync |= o.step_sync;
        self.hidden |= o.hidden;
        if !m.step_metric.is_empty() {
            self.step = m.step_metric.clone();
        }
        if let Some(s) = m.summary {
            let none = 6;
            self.summary.retain(|&n| n != none);
            if s.none {
                self.summary.push(none);
            }
            for (n, on) in [
                (1, s.min),
                (2, s.max),
                (3, s.mean),
                (5, s.last),
                (8, s.first),
            ] {
                if on && !self.summary.contains(&n) {
                    self.summary.push(n);
                }
            }
            self.summary.sort_unstable();
        }
        if m.goal != 0 {
            self.goal = m.goal;
        }
        if !m.name.is_empty() {
            self.explicit = true;
        }
    }
}

/// Metric definitions in the order they were first seen.
#[derive(Debug, Default)]
pub(crate) struct ConfigMetrics {
    defined: Vec<(String, Def)>,
    globs: Vec<(String, Def)>,
}

impl ConfigMetrics {
    /// Applies one `metric` record (glob expansions are not config entries).
    pub(crate) fn apply(&mut self, m: &proto::MetricRecord) {
        if m.expanded_from_glob {
            return;
        }
        let (list, key) = if !m.name.is_empty() {
            (&mut self.defined, &m.name)
        } else if !m.glob_name.is_empty() {
            (&mut self.globs, &m.glob_name)
        } else {
            return; // an explicit x axis only
        };
        let overwrite = m.control.is_some_and(|c| c.overwrite);
        let i = match list.iter().position(|(n, _)| n == key) {
            Some(i) => i,
            None => {
                list.push((key.clone(), Def::default()));
                list.len() - 1
            }
        };
        if overwrite {
            list[i].1 = Def::default();
        }
        list[i].1.merge(m);
    }

    /// The `m` array.
    pub(crate) fn to_json(&self) -> Vec<JValue> {
        let mut out: Vec<Option<JValue>> = Vec::new();
        let mut index: Vec<String> = Vec::new();
        for (name, def) in &self.defined {
            self.encode(name, def, false, &mut out, &mut index);
        }
        for (name, def) in &self.globs {
            self.encode(name, def, true, &mut out, &mut index);
        }
        out.into_iter().flatten().collect()
    }

    fn encode(
        &self,
        name: &str,
        def: &Def,
        glob: bool,
        out: &mut Vec<Option<JValue>>,
        index: &mut Vec<String>,
    ) {
        if index.iter().any(|n| n == name) {
            return;
        }
        let at = out.len();
        index.push(name.to_string());
        out.push(None);
        let mut e = serde_json::Map::new();
        e.insert((if glob { "2" } else { "1" }).into(), json!(name));
        if !def.step.is_empty() {
            let step_def = self
                .defined
                .iter()
                .find(|(n, _)| *n == def.step)
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            self.encode(&def.step, &step_def, false, out, index);
            let step_at = index.iter().position(|n| *n == def.step).unwrap_or(0);
            e.insert("5".into(), json!(step_at + 1));
        }
        let opts: Vec<u32> = [(1, def.step_sync), (2, def.hidden), (3, def.explicit)]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        e.insert("6".into(), json!(opts));
        e.insert("7".into(), json!(def.summary));
        if def.goal != 0 {
            e.insert("8".into(), json!(def.goal));
        }
        out[at] = Some(JValue::Object(e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, glob: &str, step: &str) -> proto::MetricRecord {
        proto::MetricRecord {
            name: name.into(),
            glob_name: glob.into(),
            step_metric: step.into(),
            options: Some(proto::MetricOptions {
                step_sync: !step.is_empty(),
                hidden: false,
                defined: true,
            }),
            ..Default::default()
        }
    }

    /// What `wandb sync` sent for `define_metric("loss", summary="min")`,
    /// `define_metric("val/*", step_metric="epoch")` (captured with the
    /// loopback mock, tests/sync_interop.rs).
    #[test]
    fn a_glob_with_a_step_metric_is_encoded_like_the_official_sender() {
        let mut cm = ConfigMetrics::default();
        let mut loss = rec("loss", "", "");
        loss.summary = Some(proto::MetricSummary {
            min: true,
            best: true,
            ..Default::default()
        });
        cm.apply(&loss);
        cm.apply(&rec("", "val/*", "epoch"));
        assert_eq!(
            JValue::Array(cm.to_json()),
            json!([
                {"1": "loss", "6": [3], "7": [1]},
                {"2": "val/*", "5": 3, "6": [1], "7": []},
                {"1": "epoch", "6": [], "7": []},
            ])
        );
    }

    #[test]
    fn definitions_merge_unless_overwritten() {
        let mut cm = ConfigMetrics::default();
        cm.apply(&rec("acc", "", "step"));
        cm.apply(&rec("step", "", ""));
        let mut hidden = rec("acc", "", "");
        hidden.options = Some(proto::MetricOptions {
            hidden: true,
            ..Default::default()
        });
        cm.apply(&hidden);
        assert_eq!(
            JValue::Array(cm.to_json()),
            json!([
                {"1": "acc", "5": 2, "6": [1, 2, 3], "7": []},
                {"1": "step", "6": [3], "7": []},
            ])
        );
        let mut over = rec("acc", "", "");
        over.control = Some(proto::MetricControl { overwrite: true });
        cm.apply(&over);
        assert_eq!(cm.to_json()[0], json!({"1": "acc", "6": [3], "7": []}));
    }
}
