//! Kubewarden policy: no workload may mount a host path that reaches `/var/run/antrea` (Antrea's
//! OVS database with the IPsec pre-shared key, CNI socket, API token), except Antrea's own agent.
//!
//! The waPC glue is kept thin: [`evaluate`] is a pure function of the validate payload.

pub mod error;
pub mod paths;
pub mod settings;

use std::borrow::Cow;

use k8s_openapi::api::core::v1::{HostPathVolumeSource, LocalVolumeSource};
use kubewarden_policy_sdk::{accept_request, protocol_version_guest, reject_request};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use wapc_guest::prelude::*;

use crate::error::{Rejection, Violation};
use crate::settings::{Rules, Settings};

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

/// Like the SDK's `validate_settings`, but a settings document that does not deserialise (an
/// unknown key, a wrong type) is reported as invalid settings instead of a guest error.
fn validate_settings(payload: &[u8]) -> CallResult {
    use kubewarden_policy_sdk::settings::{SettingsValidationResponse, Validatable};
    let message = match serde_json::from_slice::<Settings>(payload) {
        Ok(settings) => settings.validate().err(),
        Err(e) => Some(format!("invalid settings: {e}")),
    };
    Ok(serde_json::to_vec(&SettingsValidationResponse {
        valid: message.is_none(),
        message,
    })?)
}

fn validate(payload: &[u8]) -> CallResult {
    match evaluate(payload) {
        Ok(()) => accept_request(),
        Err(rejection) => reject_request(Some(rejection.to_string()), None, None, None),
    }
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    request: Request<'a>,
    #[serde(default)]
    settings: Settings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(borrow)]
    kind: GroupVersionKind<'a>,
    #[serde(borrow)]
    operation: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    old_object: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct GroupVersionKind<'a> {
    #[serde(borrow)]
    group: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
}

/// What the verdict reads of a pod spec: its volumes and its ServiceAccount, nothing else.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PodSpecView {
    #[serde(default)]
    volumes: Option<Vec<VolumeView>>,
    #[serde(default)]
    service_account_name: Option<String>,
    #[serde(default)]
    service_account: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeView {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    host_path: Option<HostPathVolumeSource>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    namespace: Option<String>,
}

/// Any object level with `metadata` and `spec` (a Pod, a workload, a pod template).
#[derive(Deserialize)]
struct Object<T> {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default = "none")]
    spec: Option<T>,
}

