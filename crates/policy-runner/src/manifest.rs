//! Kubewarden policy resources read from a YAML file, as `kwctl run … policy.yaml` (kwctl 1.35)
//! reads them: every document a ClusterAdmissionPolicy or AdmissionPolicy of
//! `policies.kubewarden.io/v1`, each giving a module, settings, a mode, whether it may mutate and
//! a custom rejection message. kwctl parses them with the Kubewarden SDK's CRD types, which
//! refuse unknown fields: `spec.allowInsideAdmissionControllerNamespace` (in the CRD since
//! Kubewarden 1.33) is one, so a manifest that sets it is refused here too, with kwctl's message.

mod spec;

use serde::Deserialize;
use std::path::Path;

use crate::response::{AdmissionResponse, AdmissionResponseStatus, StatusCause};

/// Why a manifest cannot be evaluated; the messages are kwctl's.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("Cannot open YAML file {path:?}: {reason}")]
    Open {
        path: String,
        reason: std::io::Error,
    },
    #[error("Cannot parse YAML file {path:?}: {reason}")]
    Yaml { path: String, reason: String },
    #[error("cannot extract ObjectReference: {0}")]
    ObjectReference(serde_norway::Error),
    #[error("invalid apiVersion {0:?}")]
    ApiVersion(Option<String>),
    #[error("unknown kind {0:?}, not a Kubewarden policy")]
    UnknownKind(Option<String>),
    /// kwctl evaluates groups; the runner does not (the project ships none).
    #[error("{0} is not supported by policy-runner: evaluate its members one by one")]
    Group(String),
    #[error("cannot parse value into {kind}: {reason}")]
    Parse {
        kind: &'static str,
        reason: serde_norway::Error,
    },
    #[error("CRD does not have spec, but it is required for {0}")]
    NoSpec(&'static str),
    #[error("Invalid settings in CRD, not an object")]
    Settings,
}

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
    /// `spec.message`: replaces the message of a rejection, which becomes a cause.
    pub message: Option<String>,
}

/// Whether a policy argument names a manifest rather than a module (kwctl: a `.yml` or `.yaml`
/// file).
pub fn is_manifest(uri: &str) -> bool {
    !uri.contains("://") && (uri.ends_with(".yaml") || uri.ends_with(".yml"))
}

/// The policies of a manifest file, in document order. Like kwctl, every document must be a
/// policy: an empty one (a trailing `---`, an empty file) has no apiVersion and is refused.
pub fn read(path: &Path) -> Result<Vec<ManifestPolicy>, ManifestError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|reason| ManifestError::Open {
        path: shown.clone(),
        reason,
    })?;
    let mut policies = Vec::new();
    for document in serde_norway::Deserializer::from_slice(&bytes) {
        let value =
            serde_norway::Value::deserialize(document).map_err(|e| ManifestError::Yaml {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        policies.push(policy(value)?);
    }
    Ok(policies)
}

fn policy(value: serde_norway::Value) -> Result<ManifestPolicy, ManifestError> {
    // kwctl reads apiVersion and kind first, as an ObjectReference (other fields ignored).
    let reference: k8s_openapi::api::core::v1::ObjectReference =
        serde_norway::from_value(value.clone()).map_err(ManifestError::ObjectReference)?;
    if reference.api_version.as_deref() != Some("policies.kubewarden.io/v1") {
        return Err(ManifestError::ApiVersion(reference.api_version));
    }
    match reference.kind.as_deref() {
        Some("ClusterAdmissionPolicy") => spec::cluster_admission_policy(value),
        Some("AdmissionPolicy") => spec::admission_policy(value),
        Some(group @ ("ClusterAdmissionPolicyGroup" | "AdmissionPolicyGroup")) => {
            Err(ManifestError::Group(group.to_string()))
        }
        _ => Err(ManifestError::UnknownKind(reference.kind)),
    }
}

impl ManifestPolicy {
    /// What policy-server answers for this policy: in monitor mode every request is accepted
    /// (no patch, no status); in protect mode a policy that is not `mutating` may not mutate;
    /// last, a rejection takes the custom message, its own becoming a cause.
    pub fn process(&self, response: AdmissionResponse) -> AdmissionResponse {
        let response = self.mutation_constraint(self.monitor_mode(response));
        self.custom_rejection_message(response)
    }

    fn monitor_mode(&self, response: AdmissionResponse) -> AdmissionResponse {
        if !self.monitor {
            return response;
        }
        AdmissionResponse {
            allowed: true,
            patch_type: None,
            patch: None,
            status: None,
            ..response
        }
    }

    fn mutation_constraint(&self, response: AdmissionResponse) -> AdmissionResponse {
        if self.monitor || self.mutating || response.patch.is_none() {
            return response;
        }
        AdmissionResponse {
            allowed: false,
            status: Some(AdmissionResponseStatus {
                message: Some(format!(
                    "Request rejected by policy {}. The policy attempted to mutate the request, but it is currently configured to not allow mutations.",
                    self.name
                )),
                ..Default::default()
            }),
            patch: None,
            patch_type: None,
            ..response
        }
    }

    fn custom_rejection_message(&self, response: AdmissionResponse) -> AdmissionResponse {
        let (false, Some(message)) = (response.allowed, &self.message) else {
            return response;
        };
        let status = response.status.clone().unwrap_or_default();
        let mut details = status.details.unwrap_or_default();
        details.causes.push(StatusCause {
            message: Some(status.message.unwrap_or_default()),
            ..Default::default()
        });
        AdmissionResponse {
            status: Some(AdmissionResponseStatus {
                message: Some(message.clone()),
                details: Some(details),
                code: status.code,
            }),
            ..response
        }
    }
}

#[cfg(test)]
mod tests;
