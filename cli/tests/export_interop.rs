//! `wandb-rs export`: the files are read back with pandas, pyarrow and h5py
//! (the oracle venv) and hold exactly what was logged, with the right
//! dtype per column.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use wandb_test_support::{clear_wandb_env, oracle_python_run, ScratchDir};

const ROWS: i64 = 30;

/// Logs `ROWS` rows: `loss` float (NaN at row 3), `acc` int, `flag` bool
/// on even rows only, `name` string, `nested.a` int, `val/acc` float
/// (whole values included), `img` an image every 10th row.
fn write_run(dir: &Path, project: &str) -> PathBuf {
    let run = wandb::init(
        wandb::InitOptions::new()
            .dir(dir)
            .mode(wandb::Mode::Offline)
            .project(project)
            .config(&json!({"lr": 0.01, "opt": {"name": "adam"}}))
            .console(wandb::Console::Off)
            .system_metrics(false)
            .environment([("HOME", dir.join("home").display().to_string())]),
    )
    .unwrap();
    for i in 0..ROWS {
        let mut row = wandb::row! {
            "loss" => if i == 3 { f64::NAN } else { 1.0 / (i as f64 + 1.0) },
            "acc" => i,
            "name" => format!("r{i}, \"q\""),
            "nested" => json!({"a": i * 2}),
            "val/acc" => i as f64 / 10.0,
        };
        if i % 2 == 0 {
            row.insert("flag", i % 4 == 0);
        }
        if i % 10 == 0 {
            row.insert(
                "img",
                wandb::Value::media(wandb::Image::from_rgb8(1, 1, &[i as u8, 0, 0]).unwrap()),
            );
        }
        run.log(row).unwrap();
    }
    let dir = run.dir().to_path_buf();
    run.finish().unwrap();
    dir
}

/// The expected value of `column` at row `i` (`null` for missing).
fn expected(column: &str, i: i64) -> Value {
    match column {
        "_step" | "acc" => json!(i),
        "loss" if i == 3 => json!("NaN"),
        "loss" => json!(1.0 / (i as f64 + 1.0)),
        "name" => json!(format!("r{i}, \"q\"")),
        "nested.a" => json!(i * 2),
        "val/acc" => json!(i as f64 / 10.0),
        "flag" if i % 2 == 0 => json!(i % 4 == 0),
        "img" if i % 10 == 0 => json!("media/images/"),
        _ => Value::Null,
    }
}

fn export(paths: &[&Path], format: &str, out: &Path) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wandb-rs"));
    clear_wandb_env(&mut c)
        .arg("export")
        .args(paths)
        .args(["--format", format, "-o"])
        .arg(out);
    let o = c.output().unwrap();
    assert!(o.status.success(), "export failed: {o:?}");
}

/// Reads an export back with Python and prints {column: {dtype, values}},
/// values as JSON (NaN as "NaN", missing as null, other floats as
/// `{"f": repr}` so that Rust parses them exactly).
const READ_BACK: &str = r#"
import sys, json, math
fmt, path = sys.argv[1], sys.argv[2]
def clean(v):
    if v is None: return None
    if hasattr(v, "item"): v = v.item()
    if isinstance(v, bytes): v = v.decode()
    if isinstance(v, float) and math.isnan(v): return "NaN"
    # exact: serde_json's default float parsing may be off by an ulp
    if isinstance(v, float): return {"f": repr(v)}
    return v
out = {"columns": {}, "meta": None}
if fmt == "hdf5":
    import h5py
    with h5py.File(path, "r") as f:
        for run in f:
            g = f[run]
            out["meta"] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.attrs.items()}
            for name, ds in g["history"].items():
                vals = ds.asstr()[()] if ds.dtype.kind == "O" else ds[()]
                out["columns"][name] = {"dtype": str(ds.dtype), "values": [clean(v) for v in vals]}
else:
    import pandas as pd
    if fmt == "csv":
        df = pd.read_csv(path, float_precision="round_trip")
        out["meta"] = json.load(open(path + ".meta.json"))
    elif fmt == "jsonl":
        rows = [json.loads(l) for l in open(path)]
        df = pd.DataFrame(rows)
        out["meta"] = json.load(open(path + ".meta.json"))
    else:
        import pyarrow.parquet as pq
        t = pq.read_table(path)
        out["arrow"] = {f.name: str(f.type) for f in t.schema}
        out["meta"] = json.loads(t.schema.metadata[b"wandb"])
        df = pd.read_parquet(path)
    for c in df.columns:
        vals = [clean(None if (v is None or (not isinstance(v, (float, str, bool, int)) and pd.isna(v))) else v) for v in df[c].tolist()]
        out["columns"][c] = {"dtype": str(df[c].dtype), "values": vals}
print(json.dumps(out))
"#;

fn read_back(format: &str, path: &Path, scratch: &Path) -> Value {
    let text = oracle_python_run(READ_BACK, &[format, &path.display().to_string()], scratch);
    serde_json::from_str(&text).unwrap()
}

/// Every expected column has every logged value; missing cells read as
/// null or NaN (pandas turns a missing float into NaN).
/// A read-back number: an integer, or a float sent as `{"f": repr}`.
fn number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v["f"].as_str()?.parse().ok())
}

