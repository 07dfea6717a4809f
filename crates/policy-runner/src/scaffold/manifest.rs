//! `scaffold manifest`: a ClusterAdmissionPolicy or AdmissionPolicy for an annotated module.

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;

use super::{ANNOTATION_OCI_URL, ANNOTATION_TITLE, ANNOTATION_VERSION};
use crate::inputs::read_module;
use crate::metadata::{self, Rule};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestSpec {
    module: String,
    settings: serde_json::Value,
    rules: Vec<Rule>,
    mutating: bool,
    background_audit: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    context_aware_resources: Vec<metadata::ContextAwareResource>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    api_version: &'static str,
    kind: String,
    metadata: ManifestMetadata,
    spec: ManifestSpec,
}

#[derive(Serialize)]
struct ManifestMetadata {
    name: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

/// Prints a ClusterAdmissionPolicy or AdmissionPolicy for the module, from its metadata.
pub fn manifest(uri: &str, kind: &str, settings: Option<&str>, title: Option<&str>) -> Result<()> {
    if !matches!(kind, "ClusterAdmissionPolicy" | "AdmissionPolicy") {
        bail!("unsupported manifest type {kind}: use ClusterAdmissionPolicy or AdmissionPolicy");
    }
    // A registry URI names where the cluster pulls the module; the metadata comes from the
    // local annotated module given with file:// or a path.
    let module = read_module(uri)?;
    let metadata = metadata::read_metadata(&module)?.ok_or_else(|| {
        anyhow!("No Kubewarden metadata found inside of '{uri}': annotate it first")
    })?;
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let settings: serde_json::Value = match settings {
        Some(json) => serde_json::from_str(json).context("--settings-json is not valid JSON")?,
        None => serde_json::json!({}),
    };
    let name = title
        .map(str::to_string)
        .or_else(|| annotations.get(ANNOTATION_TITLE).cloned())
        .unwrap_or_else(|| "generated-policy".to_string());
    let module_uri = match (
        annotations.get(ANNOTATION_OCI_URL),
        annotations.get(ANNOTATION_VERSION),
    ) {
        (Some(oci), Some(version)) if !uri.starts_with("registry://") => {
            format!("registry://{oci}:v{version}")
        }
        _ => uri.to_string(),
    };
    let manifest = Manifest {
        api_version: "policies.kubewarden.io/v1",
        kind: kind.to_string(),
        metadata: ManifestMetadata {
            name,
            annotations: annotations
                .iter()
                .filter(|(k, _)| {
                    k.as_str() == "io.kubewarden.policy.category"
                        || k.as_str() == "io.kubewarden.policy.severity"
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        },
        spec: ManifestSpec {
            module: module_uri,
            settings,
            rules: metadata.rules.clone(),
            mutating: metadata.mutating,
            background_audit: metadata.background_audit,
            context_aware_resources: metadata.context_aware_resources.iter().cloned().collect(),
        },
    };
    print!("---\n{}", serde_norway::to_string(&manifest)?);
    Ok(())
}
