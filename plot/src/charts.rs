//! The chart builders: `wandb.plot.line`, `scatter`, `bar`, `histogram`,
//! `line_series`, `confusion_matrix`, `roc_curve` and `pr_curve`.

use wandb_core::Value;
use wandb_data_types::Table;

use crate::chart::{require_column, table_of, Chart};
use crate::classes::ClassLabel;
use crate::confusion::{argmax_rows, confusion_matrix_data};
use crate::curves::{pr_curve_data, roc_curve_data, CurveOptions};
use crate::error::Result;
use crate::series::{line_series_data, Xs};
use crate::spec::ChartSpec;

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

/// A line chart of columns `x` and `y` of `table` (`wandb.plot.line`; preset
/// `wandb/line/v0`, empty title, no `stroke`).
///
/// ```
/// use wandb_data_types::{cells, Table};
/// let t = Table::from_rows(["x", "y"], [cells![0, 0], cells![1, 1]]).unwrap();
/// let chart = wandb_plot::line(&t, "x", "y").unwrap().title("Line");
/// assert_eq!(chart.table_key("line_plot"), "line_plot_table");
/// ```
pub fn line(table: &Table, x: &str, y: &str) -> Result<Chart> {
    require_column("line", table, x)?;
    require_column("line", table, y)?;
    Ok(Chart::new(
        table.clone(),
        ChartSpec::new(
            "wandb/line/v0",
            [("x", s(x)), ("y", s(y)), ("stroke", Value::Null)],
            [("title", s(""))],
        ),
    ))
}

/// A scatter plot of columns `x` and `y` of `table` (`wandb.plot.scatter`;
/// preset `wandb/scatter/v0`).
pub fn scatter(table: &Table, x: &str, y: &str) -> Result<Chart> {
    require_column("scatter", table, x)?;
    require_column("scatter", table, y)?;
    Ok(Chart::new(
        table.clone(),
        ChartSpec::new(
            "wandb/scatter/v0",
            [("x", s(x)), ("y", s(y))],
            [("title", s(""))],
        ),
    ))
}

/// A bar chart: one bar per row, labelled by column `label`, of height
/// column `value` (`wandb.plot.bar`; preset `wandb/bar/v0`).
pub fn bar(table: &Table, label: &str, value: &str) -> Result<Chart> {
    require_column("bar", table, label)?;
    require_column("bar", table, value)?;
    Ok(Chart::new(
        table.clone(),
        ChartSpec::new(
            "wandb/bar/v0",
            [("label", s(label)), ("value", s(value))],
            [("title", s(""))],
        ),
    ))
}

/// A histogram of column `value` of `table`, binned by the W&B UI
/// (`wandb.plot.histogram`; preset `wandb/histogram/v0`).
pub fn histogram(table: &Table, value: &str) -> Result<Chart> {
    require_column("histogram", table, value)?;
    Ok(Chart::new(
        table.clone(),
        ChartSpec::new(
            "wandb/histogram/v0",
            [("value", s(value))],
            [("title", s(""))],
        ),
    ))
}

/// Several lines on one chart (`wandb.plot.line_series`; preset
/// `wandb/lineseries/v0`): series `i` is `ys[i]` against its x values, named
/// `keys[i]` (default `line_<i>`). Empty title; set the x-axis title with
/// [`Chart::xname`] (default `x`).
///
/// ```
/// use wandb_plot::Xs;
/// let chart = wandb_plot::line_series(Xs::shared([0, 1, 2]), vec![vec![1, 2, 3], vec![3, 2, 1]],
///                                     Some(vec!["s1".into(), "s2".into()]))
///     .unwrap()
///     .title("LS")
///     .xname("step");
/// assert_eq!(chart.table().nrows(), 6);
/// ```
pub fn line_series<Y: Into<Value>>(
    xs: Xs,
    ys: Vec<Vec<Y>>,
    keys: Option<Vec<String>>,
) -> Result<Chart> {
    let table = table_of(line_series_data(xs, ys, keys)?)?;
    Ok(Chart::new(
        table,
        ChartSpec::new(
            "wandb/lineseries/v0",
            [
                ("step", s("step")),
                ("lineKey", s("lineKey")),
                ("lineVal", s("lineVal")),
            ],
            [("title", s("")), ("xname", s("x"))],
        ),
    ))
}

fn confusion_chart(table: Table) -> Chart {
    Chart::new(
        table,
        ChartSpec::new(
            "wandb/confusion_matrix/v1",
            [
                ("Actual", s("Actual")),
                ("Predicted", s("Predicted")),
                ("nPredictions", s("nPredictions")),
            ],
            [("title", s("Confusion Matrix Curve"))],
        ),
    )
}

