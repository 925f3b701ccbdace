//! The W&B web URLs of a run, built as the official client builds them:
//! the app URL from the API URL (`https://api.wandb.ai` →
//! `https://wandb.ai`, `https://api.<host>` → `https://app.<host>`, a local
//! server as is), then `/<entity>/<project>` and `/runs/<run id>`, each part
//! percent-encoded.

/// The web app URL for an API base URL (no trailing slash).
pub fn app_url(api_url: &str) -> String {
    let api = api_url.trim_end_matches('/');
    if api.contains("://api.wandb.test") {
        api.replacen("://api.", "://app.", 1)
    } else if api.contains("://api.wandb.") {
        api.replacen("://api.", "://", 1)
    } else if api.contains("://api.") {
        api.replacen("://api.", "://app.", 1)
    } else {
        api.to_owned()
    }
}

/// Percent-encodes `s`, keeping unreserved characters and those in `safe`
/// (Python's `urllib.parse.quote`).
fn quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if b.is_ascii_alphanumeric() || "_.-~".contains(c) || (b.is_ascii() && safe.contains(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `<app>/<entity>/<project>`; `None` without an entity or a project.
pub fn project_url(api_url: &str, entity: &str, project: &str) -> Option<String> {
    if entity.is_empty() || project.is_empty() {
        return None;
    }
    Some(format!(
        "{}/{}/{}",
        app_url(api_url),
        quote(entity, "/"),
        quote(project, "/")
    ))
}

/// `<app>/<entity>/<project>/runs/<run id>`; `None` without an entity, a
/// project or a run id.
pub fn run_url(api_url: &str, entity: &str, project: &str, run_id: &str) -> Option<String> {
    if run_id.is_empty() {
        return None;
    }
    project_url(api_url, entity, project).map(|p| format!("{p}/runs/{}", quote(run_id, "=+&$@")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_the_official_client() {
        assert_eq!(app_url("https://api.wandb.ai"), "https://wandb.ai");
        assert_eq!(app_url("https://api.wandb.test/"), "https://app.wandb.test");
        assert_eq!(
            app_url("https://api.example.com"),
            "https://app.example.com"
        );
        assert_eq!(app_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            run_url("https://api.wandb.ai", "me", "my proj", "ab=c d").as_deref(),
            Some("https://wandb.ai/me/my%20proj/runs/ab=c%20d")
        );
        assert_eq!(run_url("https://api.wandb.ai", "", "p", "id"), None);
        assert_eq!(
            project_url("https://api.wandb.ai", "é", "p").as_deref(),
            Some("https://wandb.ai/%C3%A9/p")
        );
    }
}
