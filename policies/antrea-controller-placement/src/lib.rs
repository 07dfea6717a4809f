//! Kubewarden policy: the antrea-controller Pod runs on secure Nodes (Antrea's third security
//! recommendation), without editing Antrea's manifest.
//!
//! [`evaluate`] is a pure function of the validate payload; the waPC glue is `policy-glue`'s.
//! A Pod created in a controller's namespace with a controller's ServiceAccount gets the secure
//! requirements ANDed into its required node affinity and the secure Nodes' tolerations
//! ([`placement`]); with `mode: validate`, or for a Deployment with `checkWorkloads`, the
//! missing pieces are named instead. Every other request is accepted after reading its header
//! and, in a controller namespace, the pod spec's ServiceAccount.

pub mod error;
pub mod placement;
pub mod settings;

use std::borrow::Cow;
use std::rc::Rc;

use json_scan::{Admission, Raw, ValueAt};
use policy_glue::SettingsCache;
use serde_json::Value;

use crate::error::{Rejection, Who};
use crate::placement::Placement;
use crate::settings::{Mode, Settings};

policy_glue::register_policy!(evaluate: evaluate, settings: Settings);

/// The request members this policy reads.
const MEMBERS: [&str; 4] = ["kind", "namespace", "name", "operation"];

fn invalid(error: impl std::fmt::Display) -> Rejection {
    Rejection::InvalidPayload(error.to_string())
}

fn string<'a>(raw: Option<Raw<'a>>, field: &str) -> Result<Option<Cow<'a, str>>, Rejection> {
    raw.map(|raw| {
        raw.as_str()
            .ok_or_else(|| invalid(format!("{field}: expected a string")))
    })
    .transpose()
}

/// What the policy reviews: controller Pods on CREATE, their Deployments with
/// `checkWorkloads`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Pod,
    Deployment,
}

impl Target {
    fn pod_spec_path(self) -> &'static [&'static str] {
        match self {
            Target::Pod => &["spec"],
            Target::Deployment => &["spec", "template", "spec"],
        }
    }
}

/// Decides a validate payload: `Ok(None)` accepts, `Ok(Some(pod))` accepts the Pod as
/// mutated, `Err` says why the request is rejected.
pub fn evaluate(payload: &[u8]) -> Result<Option<Value>, Rejection> {
    let mut admission = Admission::read(payload, MEMBERS)?;
    let [group, kind] = admission
        .get("kind")?
        .ok_or_else(|| invalid("missing field `kind`"))?
        .pick(["group", "kind"])
        .map_err(|e| invalid(format!("kind: {e}")))?;
    let target = match (
        string(group, "kind.group")?.as_deref().unwrap_or_default(),
        string(kind, "kind.kind")?.as_deref().unwrap_or_default(),
    ) {
        ("", "Pod") => Target::Pod,
        ("apps", "Deployment") => Target::Deployment,
        _ => return Ok(None),
    };
    let operation = string(admission.get("operation")?, "operation")?
        .ok_or_else(|| invalid("missing field `operation`"))?;
    let settings = settings(admission.settings())?;
    let reviewed = match target {
        Target::Pod => operation == "CREATE",
        Target::Deployment => {
            settings.check_workloads && matches!(&*operation, "CREATE" | "UPDATE")
        }
    };
    if !reviewed {
        return Ok(None);
    }
    let request_namespace = string(admission.get("namespace")?, "namespace")?;
    let Some(object) = admission.object()? else {
        return Err(Rejection::MissingObject(who(target, None, &mut admission)?));
    };
    let namespace = namespace_of(request_namespace, object);
    if !settings
        .controllers
        .iter()
        .any(|c| c.namespace == namespace)
    {
        return Ok(None);
    }
    let service_account = service_account_of(object, target)?;
    if !settings
        .controllers
        .iter()
        .any(|c| c.namespace == namespace && c.service_account_name == service_account)
    {
        return Ok(None);
    }
    let object: Value = object
        .raw()?
        .parse()
        .map_err(|e| invalid(format!("object: {e}")))?;
    let who = who(target, Some(&object), &mut admission)?;
    place(target, object, &settings, who)
}

