//! The row subsampling of `wandb.plot.roc_curve` / `pr_curve` for tables of
//! more than 10 000 rows: `sklearn.utils.resample(df, replace=False,
//! n_samples=10000, random_state=42, stratify=df["class"])`, reproduced with
//! numpy's legacy `RandomState` (MT19937) so the same rows are kept.

use std::cmp::Ordering;

use wandb_core::Value;

/// numpy's MT19937 with legacy integer seeding (`RandomState(seed)`).
struct Mt19937 {
    key: [u32; 624],
    pos: usize,
}

impl Mt19937 {
    fn new(seed: u32) -> Self {
        let mut key = [0u32; 624];
        key[0] = seed;
        for i in 1..624 {
            key[i] = 1_812_433_253u32
                .wrapping_mul(key[i - 1] ^ (key[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { key, pos: 624 }
    }

    fn generate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..624 {
            let y = (self.key[i] & UPPER) | (self.key[(i + 1) % 624] & LOWER);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.key[i] = self.key[(i + 397) % 624] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    fn next_u32(&mut self) -> u32 {
        if self.pos == 624 {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        (hi << 32) | self.next_u32() as u64
    }

    /// numpy's legacy `random_interval`: uniform in `0..=max` by masked rejection.
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for s in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> s;
        }
        loop {
            let v = if max <= 0xffff_ffff {
                (self.next_u32() as u64) & mask
            } else {
                self.next_u64() & mask
            };
            if v <= max {
                return v;
            }
        }
    }

    /// `RandomState.permutation(n)`.
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i as u64) as usize;
            v.swap(i, j);
        }
        v
    }

    /// `RandomState.choice(n, size, replace=False)`.
    fn choice(&mut self, n: usize, size: usize) -> Vec<usize> {
        let mut p = self.permutation(n);
        p.truncate(size);
        p
    }
}

/// Orders two cells like pandas / numpy: numbers numerically (NaN last),
/// strings by code point.
pub(crate) fn cmp_cells(a: &Value, b: &Value) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        },
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            _ => Ordering::Equal,
        },
    }
}

/// sklearn's `_approximate_mode`: per-class counts summing to `n_draws`,
/// floors of the proportional shares, the rest given to the largest
/// remainders (ties broken at random).
fn approximate_mode(counts: &[usize], n_draws: usize, rng: &mut Mt19937) -> Vec<usize> {
    let total: f64 = counts.iter().map(|&c| c as f64).sum();
    let continuous: Vec<f64> = counts
        .iter()
        .map(|&c| c as f64 / total * n_draws as f64)
        .collect();
    let mut floored: Vec<f64> = continuous.iter().map(|c| c.floor()).collect();
    let mut need = (n_draws as f64 - floored.iter().sum::<f64>()) as i64;
    if need > 0 {
        let remainder: Vec<f64> = continuous
            .iter()
            .zip(&floored)
            .map(|(c, f)| c - f)
            .collect();
        let mut values = remainder.clone();
        values.sort_by(|a, b| b.total_cmp(a));
        values.dedup();
        for value in values {
            let inds: Vec<usize> = (0..remainder.len())
                .filter(|&i| remainder[i] == value)
                .collect();
            let add_now = inds.len().min(need as usize);
            for k in rng.choice(inds.len(), add_now) {
                floored[inds[k]] += 1.0;
            }
            need -= add_now as i64;
            if need == 0 {
                break;
            }
        }
    }
    floored.into_iter().map(|f| f as usize).collect()
}

/// Keeps `n_samples` rows as `sklearn.utils.resample(rows, replace=False,
/// n_samples=n_samples, random_state=42, stratify=rows[:, 0])` does, then
/// sorts them by the columns `sort_by` (pandas `sort_values`).
pub(crate) fn stratified_resample(
    rows: &[Vec<Value>],
    n_samples: usize,
    sort_by: &[usize],
) -> Vec<Vec<Value>> {
    let class_of = |i: usize| rows[i].first().unwrap_or(&Value::Null);
    // np.unique(..., return_inverse=True), then a stable argsort per class.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| cmp_cells(class_of(a), class_of(b)));
    let mut class_indices: Vec<Vec<usize>> = Vec::new();
    for &i in &order {
        match class_indices.last_mut() {
            Some(group) if cmp_cells(class_of(group[0]), class_of(i)) == Ordering::Equal => {
                group.push(i)
            }
            _ => class_indices.push(vec![i]),
        }
    }
    let counts: Vec<usize> = class_indices.iter().map(Vec::len).collect();
    let mut rng = Mt19937::new(42);
    let n_i = approximate_mode(&counts, n_samples, &mut rng);
    let mut kept: Vec<Vec<Value>> = Vec::with_capacity(n_samples);
    for (group, &n) in class_indices.iter().zip(&n_i) {
        for k in rng.choice(group.len(), n) {
            kept.push(rows[group[k]].clone());
        }
    }
    // The final shuffle of sklearn does not matter: rows equal in every
    // sort key are identical.
    kept.sort_by(|a, b| {
        sort_by
            .iter()
            .map(|&c| cmp_cells(&a[c], &b[c]))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_matches_numpy_random_state_42() {
        // np.random.RandomState(42)._bit_generator.random_raw(3)
        let mut rng = Mt19937::new(42);
        let first: Vec<u32> = (0..3).map(|_| rng.next_u32()).collect();
        assert_eq!(first, vec![1_608_637_542, 3_421_126_067, 4_083_286_876]);
    }

    #[test]
    fn permutation_matches_numpy() {
        // np.random.RandomState(42).permutation(10)
        let mut rng = Mt19937::new(42);
        assert_eq!(rng.permutation(10), vec![8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
    }
}
