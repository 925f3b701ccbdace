//! The history sample behind the footer's sparklines: per top-level numeric
//! key, a uniform reservoir sample of at most [`SAMPLE_SIZE`] values kept
//! in logging order (Algorithm L, as the official client's sampler, which
//! also keeps 48 `float32` values per key). Memory is bounded whatever the
//! run length; most rows cost one map lookup per key.

use foldhash::HashMap;

use crate::value::Value;

/// Values kept per key (the official client keeps 48).
pub const SAMPLE_SIZE: usize = 48;

/// One key's reservoir.
#[derive(Debug, Clone)]
struct Reservoir {
    /// (index in the key's series, value)
    items: Vec<(u64, f32)>,
    seen: u64,
    w: f64,
    next_accepted: u64,
}

/// `ln(u)` for a uniform `u` in (0, 1).
fn ln_uniform(rng: &mut fastrand::Rng) -> f64 {
    let u = rng.f64();
    if u <= 0.0 {
        f64::MIN_POSITIVE.ln()
    } else {
        u.ln()
    }
}

/// Algorithm L's next `w` and number of items to skip.
fn skip_and_w(rng: &mut fastrand::Rng, w: f64, k: usize) -> (u64, f64) {
    let next_w = w * (ln_uniform(rng) / k as f64).exp();
    let skip = ln_uniform(rng) / (1.0 - next_w).ln();
    // NaN/inf/negative (w rounding to 0 or 1): the sample is final.
    let skip = if skip.is_finite() && skip >= 0.0 {
        skip as u64
    } else {
        u64::MAX
    };
    (skip, next_w)
}

impl Reservoir {
    fn new(rng: &mut fastrand::Rng) -> Self {
        let (skip, w) = skip_and_w(rng, 1.0, SAMPLE_SIZE);
        Reservoir {
            items: Vec::with_capacity(SAMPLE_SIZE),
            seen: 0,
            w,
            next_accepted: (SAMPLE_SIZE as u64).saturating_add(skip),
        }
    }

    fn add(&mut self, rng: &mut fastrand::Rng, value: f32) {
        let index = self.seen;
        self.seen += 1;
        if self.items.len() < SAMPLE_SIZE {
            self.items.push((index, value));
            return;
        }
        if index < self.next_accepted {
            return;
        }
        let slot = rng.usize(..self.items.len());
        self.items[slot] = (index, value);
        let (skip, w) = skip_and_w(rng, self.w, SAMPLE_SIZE);
        self.w = w;
        self.next_accepted = index.saturating_add(skip).saturating_add(1);
    }

    fn values(&self) -> Vec<f32> {
        let mut items = self.items.clone();
        items.sort_unstable_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, v)| v).collect()
    }
}

/// Samples of every top-level numeric key of the committed rows.
#[derive(Debug)]
pub struct HistorySampler {
    rng: fastrand::Rng,
    keys: HashMap<String, Reservoir>,
}

impl Default for HistorySampler {
    fn default() -> Self {
        HistorySampler {
            rng: fastrand::Rng::new(),
            keys: HashMap::default(),
        }
    }
}

impl HistorySampler {
    /// A sampler with a fixed seed (tests).
    pub fn with_seed(seed: u64) -> Self {
        HistorySampler {
            rng: fastrand::Rng::with_seed(seed),
            keys: HashMap::default(),
        }
    }

    /// Adds one value of `key` (numbers only; other values are ignored, as
    /// nested keys are: the official sampler takes top-level numbers).
    pub fn add(&mut self, key: &str, value: &Value) {
        let v = match value {
            Value::Int(i) => *i as f32,
            Value::UInt(u) => *u as f32,
            Value::Float(f) => *f as f32,
            Value::Float32(f) => *f,
            _ => return,
        };
        let rng = &mut self.rng;
        match self.keys.get_mut(key) {
            Some(r) => r.add(rng, v),
            None => {
                let mut r = Reservoir::new(rng);
                r.add(rng, v);
                self.keys.insert(key.to_owned(), r);
            }
        }
    }

    /// Every key's sample in logging order, keys sorted.
    pub fn samples(&self) -> Vec<(String, Vec<f32>)> {
        let mut out: Vec<_> = self
            .keys
            .iter()
            .map(|(k, r)| (k.clone(), r.values()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_up_to_the_sample_size() {
        let mut s = HistorySampler::with_seed(1);
        for i in 0..SAMPLE_SIZE {
            s.add("loss", &Value::Float(i as f64));
        }
        s.add("name", &Value::Str("x".into()));
        let got = s.samples();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].1,
            (0..SAMPLE_SIZE).map(|i| i as f32).collect::<Vec<_>>()
        );
    }

    #[test]
    fn long_series_keep_48_values_in_order_and_roughly_uniform() {
        let mut s = HistorySampler::with_seed(7);
        let n = 100_000u32;
        for i in 0..n {
            s.add("x", &Value::UInt(u64::from(i)));
        }
        let v = &s.samples()[0].1;
        assert_eq!(v.len(), SAMPLE_SIZE);
        assert!(v.windows(2).all(|w| w[0] < w[1]), "in logging order");
        // Uniform: about half of the sample from each half of the series.
        let first_half = v.iter().filter(|x| **x < (n / 2) as f32).count();
        assert!(
            (12..=36).contains(&first_half),
            "{first_half} of 48 from the first half"
        );
        assert!(
            v.iter().any(|x| *x > (n as f32) * 0.8),
            "late values are sampled: {v:?}"
        );
    }
}
