//! Finding the host paths of one object that reach a protected path.
//!
//! The pod spec is read up to its `volumes` (its first member as the API server serialises it)
//! and, only when a hostPath volume could be exempt, on to its ServiceAccount; containers,
//! status and the rest are never read.

use std::borrow::Cow;

use json_scan::{Raw, ValueAt};
use k8s_openapi::api::core::v1::{HostPathVolumeSource, LocalVolumeSource};
use policy_glue::request::NotAString;
use policy_glue::workload::{namespace_of, service_account, PodSpecAt};
use policy_glue::{string, LazySettings, RequestError};

use crate::error::Violation;
use crate::settings::Rules;
use crate::shape::Shape;

/// The rules, built from the request's settings when a host path must be judged: most
/// workloads have no hostPath volume and never pay for them.
pub type LazyRules<'a> = LazySettings<'a, Rules>;

/// Why an object's host paths cannot be judged.
#[derive(Debug)]
pub enum Unreadable {
    /// A field the policy reads has the wrong type or shape.
    Object(String),
    /// The request's settings do not parse.
    Settings(RequestError),
}

impl From<String> for Unreadable {
    fn from(reason: String) -> Self {
        Unreadable::Object(reason)
    }
}

impl From<NotAString> for Unreadable {
    fn from(error: NotAString) -> Self {
        Unreadable::Object(error.to_string())
    }
}

impl From<RequestError> for Unreadable {
    fn from(error: RequestError) -> Self {
        Unreadable::Settings(error)
    }
}

fn field_error(path: &str, error: impl std::fmt::Display) -> String {
    format!("{path}: {error}")
}

/// The host paths of `object`, of the given shape, that reach a protected path.
pub fn violations(
    shape: Shape,
    object: ValueAt<'_>,
    namespace: Option<&str>,
    rules: &mut LazyRules<'_>,
) -> Result<Vec<Violation>, Unreadable> {
    match shape {
        Shape::PersistentVolume => persistent_volume(object, rules),
        Shape::Pods(at) => pod_spec(at, object, namespace, rules),
    }
}

/// A PersistentVolume's `spec.hostPath.path` and `spec.local.path`.
fn persistent_volume(
    object: ValueAt<'_>,
    rules: &mut LazyRules<'_>,
) -> Result<Vec<Violation>, Unreadable> {
    let Some([host_path, local]) = object
        .pick_path(&["spec"], ["hostPath", "local"])
        .map_err(|e| field_error("spec", e))?
    else {
        return Ok(Vec::new());
    };
    if host_path.is_none() && local.is_none() {
        return Ok(Vec::new());
    }
    let rules = rules.get()?;
    if !rules.check_persistent_volumes {
        return Ok(Vec::new());
    }
    let host_path: Option<HostPathVolumeSource> = host_path
        .map(|raw| raw.parse())
        .transpose()
        .map_err(|e| field_error("spec.hostPath", e))?;
    let local: Option<LocalVolumeSource> = local
        .map(|raw| raw.parse())
        .transpose()
        .map_err(|e| field_error("spec.local", e))?;
    let candidates = [
        ("spec.hostPath.path", host_path.map(|h| h.path)),
        ("spec.local.path", local.map(|l| l.path)),
    ];
    Ok(candidates
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
        .collect())
}

/// What the pod-spec walk collected.
#[derive(Default)]
struct PodSpec<'a> {
    service_account_name: Option<Raw<'a>>,
    service_account: Option<Raw<'a>>,
    /// The hostPath volumes: index, name, source.
    host_paths: Vec<(usize, Option<Raw<'a>>, Raw<'a>)>,
    /// Set once the ServiceAccount can matter: the namespace, and whether an exemption names it.
    namespace: Option<(Cow<'a, str>, bool)>,
}

