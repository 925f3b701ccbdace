//! [`RunFile`]: a file of a run on the server (`RunFiles`), downloadable.

use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value as JValue};

use super::run::ApiRun;
use super::{queries, str_field, Api};
use crate::online::error::{OnlineError, Result};

/// A file of a run: its name (a relative path), size, MD5 and URL.
#[derive(Debug, Clone)]
pub struct RunFile {
    api: Api,
    /// The run-relative name, e.g. `config.yaml`, `media/images/x.png`.
    pub name: String,
    /// Where the server serves it.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    /// Base64 MD5 of the content, when the server knows it.
    pub md5: Option<String>,
    /// MIME type, when known.
    pub mimetype: Option<String>,
    /// Last update time (server format).
    pub updated_at: Option<String>,
}

impl RunFile {
    /// Every file of `run`, 50 per request.
    pub(crate) fn list(run: &ApiRun) -> Result<Vec<RunFile>> {
        let bad = |reason: &str| OnlineError::UnexpectedAnswer {
            op: "RunFiles".into(),
            reason: reason.into(),
        };
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let data = run.api().query(
                "RunFiles",
                queries::RUN_FILES,
                json!({"entity": run.entity, "project": run.project, "name": run.id,
                       "fileCursor": cursor, "fileLimit": 50}),
            )?;
            let files = run.run_field(&data, "files", "RunFiles")?;
            let edges = files
                .get("edges")
                .and_then(JValue::as_array)
                .ok_or_else(|| bad("files without edges"))?;
            for edge in edges {
                let node = edge
                    .get("node")
                    .ok_or_else(|| bad("an edge without a node"))?;
                let (Some(name), Some(url)) = (str_field(node, "name"), str_field(node, "url"))
                else {
                    return Err(bad("a file without a name or url"));
                };
                out.push(RunFile {
                    api: run.api().clone(),
                    name,
                    url,
                    size: node.get("sizeBytes").and_then(JValue::as_u64).unwrap_or(0),
                    md5: str_field(node, "md5").filter(|m| !m.is_empty()),
                    mimetype: str_field(node, "mimetype"),
                    updated_at: str_field(node, "updatedAt"),
                });
            }
            let info = files.get("pageInfo").unwrap_or(&JValue::Null);
            let next = str_field(info, "endCursor");
            if info.get("hasNextPage").and_then(JValue::as_bool) != Some(true)
                || edges.is_empty()
                || next.is_none()
                || next == cursor
            {
                return Ok(out);
            }
            cursor = next;
        }
    }

    /// Downloads the file to `root/<name>` (directories created) and returns
    /// that path. An existing file is an error unless `replace`. The content
    /// is checked against the server's MD5; on a mismatch nothing is left
    /// at the destination.
    pub fn download(&self, root: &Path, replace: bool) -> Result<PathBuf> {
        let dest = root.join(safe_relative(&self.name)?);
        if dest.exists() && !replace {
            return Err(OnlineError::FileExists { path: dest });
        }
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| OnlineError::io("cannot create directory", dir, e))?;
        }
        let tmp = dest.with_file_name(format!(
            ".{}.part",
            dest.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        self.api.arm_deadline();
        let result = self.api.client().download(&self.url, &tmp);
        let (md5, _) = match result {
            Ok(done) => done,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        if let Some(expected) = self.md5.as_ref().filter(|m| **m != md5) {
            let _ = std::fs::remove_file(&tmp);
            return Err(OnlineError::DigestMismatch {
                path: self.name.clone(),
                expected: expected.clone(),
                got: md5,
            });
        }
        std::fs::rename(&tmp, &dest)
            .map_err(|e| OnlineError::io("cannot move download to", &dest, e))?;
        Ok(dest)
    }
}

/// `name` as a relative path that stays inside the download root.
fn safe_relative(name: &str) -> Result<PathBuf> {
    let path = Path::new(name);
    let ok = !name.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if ok {
        Ok(path.to_path_buf())
    } else {
        Err(OnlineError::UnsafeFileName {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::safe_relative;

    #[test]
    fn names_that_leave_the_root_are_refused() {
        assert!(safe_relative("media/images/a.png").is_ok());
        for bad in ["", "../x", "/etc/passwd", "a/../../b"] {
            assert!(safe_relative(bad).is_err(), "{bad}");
        }
    }
}