/// A confusion matrix from true and predicted labels
/// (`wandb.plot.confusion_matrix(y_true=..., preds=..., class_names=...)`;
/// preset `wandb/confusion_matrix/v1`, title `Confusion Matrix Curve`).
///
/// With `class_names`, labels are class indices into it; without, classes are
/// the sorted distinct labels, named `Class_1`, `Class_2`, ….
///
/// ```
/// let cm = wandb_plot::confusion_matrix(&[0, 1, 1, 0], &[0, 1, 0, 0], Some(&["neg", "pos"])).unwrap();
/// assert_eq!(cm.table().nrows(), 4);
/// ```
pub fn confusion_matrix<T: ClassLabel, P: ClassLabel, S: AsRef<str>>(
    y_true: &[T],
    preds: &[P],
    class_names: Option<&[S]>,
) -> Result<Chart> {
    Ok(confusion_chart(table_of(confusion_matrix_data(
        y_true,
        preds,
        class_names,
    )?)?))
}

/// A confusion matrix from true labels and class probabilities: the
/// prediction for a sample is the column of its largest probability
/// (`wandb.plot.confusion_matrix(probs=..., y_true=...)`).
pub fn confusion_matrix_from_probs<T: ClassLabel, P: AsRef<[f64]>, S: AsRef<str>>(
    y_true: &[T],
    probs: &[P],
    class_names: Option<&[S]>,
) -> Result<Chart> {
    let preds = argmax_rows(probs)?;
    confusion_matrix(y_true, &preds, class_names)
}

fn curve_chart(table: Table, x: &str, y: &str, title: &str, x_title: &str, y_title: &str) -> Chart {
    Chart::new(
        table,
        ChartSpec::new(
            "wandb/area-under-curve/v0",
            [("x", s(x)), ("y", s(y)), ("class", s("class"))],
            [
                ("title", s(title)),
                ("x-axis-title", s(x_title)),
                ("y-axis-title", s(y_title)),
            ],
        ),
    )
}

/// One-vs-rest ROC curves, one per class of `y_true`
/// (`wandb.plot.roc_curve`; preset `wandb/area-under-curve/v0`, title
/// `ROC Curve`). `y_probas[i][c]` is the score of sample `i` for the class at
/// position `c` among the sorted distinct values of `y_true`. See
/// [`roc_curve_data`](crate::roc_curve_data) for the table.
///
/// ```
/// use wandb_plot::CurveOptions;
/// let roc = wandb_plot::roc_curve(&[0, 1, 1, 0], &[[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]],
///                                 &CurveOptions::new().labels(["neg", "pos"])).unwrap();
/// assert_eq!(roc.table().columns(), ["class", "fpr", "tpr"]);
/// ```
pub fn roc_curve<L: ClassLabel, P: AsRef<[f64]>>(
    y_true: &[L],
    y_probas: &[P],
    options: &CurveOptions,
) -> Result<Chart> {
    let table = table_of(roc_curve_data(y_true, y_probas, options)?)?;
    Ok(curve_chart(
        table,
        "fpr",
        "tpr",
        "ROC Curve",
        "False positive rate",
        "True positive rate",
    ))
}

/// One-vs-rest precision-recall curves, sampled at 21 recall points per class
/// (`wandb.plot.pr_curve`; preset `wandb/area-under-curve/v0`, title
/// `Precision-Recall Curve`). See [`pr_curve_data`](crate::pr_curve_data)
/// for the table.
pub fn pr_curve<L: ClassLabel, P: AsRef<[f64]>>(
    y_true: &[L],
    y_probas: &[P],
    options: &CurveOptions,
) -> Result<Chart> {
    let table = table_of(pr_curve_data(y_true, y_probas, options)?)?;
    Ok(curve_chart(
        table,
        "recall",
        "precision",
        "Precision-Recall Curve",
        "Recall",
        "Precision",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wandb_data_types::cells;

    #[test]
    fn missing_columns_are_errors() {
        let t = Table::from_rows(["x", "y"], [cells![0, 0]]).unwrap();
        let err = line(&t, "x", "z").unwrap_err();
        assert!(err.to_string().contains("\"z\""), "{err}");
        assert!(histogram(&t, "y").is_ok());
    }

    #[test]
    fn stroke_and_xname_only_touch_their_charts() {
        let t = Table::from_rows(["x", "y", "c"], [cells![0, 0, "a"]]).unwrap();
        let l = line(&t, "x", "y").unwrap().stroke("c");
        assert_eq!(l.spec().fields.get("stroke"), Some(&s("c")));
        let sc = scatter(&t, "x", "y").unwrap().stroke("c").xname("q");
        assert!(sc.spec().fields.get("stroke").is_none());
        assert!(sc.spec().string_fields.get("xname").is_none());
    }

    #[test]
    fn split_table_key() {
        let t = Table::from_rows(["v"], [cells![1]]).unwrap();
        let h = histogram(&t, "v").unwrap().split_table(true);
        assert_eq!(h.table_key("h"), "Custom Chart Tables/h_table");
        let (k, _) = h.entry("h");
        assert_eq!(k, "Custom Chart Tables/h_table");
    }
}
