//! The one home of netrc credentials: which netrc `machine` a base URL maps
//! to, where the netrc file is, how it is parsed, and the API key it holds
//! for a base URL. Settings mode detection, online mode, `sync` and
//! `login` all go through these functions, so they always agree.
//!
//! Like wandb 0.31.0 the machine name is the URL's network location
//! (`host[:port]` exactly as written, `urlsplit(url).netloc`): `login --host
//! http://h:8080` stores `machine h:8080` and every lookup for that URL asks
//! for `h:8080`. An explicit port is kept even when it is the scheme's
//! default (`https://h:443` is machine `h:443`), as the official client does.

use std::path::{Path, PathBuf};

/// The API host behind the CoreWeave Forge hosts: a key stored for it is
/// used for the Forge URL too (the official client's fallback).
const FORGE_UPSTREAM: &[(&str, &str)] = &[
    ("forge.coreweave.com", "api.wandb.ai"),
    ("qa.forge.coreweave.com", "api.qa.wandb.ai"),
];

/// A base URL that names no netrc machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base URL {url:?}: {reason}")]
pub struct BaseUrlError {
    /// The URL given.
    pub url: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The netrc machine name of a base URL: its network location
/// (`http://127.0.0.1:8080/` -> `127.0.0.1:8080`,
/// `https://api.wandb.ai` -> `api.wandb.ai`).
pub fn netrc_machine(base_url: &str) -> Result<&str, BaseUrlError> {
    let err = |reason| BaseUrlError {
        url: base_url.to_string(),
        reason,
    };
    let url = base_url.trim();
    let rest = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"))
        .ok_or_else(|| err("it must start with http:// or https://"))?;
    let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
    if netloc.is_empty() {
        return Err(err("it has no host"));
    }
    Ok(netloc)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The netrc file: `$NETRC`, else `$HOME/.netrc`; `var` reads a variable
/// (the process environment or an `InitOptions::environment` map).
pub fn netrc_path(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = var("NETRC").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    var("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".netrc"))
}

/// The password of `machine` in a netrc text, else that of the `default`
/// entry. Tokens are separated by whitespace; a `macdef` ends the parse; of
/// two entries for one machine the last wins (as Python's `netrc` reads it).
pub fn netrc_lookup(text: &str, machine: &str) -> Option<String> {
    let (named, default) = scan(text, machine);
    named.or(default)
}

/// The password of the entry for `machine` and that of the `default` entry.
fn scan(text: &str, machine: &str) -> (Option<String>, Option<String>) {
    let mut tokens = text.split_whitespace();
    let mut current: Option<&str> = None;
    let mut in_default = false;
    let (mut named, mut default) = (None, None);
    while let Some(tok) = tokens.next() {
        match tok {
            "machine" => {
                current = tokens.next();
                in_default = false;
            }
            "default" => {
                current = None;
                in_default = true;
            }
            "password" => {
                let pw = tokens.next().map(str::to_owned);
                if current.is_some() && current == Some(machine) {
                    named = pw;
                } else if in_default {
                    default = pw;
                }
            }
            "login" | "account" => {
                tokens.next();
            }
            "macdef" => break,
            _ => {}
        }
    }
    (named, default)
}

/// The API key a netrc text holds for `base_url`: the entry of its
/// [`netrc_machine`], else (for a CoreWeave Forge URL) that of the W&B API
/// host behind it, else the `default` entry.
pub fn netrc_key_for_url(text: &str, base_url: &str) -> Option<String> {
    let machine = netrc_machine(base_url).ok()?;
    let (named, default) = scan(text, machine);
    named
        .or_else(|| forge_upstream(machine).and_then(|up| scan(text, up).0))
        .or(default)
}

fn forge_upstream(machine: &str) -> Option<&'static str> {
    let host = machine.rsplit('@').next().unwrap_or(machine);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    FORGE_UPSTREAM.iter().find_map(|(forge, api)| {
        (host == *forge || host.strip_prefix("api.") == Some(forge)).then_some(*api)
    })
}

/// The API key stored for `base_url` in the netrc file `path`, if any.
pub fn find_api_key(path: &Path, base_url: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    netrc_key_for_url(&text, base_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_is_the_network_location() {
        assert_eq!(netrc_machine("https://api.wandb.ai"), Ok("api.wandb.ai"));
        assert_eq!(netrc_machine("https://api.wandb.ai/"), Ok("api.wandb.ai"));
        assert_eq!(netrc_machine("http://h:8080"), Ok("h:8080"));
        assert_eq!(netrc_machine("http://h:8080/"), Ok("h:8080"));
        assert_eq!(
            netrc_machine("http://127.0.0.1:9/graphql"),
            Ok("127.0.0.1:9")
        );
        // an explicit default port is kept, as urlsplit().netloc keeps it
        assert_eq!(netrc_machine("https://h:443"), Ok("h:443"));
        assert_eq!(netrc_machine("https://h"), Ok("h"));
        assert_eq!(netrc_machine("HTTPS://h?x=1"), Ok("h"));
        assert!(netrc_machine("ftp://x").is_err());
        assert!(netrc_machine("http://").is_err());
        assert!(netrc_machine("h:8080").is_err());
        assert!(netrc_machine("").is_err());
    }

    #[test]
    fn lookup_by_machine_then_default() {
        let text = "machine a.example login user password k1\nmachine 127.0.0.1:8080\n login user\n password k2\ndefault login x password k3\n";
        assert_eq!(netrc_lookup(text, "a.example").as_deref(), Some("k1"));
        assert_eq!(netrc_lookup(text, "127.0.0.1:8080").as_deref(), Some("k2"));
        assert_eq!(netrc_lookup(text, "other").as_deref(), Some("k3"));
        assert_eq!(netrc_lookup("machine x password", "x"), None);
        assert_eq!(netrc_lookup("", "x"), None);
    }

    #[test]
    fn key_for_url_uses_the_port() {
        let text =
            "machine h:8080 login user password withport\nmachine h login user password bare\n";
        assert_eq!(
            netrc_key_for_url(text, "http://h:8080/").as_deref(),
            Some("withport")
        );
        assert_eq!(netrc_key_for_url(text, "http://h").as_deref(), Some("bare"));
        assert_eq!(netrc_key_for_url(text, "http://h:9090"), None);
        assert_eq!(netrc_key_for_url(text, "https://h:443"), None);
        // the default entry does not hide a later named machine
        let text = "default login x password dflt\nmachine h:1 password named\n";
        assert_eq!(
            netrc_key_for_url(text, "http://h:1").as_deref(),
            Some("named")
        );
        assert_eq!(netrc_key_for_url(text, "http://z").as_deref(), Some("dflt"));
    }

    #[test]
    fn forge_url_falls_back_to_the_api_host() {
        let text = "machine api.wandb.ai login user password cloud\n";
        assert_eq!(
            netrc_key_for_url(text, "https://api.forge.coreweave.com").as_deref(),
            Some("cloud")
        );
        assert_eq!(netrc_key_for_url(text, "https://other.example"), None);
    }

    #[test]
    fn netrc_file_location() {
        let env = |pairs: &'static [(&str, &str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            netrc_path(env(&[("NETRC", "/n"), ("HOME", "/h")])),
            Some(PathBuf::from("/n"))
        );
        assert_eq!(
            netrc_path(env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.netrc"))
        );
        assert_eq!(netrc_path(env(&[])), None);
    }
}
