//! API key and base URL precedence (spec §6.1). One test, because it sets
//! process environment variables.

use wandb_core::online::{resolve_api_key, resolve_base_url, write_netrc, ApiKey, OnlineError};

#[test]
fn key_and_url_precedence() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    std::env::set_var("HOME", home);
    std::env::set_var("NETRC", home.join("netrc-file"));
    std::env::set_var("WANDB_CONFIG_DIR", home.join("cfg"));
    std::env::remove_var("WANDB_API_KEY");
    std::env::remove_var("WANDB_BASE_URL");
    std::env::set_current_dir(home).unwrap();
    let url = "http://127.0.0.1:9999";
    let (a, b, c) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));

    // nothing: a clear error naming the host
    let e = resolve_api_key(None, url).unwrap_err();
    assert!(
        matches!(e, OnlineError::MissingApiKey { ref host } if host == "127.0.0.1:9999"),
        "{e}"
    );

    // netrc ($NETRC), machine = host:port
    let path = write_netrc(url, &ApiKey::new(&c).unwrap()).unwrap();
    assert_eq!(path, home.join("netrc-file"));
    assert_eq!(resolve_api_key(None, url).unwrap().expose(), c);
    // a netrc entry for another host does not apply
    assert!(resolve_api_key(None, "http://other.example").is_err());

    // WANDB_API_KEY beats netrc; an explicit key beats both
    std::env::set_var("WANDB_API_KEY", &b);
    assert_eq!(resolve_api_key(None, url).unwrap().expose(), b);
    assert_eq!(resolve_api_key(Some(&a), url).unwrap().expose(), a);
    std::env::remove_var("WANDB_API_KEY");

    // ~/.netrc when NETRC is unset
    std::env::remove_var("NETRC");
    write_netrc(url, &ApiKey::new(&a).unwrap()).unwrap();
    assert!(home.join(".netrc").exists());
    assert_eq!(resolve_api_key(None, url).unwrap().expose(), a);

    // base URL: default < global settings < ./wandb/settings < WANDB_BASE_URL
    assert_eq!(resolve_base_url(), "https://api.forge.coreweave.com");
    std::fs::create_dir_all(home.join("cfg")).unwrap();
    std::fs::write(
        home.join("cfg/settings"),
        "[default]\nbase_url = https://global.example/\n",
    )
    .unwrap();
    assert_eq!(resolve_base_url(), "https://global.example");
    std::fs::create_dir_all(home.join("wandb")).unwrap();
    std::fs::write(
        home.join("wandb/settings"),
        "[default]\nbase_url = https://local.example\n",
    )
    .unwrap();
    assert_eq!(resolve_base_url(), "https://local.example");
    std::env::set_var("WANDB_BASE_URL", "http://env.example:8080");
    assert_eq!(resolve_base_url(), "http://env.example:8080");
}