/// The hostPath volumes of a pod spec (of a Pod or a template), unless the workload is exempt.
fn pod_spec<'a>(
    at: PodSpecAt,
    object: ValueAt<'a>,
    namespace: Option<&'a str>,
    rules: &mut LazyRules<'_>,
) -> Result<Vec<Violation>, Unreadable> {
    let spec_name = at.name();
    let Some(spec) = object
        .follow(at.path())
        .map_err(|e| field_error(spec_name, e))?
    else {
        return Ok(Vec::new());
    };
    let Some(found) = walk_pod_spec(spec_name, spec, object, namespace, rules)? else {
        return Ok(Vec::new());
    };
    let Some((namespace, exemptable)) = &found.namespace else {
        return Ok(Vec::new());
    };
    let rules = rules.get()?;
    if *exemptable {
        // The walk keeps `null` members, to find them twice.
        let service_account = service_account(
            spec_name,
            found.service_account_name.filter(|raw| !raw.is_null()),
            found.service_account.filter(|raw| !raw.is_null()),
        )?;
        if rules.exempt(namespace, &service_account) {
            return Ok(Vec::new());
        }
    }
    let mut violations = Vec::new();
    for (index, name, host_path) in found.host_paths {
        let path = host_path_of(host_path)
            .map_err(|e| field_error(&format!("{spec_name}.volumes[{index}].hostPath"), e))?;
        if let Some(reaches) = rules.reached_by(&path) {
            let name = name.and_then(|raw| raw.as_str()).unwrap_or_default();
            violations.push(Violation {
                location: format!(
                    "{spec_name}.volumes[{index}] {} hostPath",
                    serde_json::Value::from(name.as_ref())
                ),
                reaches: reaches.to_string(),
                host_path: path.into_owned(),
            });
        }
    }
    Ok(violations)
}

/// Walks a pod spec's members for its volumes and ServiceAccount. `None` when nothing can
/// violate: no hostPath volume, or a workload exempt by its `serviceAccountName` before its
/// volumes were read.
fn walk_pod_spec<'a>(
    spec_name: &str,
    spec: ValueAt<'a>,
    object: ValueAt<'a>,
    namespace: Option<&'a str>,
    rules: &mut LazyRules<'_>,
) -> Result<Option<PodSpec<'a>>, Unreadable> {
    let mut members = spec.members().map_err(|e| field_error(spec_name, e))?;
    let mut found = PodSpec::default();
    let mut volumes_seen = false;
    while let Some((name, start)) = members.next_key().map_err(|e| field_error(spec_name, e))? {
        let value = members
            .value(start)
            .map_err(|e| field_error(spec_name, e))?;
        let slot = match name.as_ref() {
            "serviceAccountName" => &mut found.service_account_name,
            "serviceAccount" => &mut found.service_account,
            "volumes" => {
                if std::mem::replace(&mut volumes_seen, true) {
                    return Err(field_error(spec_name, "duplicate field `volumes`").into());
                }
                if value.is_null() {
                    continue;
                }
                // Sorted by name, the pod spec has its ServiceAccount before its volumes: an
                // exempt workload's volumes are not even read. (`serviceAccountName` decides
                // alone when set; the deprecated `serviceAccount` may still follow.)
                let named = string(
                    found.service_account_name.filter(|raw| !raw.is_null()),
                    format_args!("{spec_name}.serviceAccountName"),
                )?;
                if let Some(service_account) = named.filter(|sa| !sa.is_empty()) {
                    if rules
                        .get()?
                        .exempt(&namespace_of(namespace, object), &service_account)
                    {
                        return Ok(None);
                    }
                }
                found.host_paths = host_path_volumes(spec_name, value)?;
                if found.host_paths.is_empty() {
                    return Ok(None);
                }
                let namespace = namespace_of(namespace, object);
                let exemptable = rules.get()?.exempts_namespace(&namespace);
                found.namespace = Some((namespace, exemptable));
                if !exemptable {
                    break;
                }
                continue;
            }
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(field_error(spec_name, format!("duplicate field `{name}`")).into());
        }
    }
    Ok(Some(found))
}

/// The volumes with a `hostPath` source: index, name and source.
fn host_path_volumes<'a>(
    spec_name: &str,
    volumes: Raw<'a>,
) -> Result<Vec<(usize, Option<Raw<'a>>, Raw<'a>)>, String> {
    let elements = volumes.elements().map_err(|_| {
        field_error(
            &format!("{spec_name}.volumes"),
            "expected a list of volumes",
        )
    })?;
    let mut host_paths = Vec::new();
    for (index, volume) in elements.into_iter().enumerate() {
        let [name, host_path] = volume
            .pick(["name", "hostPath"])
            .map_err(|e| field_error(&format!("{spec_name}.volumes[{index}]"), e))?;
        if let Some(host_path) = host_path {
            host_paths.push((index, name, host_path));
        }
    }
    Ok(host_paths)
}

/// The path of a `hostPath` volume source, read without building the k8s-openapi type unless
/// it is malformed, which the type's deserialiser then explains.
fn host_path_of(host_path: Raw<'_>) -> Result<Cow<'_, str>, json_scan::ParseError> {
    if let Ok([Some(path), kind]) = host_path.pick(["path", "type"]) {
        if let (Some(path), true) = (path.as_str(), kind.is_none_or(|k| k.as_str().is_some())) {
            return Ok(path);
        }
    }
    host_path
        .parse::<HostPathVolumeSource>()
        .map(|source| Cow::Owned(source.path))
}
