//! Turning records into file_stream lines: history rows (items re-nested),
//! system-metrics rows (`system.` prefix) and console lines.

use crate::json::write_str;
use crate::proto;

/// A tree of raw JSON values keyed by path, for re-nesting items.
enum Raw<'a> {
    Leaf(&'a str),
    Node(Vec<(&'a str, Raw<'a>)>),
}

impl<'a> Raw<'a> {
    fn insert(&mut self, path: &[&'a str], value: &'a str) {
        let Raw::Node(children) = self else { return };
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let idx = match children.iter().position(|(k, _)| k == first) {
            Some(i) => i,
            None => {
                children.push((first, Raw::Node(Vec::new())));
                children.len() - 1
            }
        };
        let child = &mut children[idx].1;
        if rest.is_empty() {
            *child = Raw::Leaf(value);
        } else {
            if matches!(child, Raw::Leaf(_)) {
                *child = Raw::Node(Vec::new());
            }
            child.insert(rest, value);
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Raw::Leaf(v) => out.push_str(v.trim()),
            Raw::Node(children) => {
                out.push('{');
                for (i, (k, v)) in children.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// The `wandb-history.jsonl` line of a history record and its step (from
/// the `_step` item, else `step.num`).
pub fn history_line(h: &proto::HistoryRecord) -> (String, Option<i64>) {
    let mut root = Raw::Node(Vec::with_capacity(h.item.len()));
    let mut step = None;
    let mut paths: Vec<Vec<&str>> = Vec::with_capacity(h.item.len());
    for item in &h.item {
        let path: Vec<&str> = if item.nested_key.is_empty() {
            vec![item.key.as_str()]
        } else {
            item.nested_key.iter().map(String::as_str).collect()
        };
        if path.len() == 1 && path[0] == "_step" {
            step = item.value_json.trim().parse::<i64>().ok();
        }
        paths.push(path);
    }
    for (item, path) in h.item.iter().zip(&paths) {
        let raw = if item.value_json.is_empty() {
            "null"
        } else {
            item.value_json.as_str()
        };
        root.insert(path, raw);
    }
    let mut out = String::with_capacity(64 + 24 * h.item.len());
    root.write(&mut out);
    let step = step.or_else(|| h.step.as_ref().map(|s| s.num));
    (out, step)
}

/// The `wandb-events.jsonl` line of a stats record; `start` is the run's
/// start in Unix seconds (for `_runtime`).
pub fn events_line(s: &proto::StatsRecord, start: Option<&prost_types::Timestamp>) -> String {
    let mut out = String::from("{");
    for item in &s.item {
        write_str(&format!("system.{}", item.key), &mut out);
        out.push(':');
        // values are re-encoded the Go way: 4.0 -> 4
        match crate::json::parse(&item.value_json) {
            Ok(v) if crate::json::write_json(&v, &mut out).is_ok() => {}
            _ => out.push_str("null"),
        }
        out.push(',');
    }
    out.push_str("\"_wandb\":true");
    if let Some(t) = &s.timestamp {
        let ts = super::state::timestamp_secs(t);
        out.push_str(",\"_timestamp\":");
        crate::json::write_f64(ts, &mut out);
        if let Some(st) = start {
            let nanos = (t.seconds as i128 - st.seconds as i128) * 1_000_000_000
                + (t.nanos as i128 - st.nanos as i128);
            out.push_str(",\"_runtime\":");
            crate::json::write_f64((nanos.max(0) as f64) / 1e9, &mut out);
        }
    }
    out.push('}');
    out
}

/// Assembles console fragments (`output_raw` records) into lines.
#[derive(Debug, Default)]
pub struct Console {
    stdout: String,
    stderr: String,
}

/// A finished console line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleLine {
    /// True for stderr.
    pub stderr: bool,
    /// The text, without the newline.
    pub text: String,
}

impl Console {
    /// Adds a fragment; returns the lines it completed. A `\r` not followed
    /// by `\n` starts the line over (progress bars keep their last state).
    pub fn push(&mut self, stderr: bool, fragment: &str, out: &mut Vec<ConsoleLine>) {
        let buf = if stderr {
            &mut self.stderr
        } else {
            &mut self.stdout
        };
        let mut rest = fragment;
        while let Some(i) = rest.find(['\n', '\r']) {
            let (head, tail) = rest.split_at(i);
            buf.push_str(head);
            if let Some(r) = tail
                .strip_prefix("\r\n")
                .or_else(|| tail.strip_prefix('\n'))
            {
                out.push(ConsoleLine {
                    stderr,
                    text: std::mem::take(buf),
                });
                rest = r;
            } else {
                buf.clear();
                rest = &tail[1..];
            }
        }
        buf.push_str(rest);
    }

    /// Ends unterminated lines (at exit).
    pub fn finish(&mut self, out: &mut Vec<ConsoleLine>) {
        for (stderr, buf) in [(false, &mut self.stdout), (true, &mut self.stderr)] {
            if !buf.is_empty() {
                out.push(ConsoleLine {
                    stderr,
                    text: std::mem::take(buf),
                });
            }
        }
    }
}

/// The file_stream form of a console line: `[ERROR ]<UTC timestamp> <text>`.
pub fn console_stream_line(line: &ConsoleLine, at: chrono::DateTime<chrono::Utc>) -> String {
    let ts = at.format("%Y-%m-%dT%H:%M:%S%.6f");
    if line.stderr {
        format!("ERROR {ts} {}", line.text)
    } else {
        format!("{ts} {}", line.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &[&str], v: &str) -> proto::HistoryItem {
        proto::HistoryItem {
            nested_key: path.iter().map(|s| s.to_string()).collect(),
            value_json: v.into(),
            ..Default::default()
        }
    }

    #[test]
    fn renests_history() {
        let h = proto::HistoryRecord {
            item: vec![
                item(&["_step"], "3"),
                item(&["nested", "a"], "1"),
                item(&["loss"], "0.5"),
                item(&["nested", "b"], "NaN"),
            ],
            ..Default::default()
        };
        let (line, step) = history_line(&h);
        assert_eq!(line, r#"{"_step":3,"nested":{"a":1,"b":NaN},"loss":0.5}"#);
        assert_eq!(step, Some(3));
    }

    #[test]
    fn console_lines() {
        let mut c = Console::default();
        let mut out = Vec::new();
        for f in ["hello", " ", "from", "\n", "a\rb\n", "tail"] {
            c.push(false, f, &mut out);
        }
        c.push(true, "err\n", &mut out);
        c.finish(&mut out);
        let texts: Vec<_> = out.iter().map(|l| (l.stderr, l.text.as_str())).collect();
        assert_eq!(
            texts,
            vec![
                (false, "hello from"),
                (false, "b"),
                (true, "err"),
                (false, "tail")
            ]
        );
    }
}
