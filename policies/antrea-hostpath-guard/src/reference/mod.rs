//! The policy's decision written the plain way: serde_json values, no json-scan, no laziness.
//! The differential tests (and the `hostpath_differential` fuzz target) hold
//! [`crate::evaluate`] to it, rejection by rejection ([`Refusal`]: which object, which volume
//! or field, which path, which protected spelling).
//!
//! It shares none of the shipped rule: the kinds and where each keeps its pod spec are listed
//! again below, and path normalisation, equivalent spellings and the `/proc` rule are written
//! again in [`paths`]. Only the settings type (the documented schema and its defaults) and the
//! shipped rejection type, which [`Refusal::of`] restates, come from the crate.
//!
//! Objects are schema-valid here, as the API server guarantees before admission: a field of the
//! wrong type is rejected by both, but where the fast path notices it may depend on member
//! order (see the README's notes). Requests carry `operation`, as the API server's always do:
//! the shipped policy reads it only when a verdict depends on it.

pub mod paths;
mod refusal;

pub use refusal::{Reached, Refusal};

use policy_glue::reference::PlainPayload;
use serde_json::{Map, Value};

use crate::settings::Settings;

/// Where a judged kind keeps its host paths.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// A pod spec at this path, named so in messages; `pod` for a Pod itself.
    PodSpec {
        path: &'static [&'static str],
        label: &'static str,
        pod: bool,
    },
    /// A PersistentVolume: `spec.hostPath` and `spec.local`.
    PersistentVolume,
}

const TEMPLATE: Holder = Holder::PodSpec {
    path: &["spec", "template", "spec"],
    label: "spec.template.spec",
    pod: false,
};

fn holder(group: &str, kind: &str) -> Option<Holder> {
    Some(match (group, kind) {
        ("", "Pod") => Holder::PodSpec {
            path: &["spec"],
            label: "spec",
            pod: true,
        },
        ("apps", "Deployment") | ("apps", "ReplicaSet") | ("apps", "StatefulSet") => TEMPLATE,
        ("apps", "DaemonSet") | ("batch", "Job") | ("", "ReplicationController") => TEMPLATE,
        ("batch", "CronJob") => Holder::PodSpec {
            path: &["spec", "jobTemplate", "spec", "template", "spec"],
            label: "spec.jobTemplate.spec.template.spec",
            pod: false,
        },
        ("", "PersistentVolume") => Holder::PersistentVolume,
        _ => return None,
    })
}

/// `namespace/name` as messages give it.
fn display_name(namespace: Option<&str>, name: Option<&str>) -> String {
    let namespace = namespace.filter(|ns| !ns.is_empty());
    match (namespace, name.filter(|n| !n.is_empty())) {
        (Some(namespace), Some(name)) => format!("{namespace}/{name}"),
        (Some(namespace), None) => format!("{namespace}/(unnamed)"),
        (None, Some(name)) => name.to_string(),
        (None, None) => "(unnamed)".to_string(),
    }
}

/// The settings, with every protected spelling worked out.
struct Judge {
    settings: Settings,
    spellings: Vec<String>,
}

/// Whether the reference accepts the payload: `Err` says how it rejects it.
pub fn verdict(payload: &[u8]) -> Result<(), Refusal> {
    let payload = PlainPayload::<Settings>::parse(payload)?;
    let (request, settings) = (&payload.request, payload.settings.clone());
    let (group, kind) = (payload.group.as_str(), payload.kind.as_str());
    let Some(holder) = holder(group, kind) else {
        return Ok(());
    };
    let request_namespace = match holder {
        Holder::PersistentVolume => None,
        Holder::PodSpec { .. } => payload.string("namespace")?,
    };
    let name = payload.string("name")?;
    let operation = payload.operation()?;
    if operation != "CREATE" && operation != "UPDATE" {
        return Ok(());
    }
    let (kind, name) = (kind.to_string(), display_name(request_namespace, name));
    let object = match request.get("object") {
        None | Some(Value::Null) => return Err(Refusal::MissingObject { kind, name }),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(Refusal::Malformed { kind, name }),
    };
    let judge = Judge::new(settings);
    let Ok(mut reached) = judge.reached(holder, object, request_namespace) else {
        return Err(Refusal::Malformed { kind, name });
    };
    // An UPDATE is judged on what it adds: paths the stored object already mounted stay.
    if let (true, Some(Value::Object(old))) = (operation == "UPDATE", request.get("oldObject")) {
        if let Ok(before) = judge.reached(holder, old, request_namespace) {
            let normal = |r: &Reached| paths::normalise(&r.host_path);
            reached.retain(|r| !before.iter().any(|b| normal(b) == normal(r)));
        }
    }
    let pod = matches!(holder, Holder::PodSpec { pod: true, .. });
    if reached.is_empty() || (pod && judge.exempts_requester(request.get("userInfo"))) {
        return Ok(());
    }
    Err(Refusal::Reaches {
        kind,
        name,
        reached,
    })
}

