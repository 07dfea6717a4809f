//! Kubewarden policy: no workload may mount a host path that reaches `/var/run/antrea` (Antrea's
//! OVS database with the IPsec pre-shared key, CNI socket, API token), except Antrea's own agent.
//!
//! The waPC glue is kept thin: [`evaluate`] is a pure function of the validate payload.

pub mod error;
pub mod paths;
pub mod settings;

use json_scan::{Members, Raw, ValueAt};
use k8s_openapi::api::core::v1::{HostPathVolumeSource, LocalVolumeSource};
use kubewarden_policy_sdk::{accept_request, protocol_version_guest, reject_request};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
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
pub fn validate_settings(payload: &[u8]) -> CallResult {
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

/// `accept_request()`'s answer, serialised once: most requests get it, and serialising it is a
/// tenth of the cost of deciding them.
fn accepted() -> CallResult {
    static ACCEPTED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    if let Some(response) = ACCEPTED.get() {
        return Ok(response.clone());
    }
    let response = accept_request()?;
    Ok(ACCEPTED.get_or_init(|| response).clone())
}

fn validate(payload: &[u8]) -> CallResult {
    match evaluate(payload) {
        Ok(()) => accepted(),
        Err(rejection) => reject_request(Some(rejection.to_string()), None, None, None),
    }
}

/// How an object kind holds its pod spec.
#[derive(Clone, Copy)]
enum Shape {
    Pod,
    Workload,
    CronJob,
    PersistentVolume,
}

impl Shape {
    fn of(group: &str, kind: &str) -> Option<Shape> {
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

    /// The pod spec's path as messages spell it.
    fn pod_spec_name(self) -> &'static str {
        match self {
            Shape::Pod | Shape::PersistentVolume => "spec",
            Shape::Workload => "spec.template.spec",
            Shape::CronJob => "spec.jobTemplate.spec.template.spec",
        }
    }

    /// Where the pod spec sits in the object.
    fn pod_spec_path(self) -> &'static [&'static str] {
        match self {
            Shape::Pod => &["spec"],
            Shape::Workload => &["spec", "template", "spec"],
            Shape::CronJob => &["spec", "jobTemplate", "spec", "template", "spec"],
            Shape::PersistentVolume => &["spec"],
        }
    }
}

fn field_error(path: &str, error: impl std::fmt::Display) -> String {
    format!("{path}: {error}")
}

thread_local! {
    /// The rules built from the last settings seen, with those settings' bytes. policy-server
    /// sends the same settings with every request to a policy, so the rules are built once.
    static RULES: RefCell<Option<(Vec<u8>, Rc<Rules>)>> = const { RefCell::new(None) };
}

/// Settings and the rules derived from them, built only when a host path must be judged:
/// most workloads have no hostPath volume and never pay for it.
struct LazyRules<'a> {
    settings: Option<Raw<'a>>,
    rules: Option<Rc<Rules>>,
}

impl LazyRules<'_> {
    fn get(&mut self) -> Result<Rc<Rules>, String> {
        if let Some(rules) = &self.rules {
            return Ok(rules.clone());
        }
        let key = self.settings.map(|raw| raw.bytes()).unwrap_or_default();
        let cached = RULES.with_borrow(|cache| {
            cache
                .as_ref()
                .filter(|(bytes, _)| bytes.as_slice() == key)
                .map(|(_, rules)| rules.clone())
        });
        let rules = match cached {
            Some(rules) => rules,
            None => {
                let settings: Settings = match self.settings {
                    Some(raw) => raw.parse().map_err(|e| format!("invalid settings: {e}"))?,
                    None => Settings::default(),
                };
                let rules = Rc::new(Rules::from(settings));
                RULES.with_borrow_mut(|cache| *cache = Some((key.to_vec(), rules.clone())));
                rules
            }
        };
        self.rules = Some(rules.clone());
        Ok(rules)
    }
}

/// A string member; `field` names it in the error (formatted only then).
fn string<'a>(
    raw: Option<Raw<'a>>,
    field: impl std::fmt::Display,
) -> Result<Option<Cow<'a, str>>, String> {
    raw.map(|raw| {
        raw.as_str()
            .ok_or_else(|| format!("{field}: expected a string"))
    })
    .transpose()
}

