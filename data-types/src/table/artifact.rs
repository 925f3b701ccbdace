//! The `run_table` artifact that accompanies a logged table (spec
//! artifacts.md §1.2-1.7): a typed copy of the table plus its media files,
//! each copied to a read-only staging file, and an `artifact` record whose
//! manifest digest is `MANIFEST_MD5`.

use std::path::PathBuf;

use wandb_core::artifact::{digest, stage};
use wandb_core::proto;
use wandb_core::MediaContext;

use crate::file_value::{b64_md5, hex_md5};

/// One file of the artifact.
pub(crate) struct Entry {
    /// Logical path inside the artifact (`tbl.table.json`, `media/images/<md5[:20]>.png`).
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Client ids of a logged artifact.
pub(crate) struct ClientIds {
    pub client_id: String,
    pub sequence_client_id: String,
}

/// The artifact entry path of a media file: `media/<subdir>/<md5hex[:20]><ext>`.
pub(crate) fn media_entry_path(subdir: &str, ext: &str, bytes: &[u8]) -> String {
    format!("media/{subdir}/{}{ext}", &hex_md5(bytes)[..20])
}

/// `run-<runid>-<key>` with characters outside `[A-Za-z0-9_.-]` removed;
/// if any was removed, `-` and the unpadded URL-safe base64 of the
/// big-endian CRC-32 of the original name are appended.
pub(crate) fn artifact_name(run_id: &str, key: &str) -> String {
    use base64::Engine as _;
    let original = format!("run-{run_id}-{key}");
    let cleaned: String = original
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    if cleaned == original {
        return cleaned;
    }
    let crc = crc32fast::hash(original.as_bytes()).to_be_bytes();
    let suffix = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crc);
    format!("{cleaned}-{suffix}")
}

/// Where staging copies go (wandb_core::artifact::stage::staging_dir, the
/// run directory being the parent of `files/`).
pub(crate) fn staging_dir(ctx: &MediaContext<'_>) -> PathBuf {
    let files = ctx.files_dir();
    stage::staging_dir(ctx.run(), files.parent().unwrap_or(files))
}

/// Stages the entries and emits the `artifact` record; returns the client ids.
pub(crate) fn log_run_table_artifact(
    ctx: &mut MediaContext<'_>,
    entries: Vec<Entry>,
) -> wandb_core::Result<ClientIds> {
    let dir = staging_dir(ctx);
    let mut contents = Vec::with_capacity(entries.len());
    let mut digests = Vec::with_capacity(entries.len());
    for e in &entries {
        let digest = b64_md5(&e.bytes);
        let local = stage::stage_bytes(&dir, &e.bytes)?;
        digests.push((e.path.clone(), digest.clone()));
        contents.push(proto::ArtifactManifestEntry {
            path: e.path.clone(),
            digest,
            size: e.bytes.len() as i64,
            local_path: local.to_string_lossy().into_owned(),
            ..Default::default()
        });
    }
    let ids = ClientIds {
        client_id: digest::client_id(),
        sequence_client_id: digest::client_id(),
    };
    let run = ctx.run().clone();
    let record = proto::ArtifactRecord {
        run_id: run.run_id.clone(),
        project: run.project.clone(),
        entity: run.entity.clone(),
        r#type: "run_table".into(),
        name: artifact_name(&run.run_id, ctx.key()),
        digest: digest::manifest_digest(&digests),
        aliases: vec!["latest".into()],
        manifest: Some(wandb_core::artifact::manifest(contents)),
        finalize: true,
        client_id: ids.client_id.clone(),
        sequence_client_id: ids.sequence_client_id.clone(),
        digest_algorithm: "MANIFEST_MD5".into(),
        ..Default::default()
    };
    ctx.emit_record(proto::record::RecordType::Artifact(record));
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised_like_the_official_client() {
        assert_eq!(artifact_name("mediarun1", "tbl"), "run-mediarun1-tbl");
        assert_eq!(
            artifact_name("arttbl02", "eval/preds"),
            "run-arttbl02-evalpreds-G_qPZg"
        );
        assert_eq!(
            artifact_name("dtexp2", "eval/preds"),
            "run-dtexp2-evalpreds-OD1K5A"
        );
    }
}
