//! `wandb-rs login`, `logout` and `status`.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::time::Duration;

use wandb_core::online::{
    netrc_path, read_settings_value, remove_netrc, resolve_base_url, write_netrc, Api, ApiKey,
    OnlineError,
};

fn base_url_of(host: Option<String>) -> String {
    host.map(|h| h.trim_end_matches('/').to_string())
        .unwrap_or_else(resolve_base_url)
}

/// `login [KEY] [--host URL] [--verify]`: stores the key in netrc; with
/// `verify`, only after the server accepted it.
pub fn login(key: Option<String>, host: Option<String>, verify: bool) -> Result<(), String> {
    let base_url = base_url_of(host);
    let raw = match key {
        Some(k) => k,
        None => match std::env::var("WANDB_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
        {
            Some(k) => k,
            None => {
                if std::io::stdin().is_terminal() {
                    eprint!("Paste an API key from your W&B settings page: ");
                }
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read the key from standard input: {e}"))?;
                line
            }
        },
    };
    let key = ApiKey::new(&raw).map_err(|e| e.to_string())?;
    if verify {
        let api = Api::new(&base_url, key.expose())
            .map_err(|e| e.to_string())?
            .with_timeout(Duration::from_secs(30));
        match api.viewer_entity() {
            Ok(entity) => println!("The server at {base_url} accepted the key (entity {entity})"),
            Err(e @ OnlineError::Rejected { .. }) => {
                return Err(format!("{e}; nothing was stored"))
            }
            Err(e) => return Err(format!("cannot verify the key: {e}; nothing was stored")),
        }
    }
    let path = write_netrc(&base_url, &key).map_err(|e| e.to_string())?;
    println!("Stored the API key for {base_url} in {}", path.display());
    Ok(())
}

/// `logout [--host URL]`: removes the server's netrc entry.
pub fn logout(host: Option<String>) -> Result<(), String> {
    let base_url = base_url_of(host);
    match remove_netrc(&base_url).map_err(|e| e.to_string())? {
        Some(path) => println!("Removed the API key for {base_url} from {}", path.display()),
        None => println!("No stored API key for {base_url}"),
    }
    if std::env::var("WANDB_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        println!("Note: WANDB_API_KEY is set in this environment and still gives a key");
    }
    Ok(())
}

/// `status`: each setting's value and where it comes from (environment >
/// `./wandb/settings` > global settings file > default).
pub fn status() -> Result<(), String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let workspace = env("WANDB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("wandb/settings");
    let global = env("WANDB_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config/wandb")))
        .map(|d| d.join("settings"));
    let lookup = |name: &str, var: &str| -> Option<(String, String)> {
        if let Some(v) = env(var) {
            return Some((v, format!("environment {var}")));
        }
        for file in std::iter::once(&workspace).chain(global.as_ref()) {
            if let Some(v) = read_settings_value(file, name) {
                return Some((v, format!("settings file {}", file.display())));
            }
        }
        None
    };
    let base_url = lookup("base_url", "WANDB_BASE_URL")
        .map(|(v, s)| (v.trim_end_matches('/').to_string(), s))
        .unwrap_or_else(|| (resolve_base_url(), "default".into()));
    println!("base_url = {} ({})", base_url.0, base_url.1);
    let key_source = if env("WANDB_API_KEY").is_some() {
        Some("environment WANDB_API_KEY".to_string())
    } else {
        netrc_path()
            .filter(|p| wandb_core::credentials::find_api_key(p, &base_url.0).is_some())
            .map(|p| format!("netrc {}", p.display()))
    };
    match &key_source {
        Some(s) => println!("api_key = set ({s})"),
        None => println!("api_key = not set (run `wandb-rs login`)"),
    }
    for (name, var) in [("entity", "WANDB_ENTITY"), ("project", "WANDB_PROJECT")] {
        match lookup(name, var) {
            Some((v, s)) => println!("{name} = {v} ({s})"),
            None => println!("{name} = not set"),
        }
    }
    match lookup("mode", "WANDB_MODE") {
        Some((v, s)) => println!("mode = {v} ({s})"),
        None if key_source.is_some() => println!("mode = online (default: an API key is set)"),
        None => println!("mode = offline (default: no API key)"),
    }
    Ok(())
}
