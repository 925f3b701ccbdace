//! The table of `wandb.plot.line_series`: `step, lineKey, lineVal` rows, one
//! per point of each series.

use wandb_core::Value;

use crate::data::ChartData;
use crate::error::{PlotError, Result};

const WHAT: &str = "line_series";

/// The x values of a line series chart: one list shared by every series, or
/// one list per series.
#[derive(Debug, Clone)]
pub enum Xs {
    /// The same x values for every series.
    Shared(Vec<Value>),
    /// One list of x values per series.
    PerSeries(Vec<Vec<Value>>),
}

impl Xs {
    /// One list shared by every series.
    pub fn shared<X: Into<Value>>(xs: impl IntoIterator<Item = X>) -> Self {
        Xs::Shared(xs.into_iter().map(Into::into).collect())
    }

    /// One list per series.
    pub fn per_series<X: Into<Value>, I: IntoIterator<Item = X>>(
        xs: impl IntoIterator<Item = I>,
    ) -> Self {
        Xs::PerSeries(
            xs.into_iter()
                .map(|s| s.into_iter().map(Into::into).collect())
                .collect(),
        )
    }
}

/// The rows of `wandb.plot.line_series(xs, ys, keys)`: for series `i`, the
/// points `(x, keys[i], y)` of `zip(xs_i, ys[i])` (the shorter list decides).
/// Keys default to `line_0`, `line_1`, ….
///
/// ```
/// use wandb_plot::{line_series_data, Xs};
/// let d = line_series_data(Xs::shared([0, 1, 2]), vec![vec![1, 2, 3], vec![3, 2, 1]],
///                          Some(vec!["s1".to_string(), "s2".to_string()])).unwrap();
/// assert_eq!(d.columns, ["step", "lineKey", "lineVal"]);
/// assert_eq!(d.data.len(), 6);
/// ```
pub fn line_series_data<Y: Into<Value>>(
    xs: Xs,
    ys: Vec<Vec<Y>>,
    keys: Option<Vec<String>>,
) -> Result<ChartData> {
    let n = ys.len();
    let xs: Vec<Vec<Value>> = match xs {
        Xs::Shared(x) => vec![x; n],
        Xs::PerSeries(x) => x,
    };
    if xs.len() != n {
        return Err(PlotError::LengthMismatch {
            what: WHAT,
            left: "xs",
            left_len: xs.len(),
            right: "ys",
            right_len: n,
            unit: "series",
        });
    }
    let keys = keys.unwrap_or_else(|| (0..n).map(|i| format!("line_{i}")).collect());
    if keys.len() != n {
        return Err(PlotError::LengthMismatch {
            what: WHAT,
            left: "keys",
            left_len: keys.len(),
            right: "ys",
            right_len: n,
            unit: "series",
        });
    }
    let mut data = ChartData::new(&["step", "lineKey", "lineVal"]);
    for ((xx, yy), key) in xs.into_iter().zip(ys).zip(&keys) {
        for (x, y) in xx.into_iter().zip(yy) {
            data.data.push(vec![x, Value::Str(key.clone()), y.into()]);
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_series_and_truncation() {
        let d = line_series_data(
            Xs::per_series([vec![0.5, 1.5], vec![0.0, 1.0, 2.0]]),
            vec![vec![1.0, 2.0, 9.0], vec![3.0, 2.0]],
            None,
        )
        .unwrap();
        assert_eq!(d.data.len(), 4);
        assert_eq!(d.data[0][1].as_str(), Some("line_0"));
        assert_eq!(d.data[3][1].as_str(), Some("line_1"));
        assert_eq!(d.data[3][0].as_f64(), Some(1.0));
    }

    #[test]
    fn mismatches_are_errors() {
        assert!(line_series_data(Xs::per_series([vec![1]]), vec![vec![1], vec![2]], None).is_err());
        assert!(line_series_data(Xs::shared([1]), vec![vec![1]], Some(vec![])).is_err());
    }
}
