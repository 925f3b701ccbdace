//! The tables of `wandb.plot.roc_curve` and `wandb.plot.pr_curve`: one-vs-rest
//! curves per class, rounded to 3 decimals, as the official client builds them.

use indexmap::IndexMap;
use wandb_core::Value;

use crate::classes::{ids_of, unique_sorted, ClassId, ClassLabel};
use crate::data::{limit_rows, round3, ChartData};
use crate::error::{PlotError, Result};
use crate::metrics;

/// Options shared by [`roc_curve`](crate::roc_curve) and
/// [`pr_curve`](crate::pr_curve) (the official `labels`, `classes_to_plot`
/// and `interp_size` arguments).
#[derive(Debug, Clone)]
pub struct CurveOptions {
    labels: Option<Vec<String>>,
    classes_to_plot: Option<Vec<ClassId>>,
    interp_size: usize,
}

impl Default for CurveOptions {
    fn default() -> Self {
        CurveOptions {
            labels: None,
            classes_to_plot: None,
            interp_size: 21,
        }
    }
}

impl CurveOptions {
    /// Defaults: no labels, every class, 21 recall points.
    pub fn new() -> Self {
        Self::default()
    }

    /// Display names of the classes: an integer class `c` is shown as
    /// `labels[c]` (string classes are shown as they are).
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// Plots only these classes (values as they appear in `y_true`).
    pub fn classes_to_plot<L: ClassLabel>(mut self, classes: impl IntoIterator<Item = L>) -> Self {
        self.classes_to_plot = Some(classes.into_iter().map(|c| c.class_id()).collect());
        self
    }

    /// Number of evenly spaced recall points of a PR curve, from 1 down to 0
    /// (default 21).
    pub fn interp_size(mut self, n: usize) -> Self {
        self.interp_size = n;
        self
    }
}

/// One class to plot: its display label and the one-vs-rest problem.
struct ClassProblem {
    label: ClassId,
    positive: Vec<bool>,
    scores: Vec<f64>,
}

/// Splits `y_true` / `y_probas` into one-vs-rest problems the way the official
/// client does: classes are the sorted distinct values of `y_true`, and the
/// class at position `i` of that list is scored with column `i` of `y_probas`.
fn one_vs_rest<L: ClassLabel, P: AsRef<[f64]>>(
    what: &'static str,
    y_true: &[L],
    y_probas: &[P],
    opts: &CurveOptions,
) -> Result<Vec<ClassProblem>> {
    if y_true.len() != y_probas.len() {
        return Err(PlotError::LengthMismatch {
            what,
            left: "y_true",
            left_len: y_true.len(),
            right: "y_probas",
            right_len: y_probas.len(),
            unit: "sample",
        });
    }
    if y_true.is_empty() {
        return Err(PlotError::Empty {
            what,
            input: "y_true",
        });
    }
    let width = y_probas[0].as_ref().len();
    for (row, p) in y_probas.iter().enumerate() {
        let p = p.as_ref();
        if p.len() != width {
            return Err(PlotError::Ragged {
                what,
                input: "y_probas",
                row,
                len: p.len(),
                expected: width,
            });
        }
        if let Some(&value) = p.iter().find(|v| !v.is_finite()) {
            return Err(PlotError::NonFinite {
                what,
                input: "y_probas",
                index: row,
                value,
            });
        }
    }
    let ids = ids_of(y_true);
    let classes = unique_sorted(&ids);
    let mut out = Vec::new();
    for (i, class) in classes.iter().enumerate() {
        if let Some(only) = &opts.classes_to_plot {
            if !only.contains(class) {
                continue;
            }
        }
        let label = match (&opts.labels, class) {
            (Some(labels), ClassId::Int(_)) => match class.index_into(labels) {
                Some(name) => ClassId::Str(name.to_owned()),
                None => {
                    return Err(PlotError::ClassOutOfRange {
                        what,
                        class: class.to_string(),
                        names: labels.len(),
                    })
                }
            },
            _ => class.clone(),
        };
        if i >= width {
            return Err(PlotError::MissingColumn {
                what,
                input: "y_probas",
                row: 0,
                len: width,
                needed: i,
            });
        }
        out.push(ClassProblem {
            label,
            positive: ids.iter().map(|id| id == class).collect(),
            scores: y_probas.iter().map(|p| p.as_ref()[i]).collect(),
        });
    }
    Ok(out)
}

