//! Binary classification curves with the same thresholds and outputs as
//! scikit-learn 1.9 (`sklearn.metrics.roc_curve` and
//! `sklearn.metrics.precision_recall_curve` without sample weights).
//!
//! The official `wandb.plot.roc_curve` / `pr_curve` call these scikit-learn
//! functions once per class (one-vs-rest); wandb-rs computes them natively.

use crate::error::{PlotError, Result};

/// Counts of false and true positives at each distinct score threshold,
/// from the highest threshold to the lowest (scikit-learn's
/// `confusion_matrix_at_thresholds`).
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdCounts {
    /// False positives when predicting positive for `score >= thresholds[i]`.
    pub fps: Vec<f64>,
    /// True positives when predicting positive for `score >= thresholds[i]`.
    pub tps: Vec<f64>,
    /// The distinct scores, in decreasing order.
    pub thresholds: Vec<f64>,
}

/// A ROC curve: `fpr[i]`, `tpr[i]` for predicting positive when
/// `score >= thresholds[i]`. `thresholds[0]` is `+Infinity` (the point (0, 0)).
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False positive rates (increasing). All `NaN` when there is no negative sample.
    pub fpr: Vec<f64>,
    /// True positive rates (increasing). All `NaN` when there is no positive sample.
    pub tpr: Vec<f64>,
    /// Decreasing thresholds, starting with `+Infinity`.
    pub thresholds: Vec<f64>,
}

/// A precision-recall curve in scikit-learn's order: thresholds increasing,
/// recall decreasing; the last point is `precision = 1`, `recall = 0`
/// (it has no threshold, so `thresholds` is one shorter).
#[derive(Debug, Clone, PartialEq)]
pub struct PrCurve {
    /// Precision at each threshold, then 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold (decreasing), then 0.
    pub recall: Vec<f64>,
    /// Increasing thresholds.
    pub thresholds: Vec<f64>,
}

fn check_inputs(what: &'static str, y_true: &[bool], y_score: &[f64]) -> Result<()> {
    if y_true.len() != y_score.len() {
        return Err(PlotError::LengthMismatch {
            what,
            left: "y_true",
            left_len: y_true.len(),
            right: "y_score",
            right_len: y_score.len(),
            unit: "sample",
        });
    }
    if y_true.is_empty() {
        return Err(PlotError::Empty {
            what,
            input: "y_true",
        });
    }
    if let Some((index, &value)) = y_score.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(PlotError::NonFinite {
            what,
            input: "y_score",
            index,
            value,
        });
    }
    Ok(())
}

/// False/true positive counts per distinct threshold (scikit-learn's
/// `_binary_clf_curve`): samples sorted by decreasing score, one entry at
/// the last sample of each run of equal scores.
///
/// `y_true[i]` says whether sample `i` belongs to the positive class.
///
/// ```
/// let c = wandb_plot::metrics::binary_clf_curve(&[true, false, true], &[0.9, 0.5, 0.5]).unwrap();
/// assert_eq!(c.thresholds, vec![0.9, 0.5]);
/// assert_eq!(c.tps, vec![1.0, 2.0]);
/// assert_eq!(c.fps, vec![0.0, 1.0]);
/// ```
pub fn binary_clf_curve(y_true: &[bool], y_score: &[f64]) -> Result<ThresholdCounts> {
    check_inputs("binary_clf_curve", y_true, y_score)?;
    let mut order: Vec<usize> = (0..y_score.len()).collect();
    // Ties may come in any order: the counts are taken at the end of each
    // run of equal scores.
    order.sort_by(|&a, &b| y_score[b].total_cmp(&y_score[a]));
    let n = order.len();
    let mut fps = Vec::new();
    let mut tps = Vec::new();
    let mut thresholds = Vec::new();
    let mut cum = 0.0f64;
    for (pos, &i) in order.iter().enumerate() {
        if y_true[i] {
            cum += 1.0;
        }
        // `np.diff(y_score) != 0`: -0.0 and 0.0 are one threshold.
        let last_of_run = pos + 1 == n || y_score[order[pos + 1]] != y_score[i];
        if last_of_run {
            tps.push(cum);
            fps.push(1.0 + pos as f64 - cum);
            thresholds.push(y_score[i]);
        }
    }
    Ok(ThresholdCounts {
        fps,
        tps,
        thresholds,
    })
}

