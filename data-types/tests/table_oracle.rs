//! Random tables with NaN, ±Infinity and -0.0 cells against the official
//! client (wandb 0.31.0 in the oracle venv): the run file and the
//! `run_table` artifact copy must be byte-identical, so the entry and
//! manifest digests agree.

mod common;

use common::*;
use wandb_core::MediaStep;
use wandb_data_types::{Cell, Table};
use wandb_test_support::{oracle_python_run, ScratchDir};

/// Logs the table given as Python-readable JSON (NaN/Infinity tokens) with
/// the official client, offline, and prints the run file, the artifact's
/// staging copy and that copy's base64 MD5 as one JSON object.
const ORACLE: &str = r#"
import base64, glob, hashlib, json, os, sys
import wandb
spec = json.loads(sys.argv[1])
run = wandb.init(project="tbl-oracle", id="tblorcl1")
run.log({"tbl": wandb.Table(columns=spec["columns"], data=spec["data"])})
run.finish()
run_file = glob.glob("wandb/offline-run-*/files/media/table/tbl_*.table.json")
staged = glob.glob(os.path.join(os.environ["WANDB_DATA_DIR"], "artifacts/staging/*"))
# The official client stages the table twice (identical copies).
copies = {open(p, "rb").read() for p in staged}
assert len(run_file) == 1 and len(copies) == 1, (run_file, staged)
art = copies.pop()
print(json.dumps({
    "run_file": open(run_file[0]).read(),
    "artifact": art.decode(),
    "digest": base64.b64encode(hashlib.md5(art).digest()).decode(),
}))
"#;

/// A float drawn to hit the special values often.
fn special_float(rng: &mut fastrand::Rng) -> f64 {
    match rng.u8(..8) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        4 => 0.0,
        _ => (rng.f64() - 0.5) * 10f64.powi(rng.i32(-5..12)),
    }
}

/// The cell as Python's `json.loads` reads it (the token Python writes).
fn py_token(c: &Cell) -> String {
    match c {
        Cell::Null => "null".into(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) if f.is_nan() => "NaN".into(),
        Cell::Float(f) if f.is_infinite() => if *f > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        Cell::Float(f) => format!("{f:?}"),
        Cell::Str(s) => serde_json::to_string(s).expect("string"),
        other => panic!("not used here: {other:?}"),
    }
}

fn random_table(seed: u64) -> Table {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut t = Table::new(["f", "g", "i", "s"]);
    for r in 0..rng.usize(3..12) {
        let g = if rng.bool() {
            Cell::Null
        } else {
            Cell::Float(special_float(&mut rng))
        };
        t.add_row(vec![
            Cell::Float(special_float(&mut rng)),
            g,
            Cell::Int(rng.i64(-1_000_000..1_000_000)),
            Cell::Str(format!("row {r} é")),
        ])
        .expect("row");
    }
    t
}

fn python_spec(t: &Table) -> String {
    let rows: Vec<String> = t
        .rows()
        .iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter().map(py_token).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    format!(
        r#"{{"columns": {}, "data": [{}]}}"#,
        serde_json::to_string(t.columns()).expect("columns"),
        rows.join(", ")
    )
}

#[test]
fn tables_with_non_finite_and_negative_zero_cells_match_the_official_client() {
    for seed in [1u64, 7, 42] {
        let t = random_table(seed);
        let scratch = ScratchDir::new("tbl-oracle");
        let out = oracle_python_run(ORACLE, &[&python_spec(&t)], scratch.path());
        let official: serde_json::Value =
            serde_json::from_str(out.trim().lines().last().expect("output")).expect("JSON");

        assert_eq!(
            t.run_file_json(),
            official["run_file"].as_str().expect("run file"),
            "run file, seed {seed}"
        );
        assert_eq!(
            t.artifact_json(),
            official["artifact"].as_str().expect("artifact"),
            "artifact copy, seed {seed}"
        );
        let m = materialize(&t, &run_info("tblorcl1"), "tbl", MediaStep::Step(0));
        let contents = &m.artifact().manifest.as_ref().expect("manifest").contents;
        assert_eq!(contents.len(), 1);
        assert_eq!(contents[0].path, "tbl.table.json");
        assert_eq!(
            contents[0].digest,
            official["digest"].as_str().expect("digest"),
            "entry digest, seed {seed}"
        );
    }
}

#[test]
fn nan_is_null_only_in_the_artifact_copy() {
    let t = Table::from_rows(
        ["a", "b", "c"],
        [
            vec![
                Cell::Float(f64::NAN),
                Cell::Float(f64::INFINITY),
                Cell::Float(-0.0),
            ],
            vec![
                Cell::Float(1.5),
                Cell::Float(f64::NEG_INFINITY),
                Cell::Float(0.0),
            ],
        ],
    )
    .expect("table");
    assert!(t
        .run_file_json()
        .contains(r#"[[NaN,Infinity,-0.0],[1.5,-Infinity,0.0]]"#));
    assert!(t
        .artifact_json()
        .contains(r#"[[null, Infinity, -0.0], [1.5, -Infinity, 0.0]]"#));
}
