//! The admission request as kwctl builds it before it reaches a policy.

use anyhow::{anyhow, Result};
use k8s_openapi::api::authentication::v1::UserInfo;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde::{Deserialize, Serialize};

/// admission.k8s.io/v1 AdmissionRequest, with kwctl's field order and skipping rules:
/// required fields must be present, optional fields absent or `null` are left out.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub operation: String,
    pub user_info: UserInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<RawExtension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_object: Option<RawExtension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<RawExtension>,
}

/// Group, version and kind of the object under admission.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

/// Group, version and resource of the object under admission.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupVersionResource {
    pub group: String,
    pub version: String,
    pub resource: String,
}

/// Accepts a bare AdmissionRequest or an AdmissionReview wrapping one, like `kwctl run`.
pub fn build_admission_request(input: serde_json::Value) -> Result<AdmissionRequest> {
    let object = input
        .as_object()
        .ok_or_else(|| anyhow!("Invalid request object"))?;
    let request =
        if object.get("kind").and_then(serde_json::Value::as_str) == Some("AdmissionReview") {
            object
                .get("request")
                .cloned()
                .ok_or_else(|| anyhow!("invalid AdmissionReview object"))?
        } else {
            input
        };
    serde_json::from_value(request)
        .map_err(|e| anyhow!("cannot build AdmissionRequest object from given input: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn minimal() -> serde_json::Value {
        json!({
            "uid": "1", "operation": "CREATE",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "userInfo": {"username": "alice"},
        })
    }

    #[rstest]
    #[case::uid("uid")]
    #[case::kind("kind")]
    #[case::resource("resource")]
    #[case::operation("operation")]
    #[case::user_info("userInfo")]
    fn required_field_missing(#[case] field: &str) {
        let mut request = minimal();
        request.as_object_mut().unwrap().remove(field);
        let error = build_admission_request(request).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "cannot build AdmissionRequest object from given input: missing field"
            ),
            "{error}"
        );
        assert!(error.contains(field), "{error}");
    }

    #[test]
    fn null_optional_fields_are_left_out() {
        let mut request = minimal();
        request["oldObject"] = serde_json::Value::Null;
        request["dryRun"] = serde_json::Value::Null;
        let built = serde_json::to_value(build_admission_request(request).unwrap()).unwrap();
        assert!(built.get("oldObject").is_none());
        assert!(built.get("dryRun").is_none());
        assert!(built.get("object").is_none());
    }

    #[test]
    fn admission_review_is_unwrapped() {
        let review = json!({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": minimal()});
        assert_eq!(build_admission_request(review).unwrap().uid, "1");
    }

    #[test]
    fn admission_review_without_request() {
        let review = json!({"kind": "AdmissionReview"});
        assert_eq!(
            build_admission_request(review).unwrap_err().to_string(),
            "invalid AdmissionReview object"
        );
    }
}
