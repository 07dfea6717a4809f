//! The AdmissionResponse that `kwctl run` prints, built from a policy's ValidationResponse.

use anyhow::{anyhow, Result};
use base64::{engine::general_purpose, Engine as _};
use kubewarden_policy_sdk::response::ValidationResponse;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// admission/v1 AdmissionResponse with policy-evaluator's field order and skipping rules.
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq, Clone)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AdmissionResponseStatus>,
    pub audit_annotations: Option<HashMap<String, String>>,
    pub warnings: Option<Vec<String>>,
}

/// Why a request was denied.
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq, Clone)]
pub struct AdmissionResponseStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Only set by a manifest's custom rejection message (`spec.message`), which keeps the
    /// policy's own message as a cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

/// A status's details: only `causes` is ever written (policy-evaluator's other fields stay
/// unset and are left out).
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq, Clone)]
pub struct StatusDetails {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
}

/// One cause; policy-evaluator writes all three fields, `null` included.
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq, Clone)]
pub struct StatusCause {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub field: Option<String>,
}

impl AdmissionResponse {
    /// The response policy-server gives when the policy itself failed.
    pub fn internal_server_error(uid: String, message: String) -> Self {
        AdmissionResponse {
            uid,
            allowed: false,
            status: Some(AdmissionResponseStatus {
                message: Some(format!("internal server error: {message}")),
                code: Some(500),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Turns the guest's answer into what the API server would receive; mutations become a
    /// base64 JSON Patch against the request's `object`.
    pub fn from_validation_response(
        uid: String,
        request_object: Option<&serde_json::Value>,
        response: ValidationResponse,
    ) -> Result<Self> {
        let patch = match (response.mutated_object, request_object) {
            (Some(_), None) => {
                return Ok(AdmissionResponse {
                    uid,
                    allowed: false,
                    status: Some(AdmissionResponseStatus {
                        message: Some("Incoming object is null, which happens only with DELETE operations, but the policy is attempting a mutation. This is not allowed".to_string()),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            (Some(mutated), Some(original)) => {
                let diff = json_patch::diff(original, &mutated);
                if diff.0.is_empty() {
                    None
                } else {
                    let text = serde_json::to_string(&diff)
                        .map_err(|e| anyhow!("cannot serialize JSONPatch: {e:?}"))?;
                    Some(general_purpose::STANDARD.encode(text))
                }
            }
            (None, _) => None,
        };
        let status = (response.message.is_some() || response.code.is_some()).then_some(
            AdmissionResponseStatus {
                message: response.message,
                code: response.code,
                ..Default::default()
            },
        );
        Ok(AdmissionResponse {
            uid,
            allowed: response.accepted,
            patch_type: patch.as_ref().map(|_| "JSONPatch".to_string()),
            patch,
            status,
            audit_annotations: response.audit_annotations,
            warnings: response.warnings,
        })
    }
}
