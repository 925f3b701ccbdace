//! One system-metrics sample and its `stats` record.

use std::time::SystemTime;

use crate::proto;

/// The values of one sampling round: `(key, value)` pairs in the order the
/// sources produced them, keys as the official client names them (no
/// `system.` prefix: the file_stream adds it on sync).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    items: Vec<(String, f64)>,
}

impl Sample {
    /// An empty sample.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one metric. Non-finite values are dropped: the official client
    /// never writes NaN or infinity into a `stats` record.
    pub fn push(&mut self, key: impl Into<String>, value: f64) {
        if value.is_finite() {
            self.items.push((key.into(), value));
        }
    }

    /// The metrics in insertion order.
    pub fn items(&self) -> &[(String, f64)] {
        &self.items
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Whether no metric was collected.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Number of metrics.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Builds the `stats` record (type SYSTEM) for this sample taken at `at`.
    ///
    /// `value_json` is written the way the official system monitor writes it:
    /// every value is a JSON float, integral ones keep their `.0`
    /// (`"4.0"`, `"0.0078125"`, `"7.804878234863281"`).
    pub fn to_record(&self, at: SystemTime) -> proto::StatsRecord {
        proto::StatsRecord {
            stats_type: proto::stats_record::StatsType::System as i32,
            timestamp: Some(timestamp(at)),
            item: self
                .items
                .iter()
                .map(|(k, v)| proto::StatsItem {
                    key: k.clone(),
                    value_json: float_json(*v),
                })
                .collect(),
            ..Default::default()
        }
    }
}

/// A float as the official system monitor writes it into `value_json`
/// (shortest round-trip form, `.0` kept on integral values).
pub fn float_json(v: f64) -> String {
    // serde_json never fails on a finite f64; non-finite values are filtered
    // out by `Sample::push`, `null` is the JSON answer for them anyway.
    serde_json::to_string(&v).unwrap_or_else(|_| "null".to_string())
}

/// A protobuf timestamp for `at` (times before 1970 clamp to the epoch).
pub(crate) fn timestamp(at: SystemTime) -> prost_types::Timestamp {
    let d = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    prost_types::Timestamp {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_like_the_official_monitor() {
        assert_eq!(float_json(4.0), "4.0");
        assert_eq!(float_json(0.0), "0.0");
        assert_eq!(float_json(0.0078125), "0.0078125");
        assert_eq!(float_json(7.804878234863281), "7.804878234863281");
        assert_eq!(float_json(23358.98828125), "23358.98828125");
    }

    #[test]
    fn non_finite_values_are_dropped() {
        let mut s = Sample::new();
        s.push("a", f64::NAN);
        s.push("b", f64::INFINITY);
        s.push("c", 1.5);
        assert_eq!(s.items(), &[("c".to_string(), 1.5)]);
    }

    #[test]
    fn record_has_system_type_timestamp_and_items() {
        let mut s = Sample::new();
        s.push("proc.cpu.threads", 4.0);
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::new(1_795_305_033, 904_448_662);
        let r = s.to_record(at);
        assert_eq!(r.stats_type, 0);
        let ts = r.timestamp.unwrap();
        assert_eq!((ts.seconds, ts.nanos), (1_795_305_033, 904_448_662));
        assert_eq!(r.item[0].key, "proc.cpu.threads");
        assert_eq!(r.item[0].value_json, "4.0");
    }
}
