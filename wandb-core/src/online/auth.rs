//! Credentials and the server address: the API key (explicit, then
//! `WANDB_API_KEY`, then netrc), its format check, the base URL precedence
//! of the official client (spec §6.1), and `login` (writing netrc).

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::{OnlineError, Result};

/// The default base URL of wandb 0.31.0.
pub const DEFAULT_BASE_URL: &str = "https://api.forge.coreweave.com";

/// An API key. Its `Debug` and `Display` never show the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks the format (an optional `<prefix>-`, then at least 40 `[A-Za-z0-9_-]`
    /// characters; a JWT is also accepted).
    pub fn new(key: &str) -> Result<Self> {
        let key = key.trim();
        if key.is_empty() {
            return Err(OnlineError::InvalidApiKey("it is empty"));
        }
        if is_jwt(key) {
            return Ok(ApiKey(key.to_string()));
        }
        let body = match key.split_once('-') {
            Some((prefix, rest)) if rest.len() >= 40 && !prefix.is_empty() => rest,
            _ => key,
        };
        if !body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(OnlineError::InvalidApiKey(
                "it contains characters other than letters, digits, '_' and '-'",
            ));
        }
        if body.len() < 40 {
            return Err(OnlineError::InvalidApiKey(
                "it is shorter than 40 characters",
            ));
        }
        Ok(ApiKey(key.to_string()))
    }

    /// The key itself (only for building the `Authorization` header or netrc).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `Basic base64("api:" + key)`.
    pub fn basic_auth(&self) -> String {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("api:{}", self.0))
        )
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

fn is_jwt(key: &str) -> bool {
    let parts: Vec<&str> = key.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '=')
        })
}

/// The netrc machine name of a base URL (`host[:port]`, see
/// [`crate::credentials::netrc_machine`]).
pub fn url_host(base_url: &str) -> Result<String> {
    crate::credentials::netrc_machine(base_url)
        .map(str::to_owned)
        .map_err(|e| OnlineError::InvalidBaseUrl {
            url: e.url,
            reason: e.reason,
        })
}

/// The base URL with the official precedence (lowest to highest): the
/// default, `$WANDB_CONFIG_DIR/settings` (or `~/.config/wandb/settings`),
/// `./wandb/settings`, `WANDB_BASE_URL`. A trailing `/` is removed.
pub fn resolve_base_url() -> String {
    let mut url = DEFAULT_BASE_URL.to_string();
    for file in settings_files() {
        if let Some(v) = read_settings_value(&file, "base_url") {
            url = v;
        }
    }
    if let Ok(v) = std::env::var("WANDB_BASE_URL") {
        if !v.trim().is_empty() {
            url = v.trim().to_string();
        }
    }
    url.trim_end_matches('/').to_string()
}

fn settings_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let config_dir = std::env::var_os("WANDB_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/wandb")));
    if let Some(d) = config_dir {
        out.push(d.join("settings"));
    }
    out.push(PathBuf::from("wandb/settings"));
    out
}

/// Reads `key = value` from the `[default]` section of an INI settings file.
pub fn read_settings_value(file: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut in_default = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_default = line == "[default]";
        } else if in_default {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key && !v.trim().is_empty() {
                    found = Some(v.trim().to_string());
                }
            }
        }
    }
    found
}

/// The netrc file: `$NETRC`, else `~/.netrc`.
pub fn netrc_path() -> Option<PathBuf> {
    crate::credentials::netrc_path(|k| std::env::var(k).ok())
}

/// Resolves the API key for `base_url`: `explicit` (the `api_key` setting),
/// then `WANDB_API_KEY`, then the netrc entry for the URL
/// ([`crate::credentials::find_api_key`]).
pub fn resolve_api_key(explicit: Option<&str>, base_url: &str) -> Result<ApiKey> {
    if let Some(k) = explicit.filter(|k| !k.trim().is_empty()) {
        return ApiKey::new(k);
    }
    if let Ok(k) = std::env::var("WANDB_API_KEY") {
        if !k.trim().is_empty() {
            return ApiKey::new(&k);
        }
    }
    let host = url_host(base_url)?;
    if let Some(k) = netrc_path().and_then(|p| crate::credentials::find_api_key(&p, base_url)) {
        return ApiKey::new(&k);
    }
    Err(OnlineError::MissingApiKey { host })
}

/// Stores `key` for `base_url` in the netrc file (created with mode 0600;
/// an existing entry for the host is replaced). Returns the file's path.
pub fn write_netrc(base_url: &str, key: &ApiKey) -> Result<PathBuf> {
    let host = url_host(base_url)?;
    let path = netrc_path().ok_or_else(|| {
        OnlineError::io(
            "cannot locate the netrc file (set HOME or NETRC)",
            PathBuf::from("~/.netrc"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })?;
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(OnlineError::io("cannot read", &path, e)),
    };
    let mut out = remove_machine(&old, &host);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "machine {host}\n  login user\n  password {}\n",
        key.expose()
    ));
    write_private(&path, out.as_bytes())?;
    Ok(path)
}

/// Removes the netrc entry for `base_url` (`wandb-rs logout`). Returns the
/// netrc path when an entry was removed, `None` when there was none.
pub fn remove_netrc(base_url: &str) -> Result<Option<PathBuf>> {
    let host = url_host(base_url)?;
    let Some(path) = netrc_path() else {
        return Ok(None);
    };
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(OnlineError::io("cannot read", &path, e)),
    };
    let new = remove_machine(&old, &host);
    if new.lines().count() == old.lines().count() {
        return Ok(None);
    }
    write_private(&path, new.as_bytes())?;
    Ok(Some(path))
}

/// Drops the `machine <host>` entry (up to the next `machine`/`default`).
fn remove_machine(text: &str, host: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let first = words.next();
        if first == Some("machine") || first == Some("default") {
            skipping = first == Some("machine") && words.next() == Some(host);
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| OnlineError::io("cannot create", dir, e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| OnlineError::io("cannot write", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| OnlineError::io("cannot set permissions of", path, e))?;
    }
    f.write_all(bytes)
        .map_err(|e| OnlineError::io("cannot write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_format() {
        assert!(ApiKey::new(&"a".repeat(40)).is_ok());
        assert!(ApiKey::new(&format!("local-{}", "b".repeat(40))).is_ok());
        assert!(ApiKey::new("short").is_err());
        assert!(ApiKey::new(&format!("{} x", "a".repeat(40))).is_err());
        assert!(ApiKey::new("aaa.bbb.ccc").is_ok());
        let k = ApiKey::new(&"s".repeat(40)).unwrap();
        assert!(!format!("{k:?}").contains("sss"));
        assert_eq!(
            k.basic_auth(),
            format!("Basic {}", {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(format!("api:{}", "s".repeat(40)))
            })
        );
    }

    #[test]
    fn netrc_entry_removal() {
        let text = "machine a.example login user password k1\nmachine 127.0.0.1:8080\n login user\n password k2\ndefault login x password k3\n";
        let removed = remove_machine(text, "127.0.0.1:8080");
        assert!(!removed.contains("k2") && removed.contains("k1") && removed.contains("k3"));
    }

    #[test]
    fn hosts() {
        assert_eq!(url_host("https://api.wandb.ai").unwrap(), "api.wandb.ai");
        assert_eq!(url_host("http://127.0.0.1:9/x").unwrap(), "127.0.0.1:9");
        assert!(url_host("ftp://x").is_err());
    }
}