/// The rows of `wandb.plot.roc_curve`: columns `class, fpr, tpr`, one
/// scikit-learn ROC curve (with `drop_intermediate`) per class, values rounded
/// to 3 decimals.
///
/// ```
/// use wandb_plot::{roc_curve_data, CurveOptions};
/// let d = roc_curve_data(&[0, 1, 1, 0], &[[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]],
///                        &CurveOptions::new().labels(["neg", "pos"])).unwrap();
/// assert_eq!(d.columns, ["class", "fpr", "tpr"]);
/// assert_eq!(d.data.len(), 8);
/// ```
pub fn roc_curve_data<L: ClassLabel, P: AsRef<[f64]>>(
    y_true: &[L],
    y_probas: &[P],
    opts: &CurveOptions,
) -> Result<ChartData> {
    let problems = one_vs_rest("roc_curve", y_true, y_probas, opts)?;
    // A dict keyed by label in the official client: a repeated label keeps
    // its first position and the last curve.
    let mut curves: IndexMap<ClassId, metrics::RocCurve> = IndexMap::new();
    for p in problems {
        let roc = metrics::roc_curve(&p.positive, &p.scores, true)?;
        curves.insert(p.label, roc);
    }
    let mut data = ChartData::new(&["class", "fpr", "tpr"]);
    for (label, roc) in &curves {
        for (f, t) in roc.fpr.iter().zip(&roc.tpr) {
            data.data.push(vec![
                label.to_value(),
                Value::Float(round3(*f)),
                Value::Float(round3(*t)),
            ]);
        }
    }
    limit_rows(&mut data, &[1, 2, 0]);
    Ok(data)
}

/// `numpy.linspace(0, 1, n)[::-1]`, bit for bit.
fn interp_recall(n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = match n {
        0 => vec![],
        1 => vec![0.0],
        _ => {
            let step = 1.0 / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step).collect();
            v[n - 1] = 1.0;
            v
        }
    };
    v.reverse();
    v
}