/// An object's member that must be an object when present; `Err` when it is something else.
fn member<'v>(
    object: &'v Map<String, Value>,
    key: &str,
) -> Result<Option<&'v Map<String, Value>>, ()> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(_) => Err(()),
    }
}

/// The `path` of a hostPath or local source.
fn source_path(source: &Map<String, Value>) -> Result<&str, ()> {
    source.get("path").and_then(Value::as_str).ok_or(())
}

impl Judge {
    fn new(settings: Settings) -> Self {
        let spellings = paths::spellings(&settings.protected_paths, &settings.equivalent_paths);
        Judge {
            settings,
            spellings,
        }
    }

    fn reaches(&self, location: String, host_path: &str) -> Option<Reached> {
        let reaches = paths::reached(&self.spellings, self.settings.proc_indirection, host_path)?;
        Some(Reached {
            location,
            host_path: host_path.to_string(),
            reaches,
        })
    }

    /// The host paths of an object that reach a protected path; `Err` when the object's
    /// pod spec, volumes or sources are not what the schema says.
    fn reached(
        &self,
        holder: Holder,
        object: &Map<String, Value>,
        request_namespace: Option<&str>,
    ) -> Result<Vec<Reached>, ()> {
        let Holder::PodSpec { path, label, .. } = holder else {
            return self.persistent_volume(object);
        };
        let mut spec = object;
        for key in path {
            let Some(inner) = member(spec, key)? else {
                return Ok(Vec::new());
            };
            spec = inner;
        }
        // The workload's namespace: the request's, else its own metadata's, else `default`.
        let namespace = request_namespace
            .filter(|ns| !ns.is_empty())
            .or_else(|| object.get("metadata")?.get("namespace")?.as_str())
            .unwrap_or("default");
        let service_account = ["serviceAccountName", "serviceAccount"]
            .iter()
            .filter_map(|field| spec.get(*field).and_then(Value::as_str))
            .find(|name| !name.is_empty())
            .unwrap_or("default");
        let exempt = self
            .settings
            .exemptions
            .iter()
            .any(|e| e.namespace == namespace && e.service_account_name == service_account);
        let volumes = match spec.get("volumes") {
            _ if exempt => return Ok(Vec::new()),
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(volumes)) => volumes,
            Some(_) => return Err(()),
        };
        let mut reached = Vec::new();
        for (index, volume) in volumes.iter().enumerate() {
            let volume = volume.as_object().ok_or(())?;
            let Some(source) = member(volume, "hostPath")? else {
                continue;
            };
            let name = volume
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let location = format!("{label}.volumes[{index}] {} hostPath", Value::from(name));
            reached.extend(self.reaches(location, source_path(source)?));
        }
        Ok(reached)
    }

    /// A PersistentVolume's `spec.hostPath.path` and `spec.local.path`.
    fn persistent_volume(&self, object: &Map<String, Value>) -> Result<Vec<Reached>, ()> {
        let Some(spec) = member(object, "spec")? else {
            return Ok(Vec::new());
        };
        if !self.settings.check_persistent_volumes {
            return Ok(Vec::new());
        }
        let mut reached = Vec::new();
        for source in ["hostPath", "local"] {
            if let Some(source_object) = member(spec, source)? {
                let location = format!("spec.{source}.path");
                reached.extend(self.reaches(location, source_path(source_object)?));
            }
        }
        Ok(reached)
    }

    /// Whether the requester is exempt for the Pods it creates itself.
    fn exempts_requester(&self, user_info: Option<&Value>) -> bool {
        let username = user_info.and_then(|u| u.get("username")?.as_str());
        let groups = user_info.and_then(|u| u.get("groups")?.as_array());
        let groups = groups.into_iter().flatten().filter_map(Value::as_str);
        username.is_some_and(|u| self.settings.exempt_usernames.iter().any(|e| e == u))
            || groups
                .into_iter()
                .any(|g| self.settings.exempt_groups.iter().any(|e| e == g))
    }
}
