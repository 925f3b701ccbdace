//! Table contents computed by the chart builders, before they become a
//! `wandb_data_types::Table`.

use std::cmp::Ordering;

use wandb_core::Value;

/// The largest number of rows the official client keeps in a chart table
/// (`wandb.Table.MAX_ROWS`).
pub const MAX_ROWS: usize = 10_000;

/// Columns and rows of a chart's table.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub data: Vec<Vec<Value>>,
}

impl ChartData {
    /// Empty data with these columns.
    pub fn new(columns: &[&str]) -> Self {
        ChartData {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            data: Vec::new(),
        }
    }
}

/// `DataFrame.round(3)` for one float: numpy multiplies by 1000, rounds half
/// to even and divides by 1000.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round_ties_even() / 1000.0
}

/// Orders two cells the way `DataFrame.sort_values` orders a column: numbers
/// numerically (NaN last), strings by code point.
fn cmp_cells(a: &Value, b: &Value) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => Ordering::Equal,
        },
    }
}

/// Keeps at most [`MAX_ROWS`] rows, like the official client's stratified
/// resampling by `class` (column 0), then sorts by the columns `sort_by`.
///
/// The official client draws the rows with `sklearn.utils.resample(...,
/// random_state=42, stratify=class)`; this keeps the same number of rows per
/// class (proportional allocation, largest remainders first) but picks them
/// evenly spaced along each class's curve, so the kept points are not the
/// same ones (see docs/plots.md).
pub(crate) fn limit_rows(data: &mut ChartData, sort_by: &[usize]) {
    if data.data.len() <= MAX_ROWS {
        return;
    }
    let total = data.data.len();
    // Group row indices by class, in order of first appearance.
    let mut groups: Vec<(Value, Vec<usize>)> = Vec::new();
    for (i, row) in data.data.iter().enumerate() {
        let class = row.first().cloned().unwrap_or(Value::Null);
        match groups
            .iter_mut()
            .find(|(c, _)| cmp_cells(c, &class) == Ordering::Equal && same_kind(c, &class))
        {
            Some((_, idx)) => idx.push(i),
            None => groups.push((class, vec![i])),
        }
    }
    // Proportional allocation with largest remainders.
    let mut alloc: Vec<(usize, usize, u128)> = groups
        .iter()
        .enumerate()
        .map(|(g, (_, idx))| {
            let exact = idx.len() as u128 * MAX_ROWS as u128;
            let base = (exact / total as u128) as usize;
            (g, base, exact % total as u128)
        })
        .collect();
    let mut left = MAX_ROWS - alloc.iter().map(|a| a.1).sum::<usize>();
    let mut by_remainder: Vec<usize> = (0..alloc.len()).collect();
    by_remainder.sort_by(|&a, &b| alloc[b].2.cmp(&alloc[a].2).then(a.cmp(&b)));
    for g in by_remainder {
        if left == 0 {
            break;
        }
        alloc[g].1 += 1;
        left -= 1;
    }
    let mut keep: Vec<usize> = Vec::with_capacity(MAX_ROWS);
    for (g, n, _) in alloc {
        let idx = &groups[g].1;
        for k in 0..n {
            // Evenly spaced picks including both ends of the curve.
            let pos = if n == 1 { 0 } else { k * (idx.len() - 1) / (n - 1) };
            keep.push(idx[pos]);
        }
    }
    let mut rows: Vec<Vec<Value>> = keep.into_iter().map(|i| data.data[i].clone()).collect();
    rows.sort_by(|a, b| {
        sort_by
            .iter()
            .map(|&c| cmp_cells(&a[c], &b[c]))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    data.data = rows;
}

fn same_kind(a: &Value, b: &Value) -> bool {
    a.as_str().is_some() == b.as_str().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_like_numpy() {
        assert_eq!(round3(0.9500000000000001), 0.95);
        assert_eq!(round3(2.0 / 3.0), 0.667);
        assert_eq!(round3(0.0005), 0.0); // 0.5 -> 0 (half to even)
        assert_eq!(round3(0.0015), 0.002);
        assert!(round3(f64::NAN).is_nan());
    }

    #[test]
    fn limit_keeps_class_proportions_and_sorts() {
        let mut d = ChartData::new(&["class", "x", "y"]);
        for i in 0..15_000 {
            let class = if i < 10_000 { "a" } else { "b" };
            d.data.push(vec![
                Value::Str(class.into()),
                Value::Float((i % 10_000) as f64),
                Value::Float(0.0),
            ]);
        }
        limit_rows(&mut d, &[1, 2, 0]);
        assert_eq!(d.data.len(), MAX_ROWS);
        let a = d.data.iter().filter(|r| r[0].as_str() == Some("a")).count();
        assert_eq!(a, 6667);
        let xs: Vec<f64> = d.data.iter().map(|r| r[1].as_f64().unwrap()).collect();
        assert!(xs.windows(2).all(|w| w[0] <= w[1]));
    }
}
