//! What the run is called and where it lives on the web: `run.name()`,
//! `run.project()`, `run.entity()`, `run.url()`; and the header `init`
//! prints and the footer `finish` prints (crate::terminal).

use crate::terminal::{self, FooterInfo, HeaderInfo, Printer};
use crate::value::Map;

use super::{Run, Shared};

/// The run's names, updated by `set_name`, `set_tags`, `set_notes`.
#[derive(Debug, Clone, Default)]
pub(super) struct RunMeta {
    /// Display name (`name` setting or `set_name`).
    pub(super) name: Option<String>,
    /// Entity: the setting, or online the API key's default entity.
    pub(super) entity: Option<String>,
    /// Tags (setting, resumed run, or `set_tags`).
    pub(super) tags: Vec<String>,
    /// Notes (setting, resumed run, or `set_notes`; empty: none).
    pub(super) notes: String,
}

impl RunMeta {
    pub(super) fn new(name: Option<String>, entity: Option<String>) -> Self {
        RunMeta {
            name,
            entity: entity.filter(|e| !e.is_empty()),
            tags: Vec::new(),
            notes: String::new(),
        }
    }

    pub(super) fn with_tags_notes(mut self, tags: Vec<String>, notes: String) -> Self {
        self.tags = tags;
        self.notes = notes;
        self
    }
}

impl Shared {
    fn urls(&self) -> (Option<String>, Option<String>) {
        let entity = self.meta.lock().entity.clone().unwrap_or_default();
        let base = &self.settings.base_url;
        (
            crate::urls::run_url(base, &entity, &self.info.project, &self.info.run_id),
            crate::urls::project_url(base, &entity, &self.info.project),
        )
    }

    fn display_name(&self) -> String {
        self.meta
            .lock()
            .name
            .clone()
            .unwrap_or_else(|| self.info.run_id.clone())
    }

    /// Prints the header (unless `silent`; then it goes to the log).
    pub(super) fn print_header(&self, resumed: bool) {
        let p = Printer::for_stderr();
        let (run_url, project_url) = self.urls();
        let name = self.meta.lock().name.clone();
        let lines = terminal::header_lines(
            &p,
            &HeaderInfo {
                offline: self.settings.mode != crate::settings::Mode::Online,
                dir: &self.dir,
                run_id: &self.info.run_id,
                name: name.as_deref(),
                project: &self.info.project,
                run_url: run_url.as_deref(),
                project_url: project_url.as_deref(),
                resumed,
            },
        );
        self.emit(&p, &lines);
    }

    /// Prints the footer (unless `silent`; then it goes to the log).
    pub(super) fn print_footer(
        &self,
        history: &[(String, Vec<f32>)],
        summary: &Map,
        uploaded: Option<(usize, usize)>,
    ) {
        let p = Printer::for_stderr();
        let (run_url, project_url) = self.urls();
        let name = self.display_name();
        let lines = terminal::footer_lines(
            &p,
            &FooterInfo {
                offline: uploaded.is_none(),
                dir: &self.dir,
                name: &name,
                run_url: run_url.as_deref(),
                project_url: project_url.as_deref(),
                history,
                summary,
                files_written: terminal::count_files(&self.files_dir),
                uploaded,
            },
        );
        self.emit(&p, &lines);
    }

    fn emit(&self, p: &Printer, lines: &[String]) {
        if self.settings.silent {
            for l in lines {
                tracing::info!("{}", terminal::unstyle(l));
            }
        } else {
            p.emit(lines);
        }
    }
}

impl Run {
    /// The run's display name: the `name` setting or [`Run::set_name`];
    /// `None` when neither gave one (the server then picks one).
    pub fn name(&self) -> Option<String> {
        self.shared().meta.lock().name.clone()
    }

    /// The project (`uncategorized` when none was set, as W&B does).
    pub fn project(&self) -> &str {
        &self.shared().info.project
    }

    /// The entity: the `entity` setting or, online, the API key's default
    /// entity; `None` offline without an `entity` setting.
    pub fn entity(&self) -> Option<String> {
        self.shared().meta.lock().entity.clone()
    }

    /// The run's web page, `<app>/<entity>/<project>/runs/<id>`: online the
    /// live page; offline the page the run will have once synced, when the
    /// entity is known (`entity` setting), else `None`.
    pub fn url(&self) -> Option<String> {
        self.shared().urls().0
    }

    /// The project's web page (`None` without an entity).
    pub fn project_url(&self) -> Option<String> {
        self.shared().urls().1
    }
}
