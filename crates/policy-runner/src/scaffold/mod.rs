//! `scaffold`: Kubernetes manifests and Artifact Hub packages from a module's metadata, like
//! `kwctl scaffold`.

pub mod artifacthub;
pub mod manifest;

use anyhow::Result;

use crate::cli::ScaffoldCommand;

/// Runs `scaffold manifest` or `scaffold artifacthub`, printing what it generates.
pub fn run(what: ScaffoldCommand) -> Result<()> {
    match what {
        ScaffoldCommand::Manifest {
            kind,
            settings_json,
            title,
            uri,
        } => manifest::manifest(&uri, &kind, settings_json.as_deref(), title.as_deref()),
        ScaffoldCommand::Artifacthub {
            metadata_path,
            usage_path,
            questions_path,
            version,
        } => {
            let package = artifacthub::artifacthub(
                &metadata_path,
                &usage_path,
                questions_path.as_deref(),
                version.as_deref(),
                &|_| artifacthub::now_rfc3339(),
            )?;
            print!("{package}");
            Ok(())
        }
    }
}

pub(crate) const ANNOTATION_TITLE: &str = "io.kubewarden.policy.title";
pub(crate) const ANNOTATION_DESCRIPTION: &str = "io.kubewarden.policy.description";
pub(crate) const ANNOTATION_AUTHOR: &str = "io.kubewarden.policy.author";
pub(crate) const ANNOTATION_URL: &str = "io.kubewarden.policy.url";
pub(crate) const ANNOTATION_SOURCE: &str = "io.kubewarden.policy.source";
pub(crate) const ANNOTATION_LICENSE: &str = "io.kubewarden.policy.license";
pub(crate) const ANNOTATION_OCI_URL: &str = "io.kubewarden.policy.ociUrl";
pub(crate) const ANNOTATION_VERSION: &str = "io.kubewarden.policy.version";
pub(crate) const ANNOTATION_DISPLAY_NAME: &str = "io.artifacthub.displayName";
pub(crate) const ANNOTATION_KEYWORDS: &str = "io.artifacthub.keywords";
pub(crate) const ANNOTATION_RESOURCES: &str = "io.artifacthub.resources";