/// Second discrete difference `np.diff(x, 2)[k]`, computed the way numpy does.
fn diff2(x: &[f64], k: usize) -> f64 {
    (x[k + 2] - x[k + 1]) - (x[k + 1] - x[k])
}

/// ROC curve of one binary problem, like
/// `sklearn.metrics.roc_curve(y_true, y_score, drop_intermediate=...)`
/// (scikit-learn's default is `drop_intermediate=True`, which drops
/// thresholds whose point lies on a straight segment of the curve).
///
/// ```
/// // The golden `wandb.plot.roc_curve` example, class 1 ("pos").
/// let y_true = [false, true, true, false];
/// let scores = [0.2, 0.7, 0.4, 0.1];
/// let roc = wandb_plot::metrics::roc_curve(&y_true, &scores, true).unwrap();
/// assert_eq!(roc.fpr, vec![0.0, 0.0, 0.0, 1.0]);
/// assert_eq!(roc.tpr, vec![0.0, 0.5, 1.0, 1.0]);
/// assert_eq!(roc.thresholds, vec![f64::INFINITY, 0.7, 0.4, 0.1]);
/// ```
pub fn roc_curve(y_true: &[bool], y_score: &[f64], drop_intermediate: bool) -> Result<RocCurve> {
    let counts = binary_clf_curve(y_true, y_score)?;
    let ThresholdCounts {
        mut fps,
        mut tps,
        mut thresholds,
    } = counts;
    if drop_intermediate && fps.len() > 2 {
        let last = fps.len() - 1;
        let keep: Vec<usize> = (0..fps.len())
            .filter(|&i| {
                i == 0 || i == last || diff2(&fps, i - 1) != 0.0 || diff2(&tps, i - 1) != 0.0
            })
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
        thresholds = keep.iter().map(|&i| thresholds[i]).collect();
    }
    fps.insert(0, 0.0);
    tps.insert(0, 0.0);
    thresholds.insert(0, f64::INFINITY);
    let rate = |v: &[f64]| -> Vec<f64> {
        let total = v.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            vec![f64::NAN; v.len()]
        } else {
            v.iter().map(|x| x / total).collect()
        }
    };
    Ok(RocCurve {
        fpr: rate(&fps),
        tpr: rate(&tps),
        thresholds,
    })
}

