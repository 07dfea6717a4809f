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
#[cfg(any(test, feature = "reference"))]
pub mod scheduling;
pub mod scope;
pub mod settings;
pub mod splice;

use std::borrow::Cow;

use json_scan::{Admission, Raw, ValueAt};
use policy_glue::Verdict;
use serde_json::Value;

use crate::error::{Rejection, Who};
use crate::placement::Placement;
use crate::scope::Scope;
use crate::settings::{Mode, Settings};
use crate::splice::ObjectView;

policy_glue::register_policy!(evaluate: answer, settings: Settings);

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

/// A mutated object: its JSON text when it was edited in place (the usual shape), else a tree.
pub enum Mutation {
    /// The request's object as JSON text, `affinity` and `tolerations` replaced.
    Text(Vec<u8>),
    /// The whole object, parsed and mutated.
    Value(Value),
}

/// Decides a validate payload: `Ok(None)` accepts, `Ok(Some(pod))` accepts the Pod as
/// mutated, `Err` says why the request is rejected.
pub fn evaluate(payload: &[u8]) -> Result<Option<Value>, Rejection> {
    Ok(match decide(payload)? {
        None => None,
        Some(Mutation::Value(object)) => Some(object),
        Some(Mutation::Text(text)) => Some(
            serde_json::from_slice(&text).map_err(|e| invalid(format!("mutated object: {e}")))?,
        ),
    })
}

/// The module's `validate`: [`evaluate`]'s verdict, a mutation answered with the object's JSON
/// text as it was edited.
pub fn answer(payload: &[u8]) -> Verdict {
    match decide(payload) {
        Ok(None) => Verdict::Accept,
        Ok(Some(Mutation::Text(text))) => Verdict::MutateJson(text),
        Ok(Some(Mutation::Value(object))) => Verdict::Mutate(object),
        Err(rejection) => Verdict::Reject(rejection.to_string()),
    }
}

fn decide(payload: &[u8]) -> Result<Option<Mutation>, Rejection> {
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
    let scope = match Scope::read(admission.settings()) {
        Some(scope) => scope,
        None => Scope::from(&settings(admission.settings())?),
    };
    let reviewed = match target {
        Target::Pod => operation == "CREATE",
        Target::Deployment => scope.check_workloads && matches!(&*operation, "CREATE" | "UPDATE"),
    };
    if !reviewed {
        return Ok(None);
    }
    let request_namespace = string(admission.get("namespace")?, "namespace")?;
    let Some(object) = admission.object()? else {
        return Err(Rejection::MissingObject(who(target, None, &mut admission)?));
    };
    let namespace = namespace_of(request_namespace, object);
    if !scope.names_namespace(&namespace) {
        return Ok(None);
    }
    let service_account = service_account_of(object, target)?;
    if !scope.names(&namespace, &service_account) {
        return Ok(None);
    }
    // A controller's object, once per controller rollout: the whole settings now.
    let settings = settings(admission.settings())?;
    let object = object.raw()?;
    if let Some(view) = ObjectView::read(object, target.pod_spec_path()) {
        let who = who(target, Some(&view.names), &mut admission)?;
        let mut spec = view.spec().map_err(|e| invalid(format!("object: {e}")))?;
        if !place(target, &mut spec, &settings, who)? {
            return Ok(None);
        }
        let text = view
            .mutated(&spec)
            .map_err(|e| invalid(format!("mutated object: {e}")))?;
        return Ok(Some(Mutation::Text(text)));
    }
    let mut object: Value = object
        .parse()
        .map_err(|e| invalid(format!("object: {e}")))?;
    let who = who(target, Some(&names_of(&object)), &mut admission)?;
    let mut spec = &mut object;
    for key in target.pod_spec_path() {
        spec = &mut spec[*key];
    }
    Ok(place(target, spec, &settings, who)?.then_some(Mutation::Value(object)))
}

/// The settings, parsed in full.
fn settings(raw: Option<Raw<'_>>) -> Result<Settings, Rejection> {
    match raw {
        Some(raw) => raw.parse().map_err(|e| invalid(format!("settings: {e}"))),
        None => Ok(Settings::default()),
    }
}

/// `metadata.namespace`, `metadata.name` and `metadata.generateName` of an object (strings,
/// else empty).
fn names_of(object: &Value) -> [String; 3] {
    let metadata = object.get("metadata");
    ["namespace", "name", "generateName"].map(|key| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
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
    names: Option<&[String; 3]>,
    admission: &mut Admission<'_, '_, 4>,
) -> Result<Who, Rejection> {
    // `names` as `names_of` and `ObjectView` give them.
    let field = |index: usize| names.map(|n| n[index].clone()).unwrap_or_default();
    let namespace = string(admission.get("namespace")?, "namespace")?
        .map(Cow::into_owned)
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| field(0));
    let name = string(admission.get("name")?, "name")?
        .map(Cow::into_owned)
        .filter(|n| !n.is_empty())
        .or_else(|| Some(field(1)).filter(|n| !n.is_empty()))
        .or_else(|| Some(field(2)).filter(|n| !n.is_empty()))
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

/// The verdict on a controller's pod spec: `Ok(false)` accepts it as it is, `Ok(true)` accepts
/// it as mutated in `spec`, `Err` rejects.
fn place(
    target: Target,
    spec: &mut Value,
    settings: &Settings,
    who: Who,
) -> Result<bool, Rejection> {
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
        return Ok(false);
    }
    // Workloads are never mutated: it would fight GitOps.
    if settings.mode == Mode::Validate || target == Target::Deployment {
        return Err(Rejection::NotOnSecureNodes {
            who,
            missing: plan.missing(),
        });
    }
    plan.apply(spec, &placement);
    Ok(true)
}

#[cfg(test)]
mod tests;