fn assert_values(got: &Value, format: &str) {
    let cols = &got["columns"];
    let hdf5 = format == "hdf5";
    for column in [
        "_step", "acc", "loss", "name", "nested.a", "val/acc", "flag", "img",
    ] {
        let key = if hdf5 {
            column.replace('/', "%2F")
        } else {
            column.to_string()
        };
        let values = cols[&key]["values"]
            .as_array()
            .unwrap_or_else(|| panic!("{format}: no column {key}: {cols}"));
        assert_eq!(values.len() as i64, ROWS, "{format}: {column} rows");
        for (i, v) in values.iter().enumerate() {
            let want = expected(column, i as i64);
            let ok = match (&want, v) {
                (Value::Null, Value::Null) => true,
                // missing float/bool cells: NaN (pandas, HDF5), empty string (HDF5 strings)
                (Value::Null, Value::String(s)) => s == "NaN" || (hdf5 && s.is_empty()),
                (Value::String(w), Value::String(s)) if w == "media/images/" => {
                    s.starts_with(w) && s.ends_with(".png")
                }
                (Value::Bool(w), v) if hdf5 => number(v) == Some(f64::from(u8::from(*w))),
                (w, v) if w.is_number() => w.as_f64() == number(v),
                (w, v) => w == v,
            };
            assert!(ok, "{format}: {column}[{i}] = {v}, logged {want}");
        }
    }
    assert!(cols.get("_runtime").is_some() && cols.get("_timestamp").is_some());
}

fn assert_dtypes(got: &Value, format: &str) {
    let dtype = |c: &str| {
        got["columns"][c]["dtype"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    match format {
        "csv" | "jsonl" => {
            for c in ["_step", "acc", "nested.a"] {
                assert_eq!(dtype(c), "int64", "{format} {c}");
            }
            for c in ["loss", "val/acc"] {
                assert_eq!(dtype(c), "float64", "{format} {c}");
            }
            assert!(
                ["str", "object"].contains(&dtype("name").as_str()),
                "{format} name"
            );
        }
        "parquet" => {
            let arrow = &got["arrow"];
            let want = [
                ("_step", "int64"),
                ("acc", "int64"),
                ("nested.a", "int64"),
                ("loss", "double"),
                ("val/acc", "double"),
                ("flag", "bool"),
                ("name", "string"),
                ("img", "string"),
            ];
            for (c, t) in want {
                assert_eq!(arrow[c], t, "parquet {c}: {arrow}");
            }
        }
        "hdf5" => {
            for c in ["_step", "acc", "nested.a"] {
                assert_eq!(dtype(c), "int64", "hdf5 {c}");
            }
            for c in ["loss", "val%2Facc", "flag", "img"] {
                let want = if c == "img" { "object" } else { "float64" };
                assert_eq!(dtype(c), want, "hdf5 {c}");
            }
        }
        _ => unreachable!(),
    }
}

fn assert_meta(got: &Value, format: &str) {
    let (config, summary) = if format == "hdf5" {
        let m = &got["meta"];
        (
            serde_json::from_str::<Value>(m["config"].as_str().unwrap()).unwrap(),
            serde_json::from_str::<Value>(m["summary"].as_str().unwrap()).unwrap(),
        )
    } else {
        let run = &got["meta"]["runs"][0];
        (run["config"].clone(), run["summary"].clone())
    };
    assert_eq!(
        config,
        json!({"lr": 0.01, "opt": {"name": "adam"}}),
        "{format}"
    );
    assert_eq!(summary["acc"], ROWS - 1, "{format}: {summary}");
    assert_eq!(summary["name"], format!("r{}, \"q\"", ROWS - 1), "{format}");
}

#[test]
fn each_format_reads_back_with_the_logged_values_and_dtypes() {
    let tmp = ScratchDir::new("export-formats");
    let run = write_run(tmp.path(), "export");
    let formats: &[&str] = if cfg!(feature = "hdf5") {
        &["csv", "jsonl", "parquet", "hdf5"]
    } else {
        &["csv", "jsonl", "parquet"]
    };
    for format in formats {
        let out = tmp.path().join(format!("history.{format}"));
        export(&[&run], format, &out);
        let got = read_back(format, &out, tmp.path());
        assert_values(&got, format);
        assert_dtypes(&got, format);
        assert_meta(&got, format);
    }
}

#[test]
fn several_runs_give_one_table_with_a_run_id_column() {
    let tmp = ScratchDir::new("export-multi");
    let a = write_run(&tmp.path().join("a"), "export");
    let b = write_run(&tmp.path().join("b"), "export");
    let out = tmp.path().join("both.parquet");
    export(&[&a, &b], "parquet", &out);
    let got = read_back("parquet", &out, tmp.path());
    let ids = got["columns"]["run_id"]["values"].as_array().unwrap();
    assert_eq!(ids.len() as i64, 2 * ROWS);
    let runs = got["meta"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for (k, run) in runs.iter().enumerate() {
        let id = &run["run_id"];
        let rows: Vec<_> = (0..ids.len()).filter(|&r| &ids[r] == id).collect();
        assert_eq!(rows.len() as i64, ROWS, "rows of run {id}");
        assert_eq!(rows[0], k * ROWS as usize, "run {id} rows are contiguous");
        let steps = &got["columns"]["_step"]["values"];
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(steps[*r], json!(i), "run {id} step");
        }
    }
    #[cfg(feature = "hdf5")]
    {
        let out = tmp.path().join("both.h5");
        export(&[&a, &b], "hdf5", &out);
        let code = "import h5py,sys,json\nf=h5py.File(sys.argv[1],'r')\nprint(json.dumps({k: len(f[k]['history']['_step']) for k in f}))";
        let text = oracle_python_run(code, &[&out.display().to_string()], tmp.path());
        let groups: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(groups.as_object().unwrap().len(), 2, "{groups}");
        for (_, n) in groups.as_object().unwrap() {
            assert_eq!(n, ROWS);
        }
    }
}