/// Precision-recall curve of one binary problem, like
/// `sklearn.metrics.precision_recall_curve(y_true, y_score)` (with its default
/// `drop_intermediate=False`).
///
/// ```
/// let pr = wandb_plot::metrics::precision_recall_curve(
///     &[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
/// assert_eq!(pr.precision, vec![0.5, 2.0 / 3.0, 0.5, 1.0, 1.0]);
/// assert_eq!(pr.recall, vec![1.0, 1.0, 0.5, 0.5, 0.0]);
/// assert_eq!(pr.thresholds, vec![0.1, 0.35, 0.4, 0.8]);
/// ```
pub fn precision_recall_curve(y_true: &[bool], y_score: &[f64]) -> Result<PrCurve> {
    let ThresholdCounts {
        fps,
        tps,
        thresholds,
    } = binary_clf_curve(y_true, y_score)?;
    let total = tps.last().copied().unwrap_or(0.0);
    let mut precision: Vec<f64> = tps
        .iter()
        .zip(&fps)
        .map(|(&t, &f)| {
            let ps = t + f;
            if ps != 0.0 {
                t / ps
            } else {
                0.0
            }
        })
        .collect();
    let mut recall: Vec<f64> = if total == 0.0 {
        vec![1.0; tps.len()]
    } else {
        tps.iter().map(|t| t / total).collect()
    };
    precision.reverse();
    recall.reverse();
    precision.push(1.0);
    recall.push(0.0);
    let mut thresholds = thresholds;
    thresholds.reverse();
    Ok(PrCurve {
        precision,
        recall,
        thresholds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below were worked out by hand following scikit-learn's
    // algorithm (and agree with scikit-learn 1.9.1).

    #[test]
    fn roc_keeps_corners_and_drops_collinear_points() {
        // scores sorted: 0.9(T) 0.8(T) 0.6(F) 0.3(F) -> fps 0,0,1,2 tps 1,2,2,2;
        // the point at 0.6 lies on the segment (0,2)-(2,2) and is dropped.
        let y = [true, false, false, true];
        let s = [0.8, 0.3, 0.6, 0.9];
        let roc = roc_curve(&y, &s, true).unwrap();
        assert_eq!(roc.fpr, vec![0.0, 0.0, 0.0, 1.0]);
        assert_eq!(roc.tpr, vec![0.0, 0.5, 1.0, 1.0]);
        assert_eq!(roc.thresholds, vec![f64::INFINITY, 0.9, 0.8, 0.3]);
        let full = roc_curve(&y, &s, false).unwrap();
        assert_eq!(full.fpr, vec![0.0, 0.0, 0.0, 0.5, 1.0]);
        assert_eq!(full.thresholds, vec![f64::INFINITY, 0.9, 0.8, 0.6, 0.3]);
    }

    #[test]
    fn roc_with_ties() {
        // sklearn: roc_curve([0,0,1,1,1], [0.1,0.4,0.4,0.8,0.1])
        // sorted: 0.8(T) 0.4(F,T) 0.1(F,T) -> tps 1,2,3 fps 0,1,2
        // diff2 fps [0] tps [0]... 1-0=1,2-1=1 -> 0; tps 1,1 -> 0: middle dropped.
        let y = [false, false, true, true, true];
        let s = [0.1, 0.4, 0.4, 0.8, 0.1];
        let roc = roc_curve(&y, &s, true).unwrap();
        assert_eq!(roc.fpr, vec![0.0, 0.0, 1.0]);
        assert_eq!(roc.tpr, vec![0.0, 1.0 / 3.0, 1.0]);
        assert_eq!(roc.thresholds, vec![f64::INFINITY, 0.8, 0.1]);
    }

    #[test]
    fn roc_without_negatives_is_nan() {
        let roc = roc_curve(&[true, true], &[0.1, 0.2], true).unwrap();
        assert!(roc.fpr.iter().all(|v| v.is_nan()));
        assert_eq!(roc.tpr, vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn pr_curve_matches_sklearn_docs_example() {
        // The example of sklearn's precision_recall_curve docstring.
        let pr =
            precision_recall_curve(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
        assert_eq!(pr.precision, vec![0.5, 2.0 / 3.0, 0.5, 1.0, 1.0]);
        assert_eq!(pr.recall, vec![1.0, 1.0, 0.5, 0.5, 0.0]);
        assert_eq!(pr.thresholds, vec![0.1, 0.35, 0.4, 0.8]);
    }

    #[test]
    fn pr_without_positives_has_recall_one() {
        let pr = precision_recall_curve(&[false, false], &[0.1, 0.2]).unwrap();
        assert_eq!(pr.recall, vec![1.0, 1.0, 0.0]);
        assert_eq!(pr.precision, vec![0.0, 0.0, 1.0]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            roc_curve(&[true], &[0.1, 0.2], true),
            Err(PlotError::LengthMismatch { .. })
        ));
        assert!(matches!(
            roc_curve(&[], &[], true),
            Err(PlotError::Empty { .. })
        ));
        assert!(matches!(
            precision_recall_curve(&[true, false], &[0.1, f64::NAN]),
            Err(PlotError::NonFinite { index: 1, .. })
        ));
    }

    #[test]
    fn negative_zero_is_the_same_threshold() {
        let c = binary_clf_curve(&[true, false], &[0.0, -0.0]).unwrap();
        assert_eq!(c.tps, vec![1.0]);
        assert_eq!(c.fps, vec![1.0]);
    }
}