/// The rows of `wandb.plot.pr_curve`: columns `class, precision, recall`.
///
/// Per class, the scikit-learn precision-recall curve is made monotone (each
/// precision becomes the largest precision at that or any lower threshold)
/// and sampled at `interp_size` evenly spaced recall values from 1 down to 0:
/// at recall `r` the precision of the first curve point (in increasing
/// recall) whose recall is `>= r`. Values are rounded to 3 decimals.
///
/// ```
/// use wandb_plot::{pr_curve_data, CurveOptions};
/// let d = pr_curve_data(&[0, 1, 1, 0], &[[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]],
///                       &CurveOptions::new().labels(["neg", "pos"])).unwrap();
/// assert_eq!(d.columns, ["class", "precision", "recall"]);
/// assert_eq!(d.data.len(), 42);
/// ```
pub fn pr_curve_data<L: ClassLabel, P: AsRef<[f64]>>(
    y_true: &[L],
    y_probas: &[P],
    opts: &CurveOptions,
) -> Result<ChartData> {
    let problems = one_vs_rest("pr_curve", y_true, y_probas, opts)?;
    let recall_points = interp_recall(opts.interp_size);
    let mut curves: IndexMap<ClassId, Vec<f64>> = IndexMap::new();
    for p in problems {
        let pr = metrics::precision_recall_curve(&p.positive, &p.scores)?;
        let mut precision = pr.precision;
        for i in 1..precision.len() {
            precision[i] = precision[i].max(precision[i - 1]);
        }
        precision.reverse();
        let mut recall = pr.recall;
        recall.reverse();
        let sampled = recall_points
            .iter()
            .map(|&r| {
                // np.searchsorted(recall, r, side="left"); recall ends at 1.0,
                // so the index is always in range.
                let idx = recall.partition_point(|&x| x < r);
                precision
                    .get(idx)
                    .or(precision.last())
                    .copied()
                    .unwrap_or(f64::NAN)
            })
            .collect();
        curves.insert(p.label, sampled);
    }
    let mut data = ChartData::new(&["class", "precision", "recall"]);
    for (label, precision) in &curves {
        for (p, r) in precision.iter().zip(&recall_points) {
            data.data.push(vec![
                label.to_value(),
                Value::Float(round3(*p)),
                Value::Float(round3(*r)),
            ]);
        }
    }
    limit_rows(&mut data, &[1, 2, 0]);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden_inputs() -> (Vec<i32>, Vec<[f64; 2]>) {
        (
            vec![0, 1, 1, 0],
            vec![[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]],
        )
    }

    fn row(d: &ChartData, i: usize) -> (String, f64, f64) {
        let r = &d.data[i];
        (
            r[0].as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{:?}", r[0])),
            r[1].as_f64().unwrap(),
            r[2].as_f64().unwrap(),
        )
    }

    #[test]
    fn linspace_is_bit_exact() {
        let v = interp_recall(21);
        assert_eq!(v.len(), 21);
        assert_eq!(v[0], 1.0);
        assert_eq!(v[20], 0.0);
        // numpy: np.linspace(0, 1, 21)[3] == 0.15000000000000002
        assert_eq!(v[17], 0.15000000000000002);
        assert_eq!(interp_recall(1), vec![0.0]);
    }

    #[test]
    fn roc_golden_rows() {
        let (y, p) = golden_inputs();
        let d = roc_curve_data(&y, &p, &CurveOptions::new().labels(["neg", "pos"])).unwrap();
        let expect = [
            ("neg", 0.0, 0.0),
            ("neg", 0.0, 0.5),
            ("neg", 0.0, 1.0),
            ("neg", 1.0, 1.0),
            ("pos", 0.0, 0.0),
            ("pos", 0.0, 0.5),
            ("pos", 0.0, 1.0),
            ("pos", 1.0, 1.0),
        ];
        for (i, e) in expect.iter().enumerate() {
            assert_eq!(row(&d, i), (e.0.to_owned(), e.1, e.2));
        }
    }

    #[test]
    fn pr_golden_rows() {
        let (y, p) = golden_inputs();
        let d = pr_curve_data(&y, &p, &CurveOptions::new().labels(["neg", "pos"])).unwrap();
        assert_eq!(d.data.len(), 42);
        for i in 0..42 {
            let (class, prec, rec) = row(&d, i);
            assert_eq!(class, if i < 21 { "neg" } else { "pos" });
            assert_eq!(prec, 1.0);
            assert_eq!(rec, round3(1.0 - (i % 21) as f64 * 0.05));
        }
    }

    #[test]
    fn pr_monotone_interpolation_by_hand() {
        // Binary classes 0/1, column 1 scores for class 1:
        // y = [0,0,1,1], s = [0.1,0.4,0.35,0.8] -> sklearn precision
        // [0.5, 0.667, 0.5, 1, 1], recall [1, 1, 0.5, 0.5, 0].
        // running max -> [0.5, 0.667, 0.667, 1, 1]; reversed recall
        // [0, 0.5, 0.5, 1, 1] with precision [1, 1, 0.667, 0.667, 0.5].
        // r=1 -> idx 3 -> 0.667; r in (0.5,1) -> idx 3 -> 0.667;
        // r=0.5 -> idx 1 -> 1; r in (0,0.5) -> idx 1 -> 1; r=0 -> idx 0 -> 1.
        let y = [0, 0, 1, 1];
        let p = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]];
        let d = pr_curve_data(&y, &p, &CurveOptions::new().classes_to_plot([1])).unwrap();
        assert_eq!(d.data.len(), 21);
        for i in 0..21 {
            let (class, prec, rec) = (
                d.data[i][0].clone(),
                d.data[i][1].as_f64().unwrap(),
                d.data[i][2].as_f64().unwrap(),
            );
            assert!(matches!(class, Value::Int(1)));
            let expect = if rec > 0.5 { 0.667 } else { 1.0 };
            assert_eq!(prec, expect, "recall {rec}");
        }
    }

    #[test]
    fn integer_classes_without_labels_stay_integers() {
        let y = [2, 5, 5];
        let p = [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]];
        let d = roc_curve_data(&y, &p, &CurveOptions::new()).unwrap();
        assert!(matches!(d.data[0][0], Value::Int(2)));
        assert!(matches!(d.data.last().unwrap()[0], Value::Int(5)));
    }

    #[test]
    fn string_classes_ignore_labels() {
        let y = ["cat", "dog", "cat"];
        let p = [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]];
        let d = roc_curve_data(&y, &p, &CurveOptions::new().labels(["x", "y"])).unwrap();
        assert_eq!(d.data[0][0].as_str(), Some("cat"));
    }

    #[test]
    fn errors() {
        let p = [[0.9, 0.1], [0.2, 0.8]];
        assert!(matches!(
            roc_curve_data(&[0, 3], &p, &CurveOptions::new().labels(["a", "b"])),
            Err(PlotError::ClassOutOfRange { .. })
        ));
        assert!(matches!(
            roc_curve_data(
                &[0, 1, 2],
                &[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]],
                &CurveOptions::new()
            ),
            Err(PlotError::MissingColumn { needed: 2, .. })
        ));
        assert!(matches!(
            pr_curve_data(&[0, 1], &[vec![0.5, 0.5], vec![0.5]], &CurveOptions::new()),
            Err(PlotError::Ragged { row: 1, .. })
        ));
        assert!(matches!(
            pr_curve_data(&[0, 1], &p[..1], &CurveOptions::new()),
            Err(PlotError::LengthMismatch { .. })
        ));
    }
}
