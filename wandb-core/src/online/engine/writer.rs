//! Which part of a run this process writes (docs/distributed.md): its
//! `x_label`, whether it is the primary writer (`x_primary`) and whether
//! it sets the run's final state (`x_update_finish_state`).

use crate::online::lines::{self, ConsoleLine};
use crate::settings::Settings;

/// The writer settings of the engine; the default is the only writer of a
/// run (no label, primary, sets the final state), which is also what
/// `sync` uses.
#[derive(Debug, Clone)]
pub struct Writer {
    /// `x_label`: prefixes console lines with `[<label>] ` and names the
    /// console log `output_<label>.log`.
    pub label: Option<String>,
    /// `x_primary`: uploads `config.yaml`, `wandb-summary.json` and
    /// `wandb-metadata.json`; otherwise only the console log and saved files.
    pub primary: bool,
    /// `x_update_finish_state`: the last file_stream request carries
    /// `complete` and `exitcode`.
    pub update_finish_state: bool,
}

impl Default for Writer {
    fn default() -> Self {
        Writer {
            label: None,
            primary: true,
            update_finish_state: true,
        }
    }
}

impl Writer {
    /// The writer a run's settings describe.
    pub fn of(settings: &Settings) -> Writer {
        Writer {
            label: settings.label.clone(),
            primary: settings.primary,
            update_finish_state: settings.update_finish_state,
        }
    }

    /// The console log's name in `files/` (and on the server).
    pub(super) fn console_file(&self) -> String {
        match &self.label {
            Some(l) => format!("output_{l}.log"),
            None => "output.log".to_owned(),
        }
    }

    /// One `output.log` file_stream line, `[<label>] ` after the timestamp
    /// with a label (as the official client).
    pub(super) fn console_line(
        &self,
        line: &ConsoleLine,
        at: chrono::DateTime<chrono::Utc>,
    ) -> String {
        match &self.label {
            Some(label) => {
                let labelled = ConsoleLine {
                    text: format!("[{label}] {}", line.text),
                    ..line.clone()
                };
                lines::console_stream_line(&labelled, at)
            }
            None => lines::console_stream_line(line, at),
        }
    }

    /// Whether a run file is regenerated at exit (uploaded again then).
    pub(super) fn is_generated(&self, name: &str) -> bool {
        matches!(
            name,
            "wandb-summary.json" | "config.yaml" | "wandb-metadata.json" | "output.log"
        ) || name == self.console_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_goes_after_the_timestamp_and_into_the_file_name() {
        let w = Writer {
            label: Some("rank1".into()),
            ..Writer::default()
        };
        let at = chrono::DateTime::from_timestamp(1_795_306_061, 271_303_000).unwrap();
        let out = ConsoleLine {
            stderr: false,
            text: "hello from rank 1 run shrd0001".into(),
        };
        // the captured official line (sweeps_distributed/dist_shared)
        assert_eq!(
            w.console_line(&out, at),
            "2026-11-22T00:07:41.271303 [rank1] hello from rank 1 run shrd0001"
        );
        let err = ConsoleLine {
            stderr: true,
            text: "oops".into(),
        };
        assert_eq!(
            w.console_line(&err, at),
            "ERROR 2026-11-22T00:07:41.271303 [rank1] oops"
        );
        assert_eq!(w.console_file(), "output_rank1.log");
        assert!(w.is_generated("output_rank1.log"));
        assert_eq!(Writer::default().console_file(), "output.log");
        assert_eq!(
            Writer::default().console_line(&out, at),
            lines::console_stream_line(&out, at)
        );
    }
}
