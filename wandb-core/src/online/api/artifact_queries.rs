//! The GraphQL documents of the artifact reads, with the operation names,
//! variables and fields of the official public API (`wandb.Api().artifact`,
//! `Run.logged_artifacts`, `Run.used_artifacts`, `Api.artifacts`).

/// The artifact fields every read returns (the official `ArtifactFragment`).
const ARTIFACT_FIELDS: &str = "fragment ApiArtifactFields on Artifact {
  id versionIndex description metadata state size digest fileCount createdAt updatedAt
  artifactType { name }
  artifactSequence { name project { name entity { name } } }
  aliases @include(if: $includeAliases) {
    alias artifactCollection { name project { name entity { name } } }
  }
}";

/// One version by `collection:alias` or `collection:vN`.
pub(crate) fn membership_by_name() -> String {
    format!(
        "query ArtifactMembershipByName($entity: String!, $project: String!, $name: String!, $includeAliases: Boolean = false) {{
  project(name: $project, entityName: $entity) {{
    artifactCollectionMembership(name: $name) {{
      id versionIndex createdAt
      aliases {{ alias }}
      artifactCollection {{ name project {{ name entity {{ name }} }} }}
      artifact {{ ...ApiArtifactFields }}
    }}
  }}
}}
{ARTIFACT_FIELDS}"
    )
}

/// A page of the versions a run logged (`outputArtifacts`) or used
/// (`inputArtifacts`).
pub(crate) fn run_artifacts(op: &str, field: &str) -> String {
    format!(
        "query {op}($entity: String!, $project: String!, $run: String!, $cursor: String, $perPage: Int, $includeAliases: Boolean = true) {{
  project(entityName: $entity, name: $project) {{
    run(name: $run) {{
      artifacts: {field}(after: $cursor, first: $perPage) {{
        totalCount
        pageInfo {{ endCursor hasNextPage }}
        edges {{ node {{ ...ApiArtifactFields }} }}
      }}
    }}
  }}
}}
{ARTIFACT_FIELDS}"
    )
}

/// A page of the versions of one collection of a type.
pub(crate) fn project_artifacts() -> String {
    format!(
        "query ProjectArtifacts($entity: String!, $project: String!, $type: String!, $collection: String!, $cursor: String, $perPage: Int = 50, $order: String, $filters: JSONString, $includeAliases: Boolean = true) {{
  project(entityName: $entity, name: $project) {{
    artifactType(name: $type) {{
      artifactCollection(name: $collection) {{
        artifacts(after: $cursor, first: $perPage, order: $order, filters: $filters) {{
          totalCount
          pageInfo {{ endCursor hasNextPage }}
          edges {{ version node {{ ...ApiArtifactFields }} }}
        }}
      }}
    }}
  }}
}}
{ARTIFACT_FIELDS}"
    )
}