#[derive(Deserialize)]
struct WithTemplate<T> {
    #[serde(default = "none")]
    template: Option<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WithJobTemplate<T> {
    #[serde(default = "none")]
    job_template: Option<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistentVolumeSpecView {
    #[serde(default)]
    host_path: Option<HostPathVolumeSource>,
    #[serde(default)]
    local: Option<LocalVolumeSource>,
}

fn none<T>() -> Option<T> {
    None
}

type PodTemplate = Object<PodSpecView>;
type Workload = Object<WithTemplate<PodTemplate>>;
type CronJob = Object<WithJobTemplate<Object<WithTemplate<PodTemplate>>>>;

/// How an object kind holds its pod spec.
#[derive(Clone, Copy)]
enum Shape {
    Pod,
    Workload,
    CronJob,
    PersistentVolume,
}

fn shape(group: &str, kind: &str) -> Option<Shape> {
    match (group, kind) {
        ("", "Pod") => Some(Shape::Pod),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("batch", "Job")
        | ("", "ReplicationController") => Some(Shape::Workload),
        ("batch", "CronJob") => Some(Shape::CronJob),
        ("", "PersistentVolume") => Some(Shape::PersistentVolume),
        _ => None,
    }
}

fn parse<T: DeserializeOwned>(raw: &RawValue) -> Result<T, String> {
    serde_json::from_str(raw.get()).map_err(|e| e.to_string())
}

/// The host paths of one object that reach a protected path.
fn violations(
    shape: Shape,
    raw: &RawValue,
    namespace: Option<&str>,
    rules: &Rules,
) -> Result<Vec<Violation>, String> {
    let (spec, object_namespace, prefix) = match shape {
        Shape::PersistentVolume => {
            if !rules.check_persistent_volumes {
                return Ok(Vec::new());
            }
            let pv: Object<PersistentVolumeSpecView> = parse(raw)?;
            let spec = pv.spec.unwrap_or(PersistentVolumeSpecView {
                host_path: None,
                local: None,
            });
            let candidates = [
                ("spec.hostPath.path", spec.host_path.map(|h| h.path)),
                ("spec.local.path", spec.local.map(|l| l.path)),
            ];
            return Ok(candidates
                .into_iter()
                .filter_map(|(location, path)| {
                    let path = path?;
                    let reaches = rules.reached_by(&path)?.to_string();
                    Some(Violation {
                        location: location.to_string(),
                        host_path: path,
                        reaches,
                    })
                })
                .collect());
        }
        Shape::Pod => {
            let pod: PodTemplate = parse(raw)?;
            (
                pod.spec,
                pod.metadata.and_then(|m| m.namespace),
                "spec.volumes",
            )
        }
        Shape::Workload => {
            let workload: Workload = parse(raw)?;
            let spec = workload.spec.and_then(|s| s.template).and_then(|t| t.spec);
            (
                spec,
                workload.metadata.and_then(|m| m.namespace),
                "spec.template.spec.volumes",
            )
        }
        Shape::CronJob => {
            let cron_job: CronJob = parse(raw)?;
            let spec = cron_job
                .spec
                .and_then(|s| s.job_template)
                .and_then(|j| j.spec)
                .and_then(|s| s.template)
                .and_then(|t| t.spec);
            (
                spec,
                cron_job.metadata.and_then(|m| m.namespace),
                "spec.jobTemplate.spec.template.spec.volumes",
            )
        }
    };
    let spec = spec.unwrap_or_default();
    let namespace = namespace
        .filter(|ns| !ns.is_empty())
        .map(str::to_string)
        .or(object_namespace)
        .unwrap_or_else(|| "default".to_string());
    let service_account = [&spec.service_account_name, &spec.service_account]
        .into_iter()
        .flatten()
        .find(|sa| !sa.is_empty())
        .map(String::as_str)
        .unwrap_or("default");
    if rules.exempt(&namespace, service_account) {
        return Ok(Vec::new());
    }
    Ok(spec
        .volumes
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter_map(|(index, volume)| {
            let path = volume.host_path?.path;
            let reaches = rules.reached_by(&path)?.to_string();
            let name = serde_json::Value::from(volume.name.unwrap_or_default());
            Some(Violation {
                location: format!("{prefix}[{index}] {name} hostPath"),
                host_path: path,
                reaches,
            })
        })
        .collect())
}

/// Decides a validate payload: `Ok(())` accepts, `Err` says why the request is rejected.
pub fn evaluate(payload: &[u8]) -> Result<(), Rejection> {
    let payload: Payload =
        serde_json::from_slice(payload).map_err(|e| Rejection::InvalidPayload(e.to_string()))?;
    let request = payload.request;
    let Some(shape) = shape(&request.kind.group, &request.kind.kind) else {
        return Ok(());
    };
    if !matches!(request.operation.as_ref(), "CREATE" | "UPDATE") {
        return Ok(());
    }
    let kind = request.kind.kind.to_string();
    let namespace = request.namespace.as_deref();
    let name = match (namespace, request.name.as_deref()) {
        (Some(ns), Some(name)) if !ns.is_empty() => format!("{ns}/{name}"),
        (Some(ns), None) if !ns.is_empty() => format!("{ns}/(unnamed)"),
        (_, Some(name)) if !name.is_empty() => name.to_string(),
        _ => "(unnamed)".to_string(),
    };
    let object = request.object.ok_or_else(|| Rejection::MissingObject {
        kind: kind.clone(),
        name: name.clone(),
    })?;
    let rules = Rules::from(payload.settings);
    let mut found = violations(shape, object, namespace, &rules).map_err(|reason| {
        Rejection::MalformedObject {
            kind: kind.clone(),
            name: name.clone(),
            reason,
        }
    })?;
    if found.is_empty() {
        return Ok(());
    }
    if request.operation == "UPDATE" {
        // A violation the stored object already had is not new: Pods admitted before the
        // policy must still be able to drop finalizers and terminate.
        if let Some(Ok(existing)) = request
            .old_object
            .map(|old| violations(shape, old, namespace, &rules))
        {
            found.retain(|v| {
                !existing.iter().any(|e| {
                    paths::NormalPath::new(&e.host_path) == paths::NormalPath::new(&v.host_path)
                })
            });
        }
        if found.is_empty() {
            return Ok(());
        }
    }
    Err(Rejection::ReachesProtectedPath {
        kind,
        name,
        violations: found,
    })
}

#[cfg(test)]
mod tests;
