//! The `spec` of a ClusterAdmissionPolicy and of an AdmissionPolicy exactly as kwctl 1.35 parses
//! them (the Kubewarden policy SDK's CRD types, v0.17): the same fields in the same order, the
//! same types and `deny_unknown_fields`, so that the runner accepts and refuses the manifests
//! kwctl does, with serde's same message (`unknown field …, expected one of …` lists the fields
//! in this order). Fields the runner does not use are parsed all the same: kwctl refuses a
//! wrong type in any of them.

use k8s_openapi::api::admissionregistration::v1::{MatchCondition, RuleWithOperations};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde::Deserialize;

use super::{ManifestError, ManifestPolicy};

/// A Kubewarden resource: unknown top-level fields are ignored, as kwctl's types do.
#[derive(Deserialize)]
struct Resource<Spec> {
    #[serde(default)]
    metadata: ObjectMeta,
    spec: Option<Spec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum PolicyMode {
    Protect,
    Monitor,
}

#[derive(Deserialize)]
enum FailurePolicy {
    Fail,
    Ignore,
}

#[derive(Deserialize)]
enum MatchPolicy {
    Equivalent,
    Exact,
}

#[derive(Deserialize)]
enum SideEffects {
    None,
    NoneOnDryRun,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextAwareResource {
    #[allow(dead_code)] // checked, not used: the runner has no cluster to read from
    api_version: String,
    #[allow(dead_code)]
    kind: String,
}

fn empty_settings() -> RawExtension {
    RawExtension(serde_json::json!({}))
}

/// A policy spec as kwctl 1.35's parser (the SDK's types) knows it: the members every spec has,
/// then `$extra`, then `message`, in the SDK's order, so serde names the known fields in
/// kwctl's order when it refuses one.
macro_rules! policy_spec {
    ($(#[$doc:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$doc])*
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[allow(dead_code)] // fields the API server or policy-server use, parsed for kwctl's checks
        struct $name {
            background_audit: Option<bool>,
            failure_policy: Option<FailurePolicy>,
            match_conditions: Option<Vec<MatchCondition>>,
            match_policy: Option<MatchPolicy>,
            mode: Option<PolicyMode>,
            module: String,
            #[serde(default)]
            mutating: bool,
            object_selector: Option<LabelSelector>,
            #[serde(default)]
            policy_server: String,
            rules: Option<Vec<RuleWithOperations>>,
            #[serde(default = "empty_settings")]
            settings: RawExtension,
            side_effects: Option<SideEffects>,
            timeout_seconds: Option<i32>,
            timeout_eval_seconds: Option<i32>,
            $($extra)*
            message: Option<String>,
        }

        impl From<$name> for Used {
            fn from(spec: $name) -> Self {
                Used {
                    module: spec.module,
                    settings: spec.settings,
                    mode: spec.mode,
                    mutating: spec.mutating,
                    message: spec.message,
                }
            }
        }
    };
}

policy_spec!(
    /// `ClusterAdmissionPolicySpec`.
    ClusterSpec {
        namespace_selector: Option<LabelSelector>,
        #[serde(default)]
        context_aware_resources: Vec<ContextAwareResource>,
    }
);

policy_spec!(
    /// `AdmissionPolicySpec`: a ClusterAdmissionPolicy's but for `namespaceSelector` and
    /// `contextAwareResources`.
    NamespacedSpec {}
);

/// What the runner uses of either spec.
struct Used {
    module: String,
    settings: RawExtension,
    mode: Option<PolicyMode>,
    mutating: bool,
    message: Option<String>,
}

pub(super) fn cluster_admission_policy(
    value: serde_norway::Value,
) -> Result<ManifestPolicy, ManifestError> {
    let (metadata, spec) = resource::<ClusterSpec>(value, "ClusterAdmissionPolicy")?;
    manifest_policy(metadata, spec.into())
}

pub(super) fn admission_policy(
    value: serde_norway::Value,
) -> Result<ManifestPolicy, ManifestError> {
    let (metadata, spec) = resource::<NamespacedSpec>(value, "AdmissionPolicy")?;
    manifest_policy(metadata, spec.into())
}

fn resource<Spec: for<'de> Deserialize<'de>>(
    value: serde_norway::Value,
    kind: &'static str,
) -> Result<(ObjectMeta, Spec), ManifestError> {
    let resource: Resource<Spec> =
        serde_norway::from_value(value).map_err(|reason| ManifestError::Parse { kind, reason })?;
    let spec = resource.spec.ok_or(ManifestError::NoSpec(kind))?;
    Ok((resource.metadata, spec))
}

fn manifest_policy(metadata: ObjectMeta, used: Used) -> Result<ManifestPolicy, ManifestError> {
    let settings = match used.settings.0 {
        serde_json::Value::Null => serde_json::json!({}),
        settings @ serde_json::Value::Object(_) => settings,
        _ => return Err(ManifestError::Settings),
    };
    Ok(ManifestPolicy {
        name: metadata
            .name
            .unwrap_or_else(|| "crd-without-name".to_string()),
        module: used.module,
        settings,
        monitor: matches!(used.mode, Some(PolicyMode::Monitor)),
        mutating: used.mutating,
        message: used.message,
    })
}
