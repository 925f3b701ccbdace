//! Command macros, formatted as the official agent formats them
//! (`create_sweep_command_args`: `--key=value` with Python's `str(value)`).

use std::path::Path;
use std::process::Child;

use serde_json::{Map, Value};

/// The official default command.
pub const DEFAULT_COMMAND: [&str; 4] = ["${env}", "${interpreter}", "${program}", "${args}"];

fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let exp = if x == 0.0 {
        0
    } else {
        x.abs().log10().floor() as i32
    };
    if (-4..16).contains(&exp) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Shortest round-trip digits in Python's exponent style: 1e-05.
        let s = format!("{x:e}");
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    }
}

fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        other => python_str(other),
    }
}

/// Python's `str(value)` for a JSON value (`True`, `None`, `0.001`, `1e-05`,
/// `[1, 'a']`, `{'k': 1}`).
pub fn python_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => py_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn value_of(v: &Value) -> &Value {
    v.get("value").unwrap_or(&Value::Null)
}

/// `${args_json}`: the parameters as one JSON object.
pub fn args_json(args: &Map<String, Value>) -> String {
    let plain: Map<String, Value> = args
        .iter()
        .map(|(k, v)| (k.clone(), value_of(v).clone()))
        .collect();
    Value::Object(plain).to_string()
}

/// Expands the macros of `template` for one trial: `${env}`
/// (`/usr/bin/env`), `${interpreter}` (`python`), `${program}`, `${args}`
/// (`--k=v`), `${args_no_hyphens}` (`k=v`), `${args_no_equals}` (`--k v`),
/// `${args_no_boolean_flags}` (`--flag` for true, nothing for false),
/// `${args_json}`, `${args_json_file}`, `${args_append_hydra}` (`+k=v`),
/// `${args_override_hydra}` (`++k=v`). Unknown macros expand to nothing, as
/// in the official agent.
pub fn expand(
    template: &[String],
    args: &Map<String, Value>,
    program: Option<&str>,
    json_file: &Path,
) -> Vec<String> {
    let flag = |k: &str, v: &Value| format!("{k}={}", python_str(value_of(v)));
    let mut out = Vec::new();
    for c in template {
        let Some(name) = c.strip_prefix("${").and_then(|c| c.strip_suffix('}')) else {
            out.push(c.clone());
            continue;
        };
        match name {
            "env" => {
                if cfg!(unix) {
                    out.push("/usr/bin/env".into());
                }
            }
            "interpreter" => out.push("python".into()),
            "program" => out.extend(program.map(str::to_string)),
            "args" => out.extend(args.iter().map(|(k, v)| format!("--{}", flag(k, v)))),
            "args_no_hyphens" => out.extend(args.iter().map(|(k, v)| flag(k, v))),
            "args_append_hydra" => out.extend(args.iter().map(|(k, v)| format!("+{}", flag(k, v)))),
            "args_override_hydra" => {
                out.extend(args.iter().map(|(k, v)| format!("++{}", flag(k, v))))
            }
            "args_no_equals" => {
                for (k, v) in args {
                    out.push(format!("--{k}"));
                    out.push(python_str(value_of(v)));
                }
            }
            "args_no_boolean_flags" => {
                for (k, v) in args {
                    match value_of(v) {
                        Value::Bool(true) => out.push(format!("--{k}")),
                        Value::Bool(false) => {}
                        _ => out.push(format!("--{}", flag(k, v))),
                    }
                }
            }
            "args_json" => out.push(args_json(args)),
            "args_json_file" => out.push(json_file.display().to_string()),
            _ => {}
        }
    }
    out
}

/// Asks a trial to stop (SIGTERM on Unix; elsewhere it is killed).
pub fn terminate(child: &mut Child) {
    #[cfg(unix)]
    {
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) on our own child's pid has no memory effects.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            return;
        }
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_print_as_python_str() {
        for (v, want) in [
            (json!(true), "True"),
            (json!(null), "None"),
            (json!(3), "3"),
            (json!(0.1), "0.1"),
            (json!(1e-5), "1e-05"),
            (json!(2.0), "2.0"),
            (json!(1e16), "1e+16"),
            (json!(123456.5), "123456.5"),
            (json!("a b"), "a b"),
            (json!([1, "x", 0.5]), "[1, 'x', 0.5]"),
            (
                json!({"beta": 0.9, "name": "adam"}),
                "{'beta': 0.9, 'name': 'adam'}",
            ),
        ] {
            assert_eq!(python_str(&v), want, "{v}");
        }
    }

    #[test]
    fn every_macro_expands_like_the_official_agent() {
        let args = json!({"flag": {"value": false}, "lr": {"value": 0.01}, "on": {"value": true}});
        let args = args.as_object().unwrap();
        let t = |s: &str| {
            expand(
                &[s.to_string()],
                args,
                Some("train.py"),
                Path::new("/x/c.json"),
            )
        };
        assert_eq!(t("${args}"), ["--flag=False", "--lr=0.01", "--on=True"]);
        assert_eq!(
            t("${args_no_hyphens}"),
            ["flag=False", "lr=0.01", "on=True"]
        );
        assert_eq!(
            t("${args_no_equals}"),
            ["--flag", "False", "--lr", "0.01", "--on", "True"]
        );
        assert_eq!(t("${args_no_boolean_flags}"), ["--lr=0.01", "--on"]);
        assert_eq!(
            t("${args_append_hydra}"),
            ["+flag=False", "+lr=0.01", "+on=True"]
        );
        assert_eq!(
            t("${args_override_hydra}"),
            ["++flag=False", "++lr=0.01", "++on=True"]
        );
        assert_eq!(t("${args_json}"), [r#"{"flag":false,"lr":0.01,"on":true}"#]);
        assert_eq!(t("${args_json_file}"), ["/x/c.json"]);
        assert_eq!(t("${program}"), ["train.py"]);
        assert_eq!(t("${interpreter}"), ["python"]);
        assert_eq!(t("${nope}"), Vec::<String>::new());
        assert_eq!(t("plain"), ["plain"]);
    }
}
