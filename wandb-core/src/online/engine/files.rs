//! Run files: the generated `config.yaml`, `wandb-summary.json` and
//! `wandb-metadata.json`, and uploads through `CreateRunFiles` + `PUT`.

use serde_json::{json, Value as JValue};

use super::Engine;
use crate::online::error::{OnlineError, Result};
use crate::online::graphql as gql;

impl Engine {
    pub(super) fn write_generated_files(&self) -> Result<()> {
        let dir = &self.files_dir;
        std::fs::create_dir_all(dir).map_err(|e| OnlineError::io("cannot create", dir, e))?;
        let mut files = vec![
            ("config.yaml", self.state.config_yaml()),
            ("wandb-summary.json", self.state.summary_json()),
        ];
        if let Some(m) = self.state.metadata_json() {
            files.push(("wandb-metadata.json", m));
        }
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| OnlineError::io("cannot write", &p, e))?;
        }
        Ok(())
    }

    pub(super) fn run_file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut add = |n: &str| {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        };
        // a non-primary writer of a shared run uploads only its console
        // log (and files it saved), as the official client
        if self.cfg.writer.primary {
            for n in ["wandb-summary.json", "config.yaml", "wandb-metadata.json"] {
                add(n);
            }
        }
        add(&self.cfg.writer.console_file());
        for f in &self.state.files {
            add(f);
        }
        names.retain(|n| self.files_dir.join(n).is_file());
        names
    }

    pub(super) fn upload_run_files(&mut self) -> Result<()> {
        let names: Vec<String> = self
            .run_file_names()
            .into_iter()
            .filter(|n| {
                !self.uploaded.contains(n)
                    || self.cfg.writer.is_generated(n)
                    || self.saved.live_changed(n, &self.files_dir)
            })
            .collect();
        self.upload_names(names)
    }

    pub(super) fn upload_names(&mut self, names: Vec<String>) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let vars = json!({"entity": self.entity, "project": self.project, "run": self.run_id, "files": names});
        let data = self
            .client
            .graphql("CreateRunFiles", gql::CREATE_RUN_FILES, Some(vars))?;
        let headers: Vec<(String, String)> = data
            .pointer("/createRunFiles/uploadHeaders")
            .and_then(JValue::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(JValue::as_str)
                    .filter_map(|h| h.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let files = data
            .pointer("/createRunFiles/files")
            .and_then(JValue::as_array)
            .cloned()
            .unwrap_or_default();
        for f in files {
            let (Some(name), Some(url)) = (
                f.get("name").and_then(JValue::as_str),
                f.get("uploadUrl").and_then(JValue::as_str),
            ) else {
                continue;
            };
            let path = self.files_dir.join(name);
            let stamp = super::saved_files::Stamp::of(&path);
            let bytes =
                std::fs::read(&path).map_err(|e| OnlineError::io("cannot read", &path, e))?;
            self.client.upload(url, &headers, bytes)?;
            self.saved.uploaded(name, stamp);
            if !self.uploaded.iter().any(|u| u == name) {
                self.uploaded.push(name.to_string());
            }
        }
        Ok(())
    }
}
