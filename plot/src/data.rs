//! Table contents computed by the chart builders, before they become a
//! `wandb_data_types::Table`.

use wandb_core::Value;

use crate::resample::stratified_resample;

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

/// Keeps at most [`MAX_ROWS`] rows the way the official client does: a
/// stratified resample by `class` (column 0) with scikit-learn's
/// `resample(..., random_state=42)`, then a sort by the columns `sort_by`.
pub(crate) fn limit_rows(data: &mut ChartData, sort_by: &[usize]) {
    if data.data.len() > MAX_ROWS {
        data.data = stratified_resample(&data.data, MAX_ROWS, sort_by);
    }
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
        assert_eq!(a, 6667); // floor(6666.67) plus the largest remainder
        let xs: Vec<f64> = d.data.iter().map(|r| r[1].as_f64().unwrap()).collect();
        assert!(xs.windows(2).all(|w| w[0] <= w[1]));
    }
}