/// The host paths of one object that reach a protected path. The pod spec is read up to its
/// `volumes` (its first member as the API server serialises it) and, only when a hostPath
/// volume could be exempt, on to its ServiceAccount; containers, status and the rest are never
/// read.
fn violations(
    shape: Shape,
    object: ValueAt<'_>,
    namespace: Option<&str>,
    rules: &mut LazyRules<'_>,
) -> Result<Vec<Violation>, String> {
    let spec_path = shape.pod_spec_path();
    let spec_name = shape.pod_spec_name();
    if let Shape::PersistentVolume = shape {
        let Some([host_path, local]) = object
            .pick_path(spec_path, ["hostPath", "local"])
            .map_err(|e| field_error(spec_name, e))?
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
    let Some(spec) = object
        .follow(spec_path)
        .map_err(|e| field_error(spec_name, e))?
    else {
        return Ok(Vec::new());
    };
    let mut members = spec.members().map_err(|e| field_error(spec_name, e))?;
    let volumes_name = || format!("{spec_name}.volumes");
    let (mut volumes_seen, mut service_account_name, mut service_account) = (false, None, None);
    let mut host_paths: Vec<(usize, Option<Raw<'_>>, Raw<'_>)> = Vec::new();
    // Some once the ServiceAccount can matter: only then is the rest of the spec read.
    let mut namespace_exempt: Option<(Cow<'_, str>, bool)> = None;
    while let Some((name, start)) = members.next_key().map_err(|e| field_error(spec_name, e))? {
        let value = members
            .value(start)
            .map_err(|e| field_error(spec_name, e))?;
        let slot = match name.as_ref() {
            "serviceAccountName" => &mut service_account_name,
            "serviceAccount" => &mut service_account,
            "volumes" => {
                if std::mem::replace(&mut volumes_seen, true) {
                    return Err(field_error(spec_name, "duplicate field `volumes`"));
                }
                if value.is_null() {
                    continue;
                }
                // Sorted by name, the pod spec has its ServiceAccount before its volumes: an
                // exempt workload's volumes are not even read. (`serviceAccountName` decides
                // alone when set; the deprecated `serviceAccount` may still follow.)
                let named = string(
                    service_account_name.filter(|raw: &Raw<'_>| !raw.is_null()),
                    format_args!("{spec_name}.serviceAccountName"),
                )?;
                if let Some(service_account) = named.filter(|sa| !sa.is_empty()) {
                    let namespace = namespace_of(object, namespace);
                    if rules.get()?.exempt(&namespace, &service_account) {
                        return Ok(Vec::new());
                    }
                }
                let elements = value
                    .elements()
                    .map_err(|_| field_error(&volumes_name(), "expected a list of volumes"))?;
                for (index, volume) in elements.into_iter().enumerate() {
                    let [name, host_path] = volume
                        .pick(["name", "hostPath"])
                        .map_err(|e| field_error(&format!("{}[{index}]", volumes_name()), e))?;
                    if let Some(host_path) = host_path {
                        host_paths.push((index, name, host_path));
                    }
                }
                if host_paths.is_empty() {
                    return Ok(Vec::new());
                }
                let namespace = namespace_of(object, namespace);
                let exemptable = rules.get()?.exempts_namespace(&namespace);
                namespace_exempt = Some((namespace, exemptable));
                if !exemptable {
                    break;
                }
                continue;
            }
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(field_error(spec_name, format!("duplicate field `{name}`")));
        }
    }
    let Some((namespace, exemptable)) = namespace_exempt else {
        return Ok(Vec::new());
    };
    let rules = rules.get()?;
    if exemptable {
        let service_account = [
            string(
                service_account_name.filter(|raw| !raw.is_null()),
                format_args!("{spec_name}.serviceAccountName"),
            )?,
            string(
                service_account.filter(|raw| !raw.is_null()),
                format_args!("{spec_name}.serviceAccount"),
            )?,
        ]
        .into_iter()
        .flatten()
        .find(|sa| !sa.is_empty())
        .unwrap_or(Cow::Borrowed("default"));
        if rules.exempt(&namespace, &service_account) {
            return Ok(Vec::new());
        }
    }
    let mut found = Vec::new();
    for (index, name, host_path) in host_paths {
        let path = host_path_of(host_path)
            .map_err(|e| field_error(&format!("{}[{index}].hostPath", volumes_name()), e))?;
        if let Some(reaches) = rules.reached_by(&path) {
            let name = name.and_then(|raw| raw.as_str()).unwrap_or_default();
            found.push(Violation {
                location: format!(
                    "{}[{index}] {} hostPath",
                    volumes_name(),
                    serde_json::Value::from(name.as_ref())
                ),
                reaches: reaches.to_string(),
                host_path: path.into_owned(),
            });
        }
    }
    Ok(found)
}

/// The namespace of a workload: the request's, else its metadata's, else `default`.
fn namespace_of<'a>(object: ValueAt<'a>, namespace: Option<&'a str>) -> Cow<'a, str> {
    match namespace.filter(|ns| !ns.is_empty()) {
        Some(namespace) => Cow::Borrowed(namespace),
        None => object
            .follow(&["metadata", "namespace"])
            .ok()
            .flatten()
            .and_then(|value| value.raw().ok())
            .and_then(|raw| raw.as_str())
            .unwrap_or(Cow::Borrowed("default")),
    }
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

fn invalid(error: impl std::fmt::Display) -> Rejection {
    Rejection::InvalidPayload(error.to_string())
}

/// The parts of a validate payload the verdict needs. The request's members are read from its
/// start up to `object` (`kind`, `name` and `namespace` come before it in both of
/// policy-server's orders) and the settings from the payload's end. `oldObject` and
/// `operation` (after the objects when policy-server sorts the members) are read on past
/// `object` only when an object has a violation to judge. Payloads of another shape are read in
/// one pass.
struct Request<'a> {
    kind: Option<Raw<'a>>,
    name: Option<Raw<'a>>,
    namespace: Option<Raw<'a>>,
    object: Option<ValueAt<'a>>,
    old_object: Option<Raw<'a>>,
    operation: Option<Raw<'a>>,
    settings: Option<Raw<'a>>,
    /// The request's members not read yet, if any.
    rest: Rest<'a>,
}

/// Where the members not read yet are.
#[derive(Clone)]
enum Rest<'a> {
    None,
    /// After `object`, whose value starts at the position given.
    AfterObject(Members<'a>, usize),
}

impl<'a> Request<'a> {
    fn read(payload: &'a [u8]) -> Result<Self, Rejection> {
        let Some(validate) = json_scan::ValidatePayload::read(payload).map_err(invalid)? else {
            return Self::read_in_one_pass(payload);
        };
        let header = validate
            .leading(["kind", "name", "namespace", "operation"])
            .map_err(invalid)?;
        let [kind, name, namespace, operation] = header.members;
        let mut request = Request {
            kind,
            name,
            namespace,
            object: None,
            old_object: None,
            operation,
            settings: validate.settings,
            rest: Rest::None,
        };
        let mut members = header.objects;
        while let Some((member, start)) = members.next_key().map_err(invalid)? {
            match member.as_ref() {
                "object" if request.object.is_none() => {
                    let object = members.value_at(start);
                    if !object.is_null() {
                        request.object = Some(object);
                    }
                    request.rest = Rest::AfterObject(members, start);
                    return Ok(request);
                }
                "oldObject" if request.old_object.is_none() => {
                    request.old_object = Some(members.value(start).map_err(invalid)?);
                }
                "operation" if request.operation.is_none() => {
                    request.operation = Some(members.value(start).map_err(invalid)?);
                }
                "object" | "oldObject" | "operation" => {
                    return Err(invalid(format!("duplicate field `{member}`")));
                }
                _ => {
                    members.value(start).map_err(invalid)?;
                }
            }
        }
        request.old_object = request.old_object.filter(|raw| !raw.is_null());
        Ok(request)
    }

    /// Reads the members after `object`, for `oldObject` and `operation`.
    fn read_rest(&mut self) -> Result<(), Rejection> {
        let Rest::AfterObject(mut members, object_start) =
            std::mem::replace(&mut self.rest, Rest::None)
        else {
            return Ok(());
        };
        members.value(object_start).map_err(invalid)?;
        while let Some((member, start)) = members.next_key().map_err(invalid)? {
            let value = members.value(start).map_err(invalid)?;
            let slot = match member.as_ref() {
                "oldObject" => &mut self.old_object,
                "operation" => &mut self.operation,
                "object" => return Err(invalid("duplicate field `object`")),
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(invalid(format!("duplicate field `{member}`")));
            }
        }
        self.old_object = self.old_object.filter(|raw| !raw.is_null());
        Ok(())
    }

    /// `operation`, read past `object` when it was not before it.
    fn operation(&mut self) -> Result<Cow<'a, str>, Rejection> {
        if self.operation.is_none() {
            self.read_rest()?;
        }
        string(self.operation, "operation")
            .map_err(invalid)?
            .ok_or_else(|| invalid("missing field `operation`"))
    }

    /// `oldObject`, read past `object` when it was not before it.
    fn old_object(&mut self) -> Result<Option<Raw<'a>>, Rejection> {
        self.read_rest()?;
        Ok(self.old_object)
    }

    fn read_in_one_pass(payload: &'a [u8]) -> Result<Self, Rejection> {
        let ([kind, operation, name, namespace, object, old_object], settings) =
            json_scan::validate_payload(
                payload,
                [
                    "kind",
                    "operation",
                    "name",
                    "namespace",
                    "object",
                    "oldObject",
                ],
            )
            .map_err(invalid)?;
        Ok(Request {
            kind,
            name,
            namespace,
            object: object.map(|raw| raw.value_at()),
            old_object,
            operation,
            settings,
            rest: Rest::None,
        })
    }
}

/// Decides a validate payload: `Ok(())` accepts, `Err` says why the request is rejected.
pub fn evaluate(payload: &[u8]) -> Result<(), Rejection> {
    let mut request = Request::read(payload)?;
    let [group, kind] = request
        .kind
        .ok_or_else(|| invalid("missing field `kind`"))?
        .pick(["group", "kind"])
        .map_err(|e| invalid(format!("kind: {e}")))?;
    let group = string(group, "kind.group")
        .map_err(invalid)?
        .unwrap_or_default();
    let kind = string(kind, "kind.kind")
        .map_err(invalid)?
        .unwrap_or_default();
    let Some(shape) = Shape::of(&group, &kind) else {
        return Ok(());
    };
    // Only CREATE and UPDATE carry an object to judge; `operation` is read only when a
    // verdict depends on it.
    let judged = |operation: &str| matches!(operation, "CREATE" | "UPDATE");
    let namespace = string(request.namespace, "namespace").map_err(invalid)?;
    let name = string(request.name, "name").map_err(invalid)?;
    // Messages only: built when a request is rejected.
    let display_name = || match (namespace.as_deref(), name.as_deref()) {
        (Some(ns), Some(name)) if !ns.is_empty() && !name.is_empty() => format!("{ns}/{name}"),
        (Some(ns), _) if !ns.is_empty() => format!("{ns}/(unnamed)"),
        (_, Some(name)) if !name.is_empty() => name.to_string(),
        _ => "(unnamed)".to_string(),
    };
    let Some(object) = request.object else {
        if !judged(&request.operation()?) {
            return Ok(());
        }
        return Err(Rejection::MissingObject {
            kind: kind.into_owned(),
            name: display_name(),
        });
    };
    if !object.is_object() {
        if !judged(&request.operation()?) {
            return Ok(());
        }
        return Err(Rejection::MalformedObject {
            kind: kind.into_owned(),
            name: display_name(),
            reason: "request.object is not a JSON object".to_string(),
        });
    }
    let mut rules = LazyRules {
        settings: request.settings,
        rules: None,
    };
    let mut found = match violations(shape, object, namespace.as_deref(), &mut rules) {
        Ok(found) => found,
        Err(_) if !judged(&request.operation()?) => return Ok(()),
        Err(reason) => {
            return Err(Rejection::MalformedObject {
                kind: kind.into_owned(),
                name: display_name(),
                reason,
            })
        }
    };
    if found.is_empty() {
        return Ok(());
    }
    let operation = request.operation()?;
    if !judged(&operation) {
        return Ok(());
    }
    if operation == "UPDATE" {
        // A violation the stored object already had is not new: Pods admitted before the
        // policy must still be able to drop finalizers and terminate.
        if let Some(Ok(existing)) = request
            .old_object()?
            .map(|old| violations(shape, old.value_at(), namespace.as_deref(), &mut rules))
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
        kind: kind.into_owned(),
        name: display_name(),
        violations: found,
    })
}

#[cfg(test)]
mod tests;
