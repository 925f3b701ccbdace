//! What a person sees on stderr: the header printed by `init` and the footer
//! printed by `finish`, as the official client prints them (`wandb: `
//! prefix, `Run history:` sparklines of up to [`MAX_HISTORY_METRICS`]
//! metrics, `Run summary:` of up to [`MAX_SUMMARY_METRICS`] values, where
//! the run is and how to upload it). Styled on a terminal, plain otherwise
//! ([`Printer`]); nothing with `silent` (`WANDB_SILENT`, `quiet`), when the
//! lines go to the debug log instead. The header is printed before console
//! capture starts and the footer after it stopped, so neither is in
//! `output.log`.

mod printer;
mod sampler;
mod sparkline;

pub use printer::{unstyle, Printer};
pub use sampler::{HistorySampler, SAMPLE_SIZE};
pub use sparkline::{
    downsample, format_summary_float, python_float_repr, sparkify, SPARKLINE_WIDTH,
};

use std::path::Path;

use crate::value::{Map, Value};

/// Sparklines shown at most (official `max_end_of_run_history_metrics`).
pub const MAX_HISTORY_METRICS: usize = 10;
/// Summary values shown at most (official `max_end_of_run_summary_metrics`).
pub const MAX_SUMMARY_METRICS: usize = 10;

/// What the header says about a run.
#[derive(Debug, Clone)]
pub struct HeaderInfo<'a> {
    /// Offline (no URL yet) or online.
    pub offline: bool,
    /// The run directory.
    pub dir: &'a Path,
    /// Run id.
    pub run_id: &'a str,
    /// Display name, if known.
    pub name: Option<&'a str>,
    /// Project.
    pub project: &'a str,
    /// The run's web page (online, or offline when the entity is known).
    pub run_url: Option<&'a str>,
    /// The project's web page.
    pub project_url: Option<&'a str>,
    /// A resumed run.
    pub resumed: bool,
}

/// The header lines (without the `wandb: ` prefix).
pub fn header_lines(p: &Printer, h: &HeaderInfo<'_>) -> Vec<String> {
    let dir = h.dir.display().to_string();
    let mut lines = vec![format!(
        "Tracking run with wandb-rs version {}",
        crate::VERSION
    )];
    let who = match h.name {
        Some(n) => format!("{} (id {})", p.name(n), h.run_id),
        None => p.name(h.run_id),
    };
    if h.offline {
        lines.push(format!(
            "W&B syncing is set to {}. Set {} to stream runs to W&B.",
            p.code("`offline`"),
            p.code("WANDB_MODE=online")
        ));
        lines.push(format!("Run data is saved locally in {}", p.files(&dir)));
        lines.push(format!(
            "Offline run {who} in project {}; upload it with {}",
            h.project,
            p.code(&format!("wandb-rs sync {dir}"))
        ));
    } else {
        lines.push(format!("Run data is saved locally in {}", p.files(&dir)));
        let verb = if h.resumed {
            "Resuming run"
        } else {
            "Syncing run"
        };
        lines.push(format!("{verb} {who}"));
        if let Some(u) = h.project_url {
            lines.push(format!("⭐️ View project at {}", p.link(u)));
        }
        if let Some(u) = h.run_url {
            lines.push(format!("🚀 View run at {}", p.link(u)));
        }
    }
    lines
}

/// What the footer says about a finished run.
#[derive(Debug, Clone)]
pub struct FooterInfo<'a> {
    /// Offline run (or online run that is not fully uploaded).
    pub offline: bool,
    /// The run directory.
    pub dir: &'a Path,
    /// Display name or id.
    pub name: &'a str,
    /// The run's and the project's web pages.
    pub run_url: Option<&'a str>,
    /// The project's web page.
    pub project_url: Option<&'a str>,
    /// Sampled history per key (see [`HistorySampler`]).
    pub history: &'a [(String, Vec<f32>)],
    /// The final summary.
    pub summary: &'a Map,
    /// Files written to the run's `files/` directory.
    pub files_written: usize,
    /// Online: files and artifacts uploaded.
    pub uploaded: Option<(usize, usize)>,
}

