//! Artifacts the library makes itself (types reserved for internal use,
//! such as `code` for `run.log_code`), as the official `InternalArtifact`.

use super::{digest, validate, Artifact};
use crate::error::Result;

impl Artifact {
    /// An artifact of a reserved type: the name is validated, the type is
    /// not checked against the reserved list.
    pub(crate) fn internal(name: impl Into<String>, r#type: impl Into<String>) -> Result<Self> {
        let name = name.into();
        validate::name(&name)?;
        Ok(Artifact {
            name,
            r#type: r#type.into(),
            description: None,
            metadata: None,
            entries: Default::default(),
            client_id: digest::client_id(),
            sequence_client_id: digest::client_id(),
        })
    }
}
