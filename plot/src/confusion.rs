//! The table of `wandb.plot.confusion_matrix`: one `Actual, Predicted,
//! nPredictions` row for every pair of classes, zero cells included, counts
//! as floats.

use std::collections::HashMap;

use wandb_core::Value;

use crate::classes::{ids_of, unique_sorted, ClassId, ClassLabel};
use crate::data::ChartData;
use crate::error::{PlotError, Result};

const WHAT: &str = "confusion_matrix";

/// Predicted classes from a probability matrix: the index of each row's
/// largest value (`numpy.argmax`: the first one on ties; a NaN wins).
///
/// ```
/// assert_eq!(wandb_plot::argmax_rows(&[[0.1, 0.7, 0.2], [0.5, 0.5, 0.0]]).unwrap(), vec![1, 0]);
/// ```
pub fn argmax_rows<P: AsRef<[f64]>>(probs: &[P]) -> Result<Vec<usize>> {
    let width = probs.first().map_or(0, |p| p.as_ref().len());
    probs
        .iter()
        .enumerate()
        .map(|(row, p)| {
            let p = p.as_ref();
            if p.len() != width || width == 0 {
                return Err(PlotError::Ragged {
                    what: WHAT,
                    input: "probs",
                    row,
                    len: p.len(),
                    expected: width.max(1),
                });
            }
            let mut best = 0;
            for (j, &v) in p.iter().enumerate() {
                if v.is_nan() {
                    return Ok(j);
                }
                if v > p[best] {
                    best = j;
                }
            }
            Ok(best)
        })
        .collect()
}

/// The rows of `wandb.plot.confusion_matrix(y_true=..., preds=..., class_names=...)`.
///
/// With `class_names`, labels are class indices `0..class_names.len()`;
/// without, the classes are the sorted distinct values of `y_true` and
/// `preds` together, named `Class_1`, `Class_2`, … in that order.
///
/// ```
/// let d = wandb_plot::confusion_matrix_data(&[0, 1, 1, 0], &[0, 1, 0, 0], Some(&["neg", "pos"])).unwrap();
/// assert_eq!(d.columns, ["Actual", "Predicted", "nPredictions"]);
/// assert_eq!(d.data.len(), 4); // zero cells included
/// ```
pub fn confusion_matrix_data<T: ClassLabel, P: ClassLabel, S: AsRef<str>>(
    y_true: &[T],
    preds: &[P],
    class_names: Option<&[S]>,
) -> Result<ChartData> {
    if preds.len() != y_true.len() {
        return Err(PlotError::LengthMismatch {
            what: WHAT,
            left: "preds",
            left_len: preds.len(),
            right: "y_true",
            right_len: y_true.len(),
            unit: "sample",
        });
    }
    let truth = ids_of(y_true);
    let predicted = ids_of(preds);
    let (names, mapping): (Vec<String>, HashMap<ClassId, usize>) = match class_names {
        Some(names) => {
            let n = names.len();
            let unique_preds = unique_sorted(&predicted).len();
            if unique_preds > n {
                return Err(PlotError::TooFewNames {
                    what: WHAT,
                    input: "predicted classes",
                    unique: unique_preds,
                    names: n,
                });
            }
            let unique_true = unique_sorted(&truth).len();
            if unique_true > n {
                return Err(PlotError::TooFewNames {
                    what: WHAT,
                    input: "true labels",
                    unique: unique_true,
                    names: n,
                });
            }
            let mapping = (0..n).map(|i| (ClassId::Int(i as i128), i)).collect();
            (
                names.iter().map(|s| s.as_ref().to_owned()).collect(),
                mapping,
            )
        }
        None => {
            let mut all = truth.clone();
            all.extend(predicted.iter().cloned());
            let classes = unique_sorted(&all);
            let names = (1..=classes.len()).map(|i| format!("Class_{i}")).collect();
            let mapping = classes
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c, i))
                .collect();
            (names, mapping)
        }
    };
    let n = names.len();
    let index = |c: &ClassId| -> Result<usize> {
        mapping.get(c).copied().ok_or_else(|| match c {
            ClassId::Int(_) => PlotError::ClassOutOfRange {
                what: WHAT,
                class: c.to_string(),
                names: n,
            },
            ClassId::Str(_) => PlotError::NamesNeedIndices {
                what: WHAT,
                class: c.to_string(),
                names: n,
            },
        })
    };
    let mut counts = vec![0u64; n * n];
    for (t, p) in truth.iter().zip(&predicted) {
        counts[index(t)? * n + index(p)?] += 1;
    }
    let mut data = ChartData::new(&["Actual", "Predicted", "nPredictions"]);
    for i in 0..n {
        for j in 0..n {
            data.data.push(vec![
                Value::Str(names[i].clone()),
                Value::Str(names[j].clone()),
                Value::Float(counts[i * n + j] as f64),
            ]);
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(d: &ChartData) -> Vec<(String, String, f64)> {
        d.data
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_owned(),
                    r[1].as_str().unwrap().to_owned(),
                    r[2].as_f64().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn golden_matrix() {
        let d = confusion_matrix_data(&[0, 1, 1, 0], &[0, 1, 0, 0], Some(&["neg", "pos"])).unwrap();
        let s = |a: &str, b: &str, c: f64| (a.to_owned(), b.to_owned(), c);
        assert_eq!(
            cells(&d),
            vec![
                s("neg", "neg", 2.0),
                s("neg", "pos", 0.0),
                s("pos", "neg", 1.0),
                s("pos", "pos", 1.0)
            ]
        );
        assert!(matches!(d.data[1][2], Value::Float(_)));
    }

    #[test]
    fn without_names_classes_are_numbered_by_sorted_position() {
        let d = confusion_matrix_data::<_, _, &str>(&[10, 30], &[30, 30], None).unwrap();
        let c = cells(&d);
        assert_eq!(c.len(), 4);
        assert_eq!(c[1], ("Class_1".into(), "Class_2".into(), 1.0));
        assert_eq!(c[3], ("Class_2".into(), "Class_2".into(), 1.0));
        let d = confusion_matrix_data::<_, _, &str>(&["b", "a"], &["a", "a"], None).unwrap();
        assert_eq!(cells(&d)[2], ("Class_2".into(), "Class_1".into(), 1.0));
    }

    #[test]
    fn from_probabilities() {
        let preds = argmax_rows(&[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]).unwrap();
        assert_eq!(preds, vec![0, 1, 0]);
        let d = confusion_matrix_data(&[0, 1, 1], &preds, Some(&["a", "b"])).unwrap();
        assert_eq!(cells(&d)[2].2, 1.0);
        assert_eq!(argmax_rows(&[[0.1, f64::NAN, 0.9]]).unwrap(), vec![1]);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            confusion_matrix_data(&[0, 1], &[0], Some(&["a", "b"])),
            Err(PlotError::LengthMismatch { .. })
        ));
        assert!(matches!(
            confusion_matrix_data(&[0, 1, 2], &[0, 0, 0], Some(&["a", "b"])),
            Err(PlotError::TooFewNames {
                input: "true labels",
                ..
            })
        ));
        assert!(matches!(
            confusion_matrix_data(&[0, 5], &[0, 0], Some(&["a", "b"])),
            Err(PlotError::ClassOutOfRange { .. })
        ));
        assert!(matches!(
            confusion_matrix_data(&["x"], &["x"], Some(&["a"])),
            Err(PlotError::NamesNeedIndices { .. })
        ));
        assert!(matches!(
            argmax_rows(&[vec![0.1, 0.2], vec![0.3]]),
            Err(PlotError::Ragged { .. })
        ));
    }
}