thread_local! {
    static SETTINGS: SettingsCache<Settings> = const { SettingsCache::new() };
}

/// The settings, parsed once per settings document.
fn settings(raw: Option<Raw<'_>>) -> Result<Rc<Settings>, Rejection> {
    let bytes = raw.map(|raw| raw.bytes()).unwrap_or_default();
    SETTINGS.with(|cache| {
        cache.get(bytes, |_| match raw {
            Some(raw) => raw.parse().map_err(|e| invalid(format!("settings: {e}"))),
            None => Ok(Settings::default()),
        })
    })
}

/// The namespace of the object: the request's, else its metadata's, else `default`.
fn namespace_of(request_namespace: Option<Cow<'_, str>>, object: ValueAt<'_>) -> String {
    request_namespace
        .filter(|ns| !ns.is_empty())
        .map(Cow::into_owned)
        .or_else(|| {
            let value = object.follow(&["metadata", "namespace"]).ok()??;
            Some(value.raw().ok()?.as_str()?.into_owned())
        })
        .unwrap_or_else(|| "default".to_string())
}

/// The pod spec's ServiceAccount: `serviceAccountName`, else the deprecated `serviceAccount`,
/// else `default`; only the pod spec's members up to them are read.
fn service_account_of(object: ValueAt<'_>, target: Target) -> Result<String, Rejection> {
    let picked = object
        .pick_path(
            target.pod_spec_path(),
            ["serviceAccountName", "serviceAccount"],
        )
        .map_err(|e| invalid(format!("object: {e}")))?;
    let [name, deprecated] = picked.unwrap_or([None, None]);
    Ok([name, deprecated]
        .into_iter()
        .flatten()
        .filter_map(|raw| raw.as_str())
        .find(|sa| !sa.is_empty())
        .map(Cow::into_owned)
        .unwrap_or_else(|| "default".to_string()))
}

/// The object for messages: namespace and name, or the `generateName` of a Pod a ReplicaSet
/// creates.
fn who(
    target: Target,
    object: Option<&Value>,
    admission: &mut Admission<'_, '_, 4>,
) -> Result<Who, Rejection> {
    let metadata = object.and_then(|o| o.get("metadata"));
    let field = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let namespace = string(admission.get("namespace")?, "namespace")?
        .map(Cow::into_owned)
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| field("namespace"));
    let name = string(admission.get("name")?, "name")?
        .map(Cow::into_owned)
        .filter(|n| !n.is_empty())
        .or_else(|| Some(field("name")).filter(|n| !n.is_empty()))
        .or_else(|| Some(field("generateName")).filter(|n| !n.is_empty()))
        .unwrap_or_else(|| "(unnamed)".to_string());
    let kind = match target {
        Target::Pod => "Pod",
        Target::Deployment => "Deployment",
    };
    Ok(Who {
        kind: kind.to_string(),
        name: if namespace.is_empty() {
            name
        } else {
            format!("{namespace}/{name}")
        },
    })
}

/// The verdict on a controller's pod spec: accept, mutate, or reject.
fn place(
    target: Target,
    mut object: Value,
    settings: &Settings,
    who: Who,
) -> Result<Option<Value>, Rejection> {
    let mut spec = &mut object;
    for key in target.pod_spec_path() {
        spec = &mut spec[*key];
    }
    let placement = Placement::read(spec).map_err(|reason| Rejection::MalformedObject {
        who: who.clone(),
        reason,
    })?;
    let plan = placement
        .plan(settings)
        .map_err(|conflict| Rejection::Conflict {
            who: who.clone(),
            conflict: Box::new(conflict),
        })?;
    if plan.is_empty() {
        return Ok(None);
    }
    // Workloads are never mutated: it would fight GitOps.
    if settings.mode == Mode::Validate || target == Target::Deployment {
        return Err(Rejection::NotOnSecureNodes {
            who,
            missing: plan.missing(),
        });
    }
    plan.apply(spec, &placement);
    Ok(Some(object))
}

#[cfg(test)]
mod tests;
