//! The `run_table` artifact that accompanies a logged table (spec
//! artifacts.md §1.2-1.7): a typed copy of the table plus its media files,
//! each copied to a read-only staging file, and an `artifact` record whose
//! manifest digest is `MANIFEST_MD5`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

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

/// 128 random characters from `[a-z0-9]`, like `generate_fast_id(128)`.
pub(crate) fn client_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..128)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
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

/// `hex(md5("wandb-artifact-manifest-v1\n" + "{path}:{digest}\n" for entries sorted by path))`.
pub(crate) fn manifest_digest(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::from("wandb-artifact-manifest-v1\n");
    for (p, d) in sorted {
        text.push_str(p);
        text.push(':');
        text.push_str(d);
        text.push('\n');
    }
    hex_md5(text.as_bytes())
}

/// Where staging copies go: `$WANDB_DATA_DIR/artifacts/staging` when the
/// run's settings have that variable (as the official client), otherwise
/// `<run dir>/tmp/artifacts/staging`, next to the run's `files/` (the
/// official default is `~/.local/share/wandb/artifacts/staging`; the run
/// directory keeps everything of an offline run in one place).
pub(crate) fn staging_dir(ctx: &MediaContext<'_>) -> PathBuf {
    if let Some(d) = &ctx.run().data_dir {
        return d.join("artifacts").join("staging");
    }
    let files = ctx.files_dir();
    files
        .parent()
        .unwrap_or(files)
        .join("tmp")
        .join("artifacts")
        .join("staging")
}

fn stage(dir: &Path, bytes: &[u8]) -> wandb_core::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| wandb_core::Error::io("cannot create artifact staging directory", dir, e))?;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    loop {
        let name: String = std::iter::once("tmp".to_owned())
            .chain(
                (0..8).map(|_| (ALPHABET[fastrand::usize(..ALPHABET.len())] as char).to_string()),
            )
            .collect();
        let path = dir.join(name);
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(wandb_core::Error::io(
                    "cannot create artifact staging file",
                    &path,
                    e,
                ))
            }
        };
        f.write_all(bytes)
            .map_err(|e| wandb_core::Error::io("cannot write artifact staging file", &path, e))?;
        drop(f);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400));
        }
        let abs = std::path::absolute(&path).unwrap_or(path);
        return Ok(abs);
    }
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
        let local = stage(&dir, &e.bytes)?;
        digests.push((e.path.clone(), digest.clone()));
        contents.push(proto::ArtifactManifestEntry {
            path: e.path.clone(),
            digest,
            size: e.bytes.len() as i64,
            local_path: local.to_string_lossy().into_owned(),
            ..Default::default()
        });
    }
    contents.sort_by(|a, b| a.path.cmp(&b.path));
    let ids = ClientIds {
        client_id: client_id(),
        sequence_client_id: client_id(),
    };
    let run = ctx.run().clone();
    let record = proto::ArtifactRecord {
        run_id: run.run_id.clone(),
        project: run.project.clone(),
        entity: run.entity.clone(),
        r#type: "run_table".into(),
        name: artifact_name(&run.run_id, ctx.key()),
        digest: manifest_digest(&digests),
        aliases: vec!["latest".into()],
        manifest: Some(proto::ArtifactManifest {
            version: 1,
            storage_policy: "wandb-storage-policy-v1".into(),
            storage_policy_config: vec![proto::StoragePolicyConfigItem {
                key: "storageLayout".into(),
                value_json: "\"V2\"".into(),
            }],
            contents,
            manifest_file_path: String::new(),
        }),
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

    #[test]
    fn manifest_digest_matches_spec_check_values() {
        let e = |p: &str, d: &str| (p.to_owned(), d.to_owned());
        assert_eq!(
            manifest_digest(&[
                e("model.ckpt", "0QUon1YXwkH1Khkcay/ICQ=="),
                e("ckpt_dir/weights/layer0.bin", "gWKX6LE4tUxLgMtvuTMxmA=="),
                e("ckpt_dir/config.json", "sC0/P0bw2c8SB3GpZEjGpg=="),
            ]),
            "373f9b60ac0a8d2cbeda58975af917ea"
        );
        assert_eq!(
            manifest_digest(&[e("tbl.table.json", "sylraikq+1yczaJpk5PA1g==")]),
            "47dd5fb51036074954453148d3ec0f15"
        );
    }

    #[test]
    fn client_ids_are_128_lowercase_alnum() {
        let id = client_id();
        assert_eq!(id.len(), 128);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    }
}
