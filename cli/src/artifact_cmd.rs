//! `wandb-rs artifact get REF [--root DIR]`: downloads an artifact version
//! through the read API (`wandb::Api::artifact`), as `wandb artifact get`.

use std::path::PathBuf;

use wandb_core::online::Api;
use wandb_core::Settings;

/// Downloads `reference` (`entity/project/name:alias`, `:vN`, or shorter
/// with the settings' defaults) into `root`, by default
/// `$WANDB_ARTIFACT_DIR/<name>:<vN>` (`./artifacts/<name>:<vN>`), through
/// the artifact cache; prints the directory.
pub fn get(reference: &str, root: Option<PathBuf>, r#type: Option<&str>) -> Result<(), String> {
    let settings = Settings::from_env().map_err(|e| e.to_string())?;
    let api = Api::from_settings(&settings).map_err(|e| e.to_string())?;
    let art = api.artifact(reference).map_err(|e| e.to_string())?;
    if let Some(t) = r#type.filter(|t| *t != art.r#type) {
        return Err(format!(
            "{} has type {:?}, not {t:?}",
            art.path(),
            art.r#type
        ));
    }
    let root = root.unwrap_or_else(|| {
        settings
            .artifact_dir
            .clone()
            .unwrap_or_else(|| settings.root_dir.join("artifacts"))
            .join(art.qualified_name())
    });
    let done = art.download(&root).map_err(|e| e.to_string())?;
    eprintln!(
        "wandb-rs: downloaded {} ({} files, {} from the cache{})",
        art.path(),
        done.files.len(),
        done.cache_hits,
        if done.references.is_empty() {
            String::new()
        } else {
            format!(", {} references not fetched", done.references.len())
        }
    );
    println!("{}", root.display());
    Ok(())
}
