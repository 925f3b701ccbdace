//! Cross-check against the official client itself: random inputs go through
//! `wandb.plot.roc_curve` / `pr_curve` / `confusion_matrix` of wandb 0.31.0
//! (with scikit-learn 1.9.1 and pandas from `scripts/oracle-venv.sh`), and
//! the table rows must equal ours exactly.

use serde_json::{json, Value as J};
use wandb_core::Value;
use wandb_plot::{ChartData, CurveOptions};
use wandb_test_support::{oracle_python_run, ScratchDir};

const ORACLE: &str = r#"
import json, sys, warnings
warnings.filterwarnings("ignore")
import wandb
arg = sys.argv[1]
cases = json.load(open(arg[1:])) if arg.startswith("@") else json.loads(arg)
out = []
for c in cases:
    kw = {}
    if c.get("labels") is not None:
        kw["labels"] = c["labels"]
    if c.get("classes_to_plot") is not None:
        kw["classes_to_plot"] = c["classes_to_plot"]
    if c["kind"] == "roc":
        ch = wandb.plot.roc_curve(c["y_true"], c["probas"], **kw)
    elif c["kind"] == "pr":
        ch = wandb.plot.pr_curve(c["y_true"], c["probas"], **kw)
    else:
        ch = wandb.plot.confusion_matrix(probs=c["probas"], y_true=c["y_true"],
                                         class_names=c.get("labels"))
    out.append({"columns": ch.table.columns, "data": ch.table.data})
print(json.dumps(out, default=lambda o: o.item()))
"#;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A probability row over `k` classes; `decimals` > 0 rounds the values
    /// so that many scores tie.
    fn probas(&mut self, k: usize, decimals: i32) -> Vec<f64> {
        let raw: Vec<f64> = (0..k).map(|_| (self.below(1000) + 1) as f64).collect();
        let sum: f64 = raw.iter().sum();
        raw.iter()
            .map(|v| {
                let p = v / sum;
                if decimals > 0 {
                    let f = 10f64.powi(decimals);
                    (p * f).round() / f
                } else {
                    p
                }
            })
            .collect()
    }
}

struct Case {
    kind: &'static str,
    y_true: Vec<i64>,
    probas: Vec<Vec<f64>>,
    labels: Option<Vec<String>>,
    classes_to_plot: Option<Vec<i64>>,
    /// String labels used instead of `y_true` (`y_true[i]`-th name).
    y_names: Option<Vec<String>>,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    for (i, &(k, n, decimals)) in [(2, 40, 0), (3, 120, 1), (5, 200, 2), (4, 60, 1), (2, 7, 1)]
        .iter()
        .enumerate()
    {
        let y_true: Vec<i64> = (0..n).map(|_| rng.below(k as u64) as i64).collect();
        let probas: Vec<Vec<f64>> = (0..n).map(|_| rng.probas(k, decimals)).collect();
        let labels = (i % 2 == 0).then(|| (0..k).map(|c| format!("class {c}")).collect());
        let classes_to_plot = (i == 3).then(|| vec![1, 3]);
        for kind in ["roc", "pr", "cm"] {
            out.push(Case {
                kind,
                y_true: y_true.clone(),
                probas: probas.clone(),
                labels: labels.clone(),
                classes_to_plot: if kind == "cm" {
                    None
                } else {
                    classes_to_plot.clone()
                },
                y_names: None,
            });
        }
    }
    // String classes: shown as they are, scored with the column of their
    // position among the sorted names.
    let names = ["eel", "cat", "dog"];
    let y_true: Vec<i64> = (0..50).map(|_| rng.below(3) as i64).collect();
    for kind in ["roc", "pr"] {
        out.push(Case {
            kind,
            y_true: y_true.clone(),
            probas: (0..50).map(|_| rng.probas(3, 1)).collect(),
            labels: None,
            classes_to_plot: None,
            y_names: Some(
                y_true
                    .iter()
                    .map(|&i| names[i as usize].to_owned())
                    .collect(),
            ),
        });
    }
    out
}

fn to_json(d: &ChartData) -> J {
    let cell = |v: &Value| -> J {
        match v {
            Value::Int(i) => json!(i),
            Value::Float(f) => json!(f),
            Value::Str(s) => json!(s),
            other => panic!("unexpected cell {other:?}"),
        }
    };
    json!({
        "columns": d.columns,
        "data": d.data.iter().map(|r| r.iter().map(cell).collect::<Vec<_>>()).collect::<Vec<_>>(),
    })
}

