//! `wandb.Html`: an HTML page stored under `media/html/`.

use std::path::Path;

use wandb_core::{Media, MediaContext, Value};

use crate::error::{Error, Result};
use crate::file_value::file_value;

/// The prefix the official client injects so that links open in a new tab
/// and the page gets W&B's base stylesheet.
pub const HTML_INJECTED_HEAD: &str = r#"<base target="_blank"><link rel="stylesheet" type="text/css" href="https://app.wandb.ai/normalize.css" />"#;

/// An HTML value: `{"_type":"html-file","sha256","size","path"}`.
///
/// ```
/// use wandb_data_types::Html;
/// let page = Html::new("<b>hello</b>");
/// assert!(page.html().starts_with("<base target=\"_blank\">"));
/// let raw = Html::without_injection("<b>hello</b>");
/// assert_eq!(raw.html(), "<b>hello</b>");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Html {
    html: String,
}

impl Html {
    /// HTML with the official `<base>`/stylesheet prefix injected
    /// (`wandb.Html(data)`, `inject=True`): inside `<head>` if there is one,
    /// in a new `<head>` after `<html>` if there is one, else at the start;
    /// the result is trimmed of surrounding whitespace.
    pub fn new(html: impl Into<String>) -> Self {
        Html {
            html: inject_head(&html.into()),
        }
    }

    /// HTML stored unchanged (`wandb.Html(data, inject=False)`).
    pub fn without_injection(html: impl Into<String>) -> Self {
        Html { html: html.into() }
    }

    /// Reads an HTML file; `inject` as in [`Html::new`].
    pub fn from_path(path: impl AsRef<Path>, inject: bool) -> Result<Self> {
        let p = path.as_ref();
        let s = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
        Ok(if inject {
            Self::new(s)
        } else {
            Self::without_injection(s)
        })
    }

    /// The HTML that will be written.
    pub fn html(&self) -> &str {
        &self.html
    }
}

fn inject_head(html: &str) -> String {
    let (before, after) = if let Some(i) = html.find("<head>") {
        (html[..i + 6].to_owned(), html[i + 6..].to_owned())
    } else if let Some(i) = html.find("<html>") {
        (
            format!("{}<html><head>", &html[..i]),
            format!("</head>{}", &html[i + 6..]),
        )
    } else {
        (String::new(), html.to_owned())
    };
    format!("{before}{HTML_INJECTED_HEAD}{after}")
        .trim()
        .to_owned()
}

impl Media for Html {
    fn materialize(&self, ctx: &mut MediaContext<'_>) -> wandb_core::Result<Value> {
        let file = ctx.write_media_file("html", ".html", self.html.as_bytes())?;
        Ok(Value::Map(file_value("html-file", None, &file)))
    }
}

impl From<Html> for Value {
    fn from(h: Html) -> Self {
        Value::media(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injection_positions() {
        assert_eq!(
            Html::new("<html><body>x</body></html>").html(),
            format!("<html><head>{HTML_INJECTED_HEAD}</head><body>x</body></html>")
        );
        assert_eq!(
            Html::new("<head><title>t</title></head>").html(),
            format!("<head>{HTML_INJECTED_HEAD}<title>t</title></head>")
        );
        assert_eq!(
            Html::new("  <b>hello</b>\n").html(),
            format!("{HTML_INJECTED_HEAD}  <b>hello</b>")
        );
    }
}
