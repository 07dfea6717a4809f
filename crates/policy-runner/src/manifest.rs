//! Kubewarden policy resources read from a YAML file, as `kwctl run … policy.yaml` reads them:
//! every document a ClusterAdmissionPolicy or AdmissionPolicy of `policies.kubewarden.io/v1`,
//! each giving a module, settings, a mode and whether it may mutate.

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::path::Path;

use crate::response::{AdmissionResponse, AdmissionResponseStatus};

/// One policy of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestPolicy {
    /// `metadata.name`.
    pub name: String,
    /// `spec.module`.
    pub module: String,
    /// `spec.settings` (`{}` when absent or `null`).
    pub settings: serde_json::Value,
    /// `spec.mode: monitor`: every request is accepted, the verdict only logged.
    pub monitor: bool,
    /// `spec.mutating`.
    pub mutating: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Resource {
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    spec: Option<serde_norway::Value>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Spec {
    module: String,
    #[serde(default)]
    settings: Option<serde_json::Value>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    mutating: bool,
}

/// Whether a policy argument names a manifest rather than a module (kwctl: a `.yml` or `.yaml`
/// file).
pub fn is_manifest(uri: &str) -> bool {
    !uri.contains("://") && (uri.ends_with(".yaml") || uri.ends_with(".yml"))
}

/// The policies of a manifest file, in document order.
pub fn read(path: &Path) -> Result<Vec<ManifestPolicy>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("Cannot open YAML file {:?}", path.display().to_string()))?;
    let mut policies = Vec::new();
    for document in serde_norway::Deserializer::from_str(&text) {
        let value = serde_norway::Value::deserialize(document)
            .with_context(|| format!("Cannot parse YAML file {:?}", path.display().to_string()))?;
        if value.is_null() {
            continue;
        }
        policies.push(policy(value)?);
    }
    if policies.is_empty() {
        bail!("{} holds no Kubewarden policy", path.display());
    }
    Ok(policies)
}

fn policy(value: serde_norway::Value) -> Result<ManifestPolicy> {
    let resource: Resource = serde_norway::from_value(value)
        .map_err(|e| anyhow!("cannot parse a Kubewarden policy: {e}"))?;
    if resource.api_version.as_deref() != Some("policies.kubewarden.io/v1") {
        bail!("invalid apiVersion {:?}", resource.api_version);
    }
    let kind = resource.kind.unwrap_or_default();
    match kind.as_str() {
        "ClusterAdmissionPolicy" | "AdmissionPolicy" => {}
        "ClusterAdmissionPolicyGroup" | "AdmissionPolicyGroup" => {
            bail!("{kind} is not supported by policy-runner: evaluate its members one by one")
        }
        _ => bail!("unknown kind {kind:?}, not a Kubewarden policy"),
    }
    let spec: Spec = resource
        .spec
        .map(serde_norway::from_value)
        .transpose()
        .map_err(|e| anyhow!("cannot parse value into {kind}: {e}"))?
        .ok_or_else(|| anyhow!("CRD does not have spec, but it is required for {kind}"))?;
    let settings = match spec.settings {
        None | Some(serde_json::Value::Null) => serde_json::json!({}),
        Some(settings @ serde_json::Value::Object(_)) => settings,
        Some(_) => bail!("settings must be a mapping of setting names to values"),
    };
    let monitor = match spec.mode.as_deref() {
        None | Some("protect") => false,
        Some("monitor") => true,
        Some(other) => bail!("unknown policy mode {other:?}"),
    };
    Ok(ManifestPolicy {
        name: resource
            .metadata
            .name
            .unwrap_or_else(|| "crd-without-name".to_string()),
        module: spec.module,
        settings,
        monitor,
        mutating: spec.mutating,
    })
}

impl ManifestPolicy {
    /// What policy-server answers for this policy: in monitor mode every request is accepted
    /// (no patch, no status); in protect mode a policy that is not `mutating` may not mutate.
    pub fn process(&self, response: AdmissionResponse) -> AdmissionResponse {
        if self.monitor {
            return AdmissionResponse {
                allowed: true,
                patch_type: None,
                patch: None,
                status: None,
                ..response
            };
        }
        if self.mutating || response.patch.is_none() {
            return response;
        }
        AdmissionResponse {
            allowed: false,
            status: Some(AdmissionResponseStatus {
                message: Some(format!(
                    "Request rejected by policy {}. The policy attempted to mutate the request, but it is currently configured to not allow mutations.",
                    self.name
                )),
                code: None,
            }),
            patch: None,
            patch_type: None,
            ..response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn write(text: &str) -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let index = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "policy-runner-manifest-{}-{index}.yaml",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        path
    }

    const TWO: &str = "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: a}\nspec: {module: file:///a.wasm, settings: {x: 1}, mutating: true}\n---\napiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicy\nmetadata: {name: b, namespace: n}\nspec: {module: b.wasm, mode: monitor}\n";

    #[test]
    fn every_policy_is_read_in_order() {
        let policies = read(&write(TWO)).unwrap();
        assert_eq!(policies.len(), 2);
        assert_eq!(policies[0].name, "a");
        assert_eq!(policies[0].settings, serde_json::json!({"x": 1}));
        assert!(policies[0].mutating && !policies[0].monitor);
        assert_eq!(policies[1].settings, serde_json::json!({}));
        assert!(policies[1].monitor && !policies[1].mutating);
    }

    #[rstest]
    #[case::other_api("apiVersion: v1\nkind: ConfigMap\n", "invalid apiVersion")]
    #[case::group(
        "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicyGroup\nspec: {}\n",
        "not supported"
    )]
    #[case::no_spec(
        "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\n",
        "does not have spec"
    )]
    #[case::bad_mode("apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec: {module: a, mode: audit}\n", "unknown policy mode")]
    fn malformed_manifests_are_errors(#[case] text: &str, #[case] expected: &str) {
        let error = read(&write(text)).unwrap_err().to_string();
        assert!(error.contains(expected), "{error}");
    }

    fn mutation() -> AdmissionResponse {
        AdmissionResponse {
            allowed: true,
            patch_type: Some("JSONPatch".to_string()),
            patch: Some("W10=".to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn modes_and_mutation_constraint_apply() {
        let mut policy = read(&write(TWO)).unwrap().remove(0);
        assert_eq!(policy.process(mutation()), mutation());
        policy.mutating = false;
        let rejected = policy.process(mutation());
        assert!(!rejected.allowed && rejected.patch.is_none());
        policy.monitor = true;
        let rejection = AdmissionResponse {
            allowed: false,
            status: Some(AdmissionResponseStatus {
                message: Some("no".to_string()),
                code: None,
            }),
            ..Default::default()
        };
        let monitored = policy.process(rejection);
        assert!(monitored.allowed && monitored.status.is_none());
    }
}