#[test]
fn roc_pr_and_confusion_tables_equal_the_official_client() {
    let cases = cases();
    let input: Vec<J> = cases
        .iter()
        .map(|c| {
            let y_true = match &c.y_names {
                Some(n) => json!(n),
                None => json!(c.y_true),
            };
            json!({"kind": c.kind, "y_true": y_true, "probas": c.probas,
                   "labels": c.labels, "classes_to_plot": c.classes_to_plot})
        })
        .collect();
    let scratch = ScratchDir::new("plot-oracle");
    let stdout = oracle_python_run(
        ORACLE,
        &[&serde_json::to_string(&input).unwrap()],
        scratch.path(),
    );
    let official: Vec<J> = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(official.len(), cases.len());
    let mut compared = 0;
    for (i, (c, theirs)) in cases.iter().zip(&official).enumerate() {
        let mut opts = CurveOptions::new();
        if let Some(l) = &c.labels {
            opts = opts.labels(l.iter().cloned());
        }
        if let Some(only) = &c.classes_to_plot {
            opts = opts.classes_to_plot(only.iter().copied());
        }
        let ours = match (c.kind, &c.y_names) {
            ("roc", Some(n)) => wandb_plot::roc_curve_data(n, &c.probas, &opts).unwrap(),
            ("pr", Some(n)) => wandb_plot::pr_curve_data(n, &c.probas, &opts).unwrap(),
            ("roc", None) => wandb_plot::roc_curve_data(&c.y_true, &c.probas, &opts).unwrap(),
            ("pr", None) => wandb_plot::pr_curve_data(&c.y_true, &c.probas, &opts).unwrap(),
            _ => {
                let preds = wandb_plot::argmax_rows(&c.probas).unwrap();
                wandb_plot::confusion_matrix_data(&c.y_true, &preds, c.labels.as_deref()).unwrap()
            }
        };
        let ours = to_json(&ours);
        assert_eq!(ours["columns"], theirs["columns"], "case {i} ({})", c.kind);
        let (a, b) = (
            ours["data"].as_array().unwrap(),
            theirs["data"].as_array().unwrap(),
        );
        assert_eq!(a.len(), b.len(), "case {i} ({}): row count", c.kind);
        assert!(!a.is_empty(), "case {i}");
        compared += a.len();
        for (r, (x, y)) in a.iter().zip(b).enumerate() {
            assert_eq!(x, y, "case {i} ({}) row {r}", c.kind);
        }
    }
    assert!(compared > 500, "only {compared} rows compared");
}

/// More than 10 000 ROC points: the official client keeps a stratified
/// random subset (`sklearn.utils.resample(random_state=42)`) sorted by
/// (fpr, tpr, class); ours must keep exactly the same rows.
#[test]
fn large_roc_tables_are_resampled_like_the_official_client() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let n = 9000;
    let y_true: Vec<i64> = (0..n).map(|_| rng.below(3) as i64).collect();
    let probas: Vec<Vec<f64>> = (0..n).map(|_| rng.probas(3, 0)).collect();
    let labels = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let scratch = ScratchDir::new("plot-oracle-large");
    let input = scratch.path().join("cases.json");
    let cases = json!([{"kind": "roc", "y_true": y_true, "probas": probas, "labels": labels}]);
    std::fs::write(&input, serde_json::to_vec(&cases).unwrap()).unwrap();
    let stdout = oracle_python_run(ORACLE, &[&format!("@{}", input.display())], scratch.path());
    let official: Vec<J> = serde_json::from_str(stdout.trim()).unwrap();

    let full = wandb_plot::roc_curve_data(
        &y_true,
        &probas,
        &CurveOptions::new().labels(labels.clone()),
    )
    .unwrap();
    assert_eq!(
        full.data.len(),
        wandb_plot::MAX_ROWS,
        "the input must need resampling"
    );
    let ours = to_json(&full);
    let (a, b) = (
        ours["data"].as_array().unwrap(),
        official[0]["data"].as_array().unwrap(),
    );
    assert_eq!(a.len(), b.len());
    for (r, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x, y, "row {r}");
    }
}
