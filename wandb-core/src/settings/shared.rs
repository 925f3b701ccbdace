//! The settings of runs written by several processes (docs/distributed.md):
//! shared mode, `x_label`, `x_primary`, `x_update_finish_state`.

use super::{Mode, Settings};
use crate::error::{Error, Result};

impl Settings {
    /// True in shared mode: `shared` set and the run online (the official
    /// `settings._shared`). Several processes then write one run id.
    pub fn is_shared(&self) -> bool {
        self.shared && self.mode == Mode::Online
    }

    /// The console log's name in `files/`: `output.log`, or
    /// `output_<label>.log` with a label (as the official client, which
    /// also uploads it under that name).
    pub fn console_file_name(&self) -> String {
        match &self.label {
            Some(l) => format!("output_{l}.log"),
            None => "output.log".to_owned(),
        }
    }

    /// The suffix of system metric keys: `/l:<label>` with a label.
    pub fn stats_key_suffix(&self) -> Option<String> {
        self.label.as_ref().map(|l| format!("/l:{l}"))
    }

    /// Shared mode without a label gets `<host>-<8 random characters>`, as
    /// the official `wandb.init` does.
    pub(crate) fn fill_shared_label(&mut self) {
        if self.is_shared() && self.label.is_none() {
            let id = crate::run_dir::generate_run_id();
            let host = crate::environment::host_name();
            self.label = Some(if host.is_empty() {
                id
            } else {
                format!("{host}-{id}")
            });
        }
    }

    /// A label names a file (`output_<label>.log`) and prefixes keys: it
    /// must not be a path.
    pub(super) fn check_label(&self) -> Result<()> {
        let Some(label) = &self.label else {
            return Ok(());
        };
        let bad = label.is_empty()
            || label.len() > 128
            || label
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control())
            || label.contains("..");
        if bad {
            return Err(Error::InvalidSetting {
                name: "x_label".into(),
                reason: format!(
                    "{label:?} cannot label a process: use 1-128 characters without '/', '\\\\', \
                     '..' or control characters (e.g. rank_0)"
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use crate::settings::{Mode, Settings};

    fn from(vars: &[(&str, &str)]) -> Settings {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain([("HOME".to_owned(), "/nonexistent-wandb-home".to_owned())])
            .collect();
        Settings::resolve(&env, Path::new("/nonexistent-wandb-cwd")).unwrap()
    }

    #[test]
    fn shared_mode_and_labels_from_the_official_env_names() {
        let s = from(&[
            ("WANDB_MODE", "shared"),
            ("WANDB_X_LABEL", "rank_1"),
            ("WANDB_X_PRIMARY", "false"),
            ("WANDB_X_UPDATE_FINISH_STATE", "false"),
        ]);
        assert_eq!(s.mode, Mode::Online);
        assert!(s.shared && s.is_shared());
        assert_eq!(s.label.as_deref(), Some("rank_1"));
        assert!(!s.primary);
        assert!(!s.update_finish_state);
        assert_eq!(s.console_file_name(), "output_rank_1.log");
        assert_eq!(s.stats_key_suffix().as_deref(), Some("/l:rank_1"));
        // the private prefix `WANDB__` is `x_` too
        let s = from(&[("WANDB__LABEL", "w2"), ("WANDB__PRIMARY", "0")]);
        assert_eq!(s.label.as_deref(), Some("w2"));
        assert!(!s.primary);
        assert!(s.update_finish_state);
        assert!(!s.is_shared());
    }

    #[test]
    fn defaults_are_a_single_primary_writer() {
        let s = from(&[]);
        assert!(!s.shared && s.primary && s.update_finish_state);
        assert_eq!(s.label, None);
        assert_eq!(s.console_file_name(), "output.log");
        assert_eq!(s.stats_key_suffix(), None);
    }

    #[test]
    fn ini_aliases_and_offline_shared_is_not_shared() {
        let s = Settings::from_ini_text(
            "[default]\nmode = shared\nx_label = a\nx_primary_node = false\n",
        )
        .unwrap();
        assert!(s.is_shared());
        assert!(!s.primary);
        let mut s = s;
        s.mode = Mode::Offline;
        assert!(!s.is_shared());
    }

    #[test]
    fn shared_mode_without_label_generates_host_and_id() {
        let mut s = from(&[("WANDB_MODE", "shared")]);
        s.fill_shared_label();
        let label = s.label.clone().unwrap();
        let id = label.rsplit('-').next().unwrap();
        assert_eq!(id.len(), 8, "{label}");
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        // not shared: nothing generated
        let mut s = from(&[]);
        s.fill_shared_label();
        assert_eq!(s.label, None);
    }

    #[test]
    fn a_label_that_is_a_path_is_refused_with_the_setting_name() {
        for bad in ["../x", "a/b", "a\\b", "", "x\ny"] {
            let mut s = from(&[]);
            s.label = Some(bad.into());
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains("x_label"), "{bad:?}: {e}");
        }
        let mut s = from(&[]);
        s.label = Some("rank_0".into());
        s.validate().unwrap();
    }
}