/// The `Run history:` / `Run summary:` panel lines (empty when both are).
pub fn history_summary_lines(history: &[(String, Vec<f32>)], summary: &Map) -> Vec<String> {
    let mut panel: Vec<String> = Vec::new();
    // History: sorted keys not starting with '_', up to the maximum.
    let mut keys: Vec<&(String, Vec<f32>)> = history
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rows: Vec<(String, String)> = Vec::new();
    for (k, values) in &keys {
        if rows.len() >= MAX_HISTORY_METRICS {
            break;
        }
        let v: Vec<f64> = downsample(values, SPARKLINE_WIDTH)
            .into_iter()
            .map(f64::from)
            .collect();
        let line = sparkify(&v);
        if !line.is_empty() {
            rows.push((k.clone(), line));
        }
    }
    if !rows.is_empty() {
        if rows.len() < keys.len() {
            rows.push((
                format!("+{}", thousands(keys.len() - rows.len())),
                "...".into(),
            ));
        }
        panel.push(String::new());
        panel.push("Run history:".into());
        panel.extend(grid(&rows));
    }
    // Summary: sorted top-level keys not starting with '_'; strings and
    // numbers shown, other values (maps, lists, media) skipped.
    let mut skeys: Vec<(&String, &Value)> = summary
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    skeys.sort_by(|a, b| a.0.cmp(b.0));
    let mut srows: Vec<(String, String)> = Vec::new();
    let mut skipped = 0usize;
    for (k, v) in &skeys {
        if srows.len() >= MAX_SUMMARY_METRICS {
            break;
        }
        let shown = match v {
            Value::Str(s) => {
                let short: String = s.chars().take(20).collect();
                if s.chars().count() >= 20 {
                    format!("{short}...")
                } else {
                    short
                }
            }
            Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => format_summary_float(*f),
            Value::Float32(f) => format_summary_float(f64::from(*f)),
            _ => {
                skipped += 1;
                continue;
            }
        };
        srows.push(((*k).clone(), shown));
    }
    if !srows.is_empty() {
        let shown_total = skeys.len() - skipped;
        if srows.len() < shown_total {
            srows.push((
                format!("+{}", thousands(shown_total - srows.len())),
                "...".into(),
            ));
        }
        panel.push(String::new());
        panel.push("Run summary:".into());
        panel.extend(grid(&srows));
    }
    if !panel.is_empty() {
        panel.push(String::new());
    }
    panel
}

/// The footer lines (without the `wandb: ` prefix).
pub fn footer_lines(p: &Printer, f: &FooterInfo<'_>) -> Vec<String> {
    let mut lines = history_summary_lines(f.history, f.summary);
    let dir = f.dir.display().to_string();
    if f.offline {
        lines.push(format!(
            "{} file(s) written to {}",
            f.files_written,
            p.files(&f.dir.join("files").display().to_string())
        ));
        lines.push("You can sync this run to the cloud by running:".into());
        lines.push(p.code(&format!("wandb-rs sync {dir}")));
    } else {
        if let Some(u) = f.run_url {
            lines.push(format!("🚀 View run {} at: {}", p.name(f.name), p.link(u)));
        }
        if let Some(u) = f.project_url {
            lines.push(format!("⭐️ View project at: {}", p.link(u)));
        }
        if let Some((files, artifacts)) = f.uploaded {
            lines.push(format!(
                "Synced {files} file(s) and {artifacts} artifact(s)"
            ));
        }
    }
    let logs = f.dir.join("logs");
    let logs = match std::env::current_dir() {
        Ok(cwd) => match logs.strip_prefix(&cwd) {
            Ok(rel) => Path::new(".").join(rel).display().to_string(),
            Err(_) => logs.display().to_string(),
        },
        Err(_) => logs.display().to_string(),
    };
    lines.push(format!("Find logs at: {}", p.files(&logs)));
    lines
}

/// `grid`: keys right-aligned to the longest, one space, the value.
fn grid(rows: &[(String, String)]) -> Vec<String> {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(k, v)| {
            let pad = width - k.chars().count();
            format!("{}{k} {v}", " ".repeat(pad))
        })
        .collect()
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Counts the files under `dir` (recursively; 0 when it cannot be read).
pub fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            Ok(_) => 1,
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests;
