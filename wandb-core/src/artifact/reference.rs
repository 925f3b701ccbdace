//! Reference entries (`add_reference`) and artifact references
//! (`entity/project/name:alias`).

use std::path::{Path, PathBuf};

use super::{validate, walk, Artifact, ArtifactEntry, ArtifactError, EntrySource};
use crate::error::Result;

/// `add_reference`: see [`Artifact::add_reference`].
pub(super) fn add(art: &mut Artifact, uri: &str, name: Option<&str>) -> Result<usize> {
    let bad = |reason| ArtifactError::InvalidReference {
        reference: uri.to_string(),
        reason,
    };
    let Some((scheme, rest)) = uri.split_once("://") else {
        return Err(bad("a reference is a URI such as file:///data/x or s3://bucket/key").into());
    };
    if scheme != "file" {
        // the official tracking handler (checksum=False): digest = URI
        let default = rest.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let path = validate::logical_path(name.unwrap_or(default))?;
        art.insert(
            ArtifactEntry {
                path,
                digest: uri.to_string(),
                size: 0,
                source: EntrySource::Reference(uri.to_string()),
                skip_cache: false,
            },
            false,
        )?;
        return Ok(1);
    }
    let local = PathBuf::from(rest);
    if !local.is_absolute() {
        return Err(bad("file:// references need an absolute path (file:///abs/path)").into());
    }
    let mut files = Vec::new();
    if local.is_dir() {
        walk(&local, "", 0, &mut files)?;
    } else if local.is_file() {
        let base = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let logical = validate::logical_path(name.unwrap_or(&base))?;
        return add_file_ref(art, logical, &local, uri.to_string()).map(|()| 1);
    } else {
        return Err(ArtifactError::NotFound {
            path: local,
            expected: "file or directory",
            hint: "a file:// reference must name something that exists",
        }
        .into());
    }
    let prefix = match name {
        Some(n) => Some(validate::logical_path(n)?),
        None => None,
    };
    let count = files.len();
    let base = uri.trim_end_matches('/');
    for (rel, file) in files {
        let logical = match &prefix {
            Some(p) => format!("{p}/{rel}"),
            None => rel.clone(),
        };
        add_file_ref(art, logical, &file, format!("{base}/{rel}"))?;
    }
    Ok(count)
}

fn add_file_ref(art: &mut Artifact, path: String, file: &Path, uri: String) -> Result<()> {
    let (digest, size) = super::digest::b64_md5_file(file)?;
    art.insert(
        ArtifactEntry {
            path,
            digest,
            size,
            source: EntrySource::Reference(uri),
            skip_cache: false,
        },
        false,
    )?;
    Ok(())
}

/// A parsed artifact reference: `[[entity/]project/]name[:alias or vN]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRef {
    /// The entity, if given.
    pub entity: Option<String>,
    /// The project, if given.
    pub project: Option<String>,
    /// The artifact (collection) name.
    pub name: String,
    /// The alias or version (`latest` when not given).
    pub alias: String,
}

impl ArtifactRef {
    /// Parses and validates a reference.
    pub fn parse(reference: &str) -> Result<Self> {
        let bad = |reason| ArtifactError::InvalidReference {
            reference: reference.to_string(),
            reason,
        };
        let (path, alias) = match reference.rsplit_once(':') {
            Some((p, a)) => (p, a),
            None => (reference, "latest"),
        };
        if alias.is_empty() || alias.contains('/') {
            return Err(bad("the part after ':' must be an alias or a version such as v3").into());
        }
        let parts: Vec<&str> = path.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) || parts.len() > 3 {
            return Err(bad("expected [[entity/]project/]name[:alias]").into());
        }
        let name = parts[parts.len() - 1];
        validate::name(name)?;
        let (entity, project) = match parts.len() {
            3 => (Some(parts[0].to_string()), Some(parts[1].to_string())),
            2 => (None, Some(parts[0].to_string())),
            _ => (None, None),
        };
        Ok(ArtifactRef {
            entity,
            project,
            name: name.to_string(),
            alias: alias.to_string(),
        })
    }
}

/// An artifact version a run declared it uses (`Run::use_artifact`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedArtifact {
    /// The reference as given.
    pub reference: ArtifactRef,
    /// The server id of the version.
    pub id: String,
    /// The artifact type.
    pub r#type: String,
    /// `v<index>`.
    pub version: String,
}

impl std::fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(e) = &self.entity {
            write!(f, "{e}/")?;
        }
        if let Some(p) = &self.project {
            write!(f, "{p}/")?;
        }
        write!(f, "{}:{}", self.name, self.alias)
    }
}
