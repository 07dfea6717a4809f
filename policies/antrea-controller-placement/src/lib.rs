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

use json_scan::ValueAt;
use policy_glue::workload::{namespace_of, service_account, PodSpecAt};
use policy_glue::{LazySettings, Request, RequestError, Target, Verdict};
use serde_json::Value;

use crate::error::Rejection;
use crate::placement::Placement;
use crate::scope::Scope;
use crate::settings::{Mode, Settings};
use crate::splice::ObjectView;

policy_glue::register_policy!(evaluate: answer, settings: Settings);

fn invalid(error: impl std::fmt::Display) -> Rejection {
    RequestError::Invalid(error.to_string()).into()
}

/// What the policy reviews: controller Pods on CREATE, their Deployments with
/// `checkWorkloads`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reviewed {
    Pod,
    Deployment,
}

impl Reviewed {
    fn pod_spec_at(self) -> PodSpecAt {
        match self {
            Reviewed::Pod => PodSpecAt::Pod,
            Reviewed::Deployment => PodSpecAt::Template,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Reviewed::Pod => "Pod",
            Reviewed::Deployment => "Deployment",
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
    let mut request = Request::read(payload)?;
    let kind = request.kind()?;
    let reviewed = match (&*kind.group, &*kind.kind) {
        ("", "Pod") => Reviewed::Pod,
        ("apps", "Deployment") => Reviewed::Deployment,
        _ => return Ok(None),
    };
    let operation = request.operation()?;
    let mut settings = LazySettings::<Settings>::new(request.settings());
    let scope = Scope::read(&settings)?;
    let judged = match reviewed {
        Reviewed::Pod => operation == "CREATE",
        Reviewed::Deployment => scope.check_workloads && matches!(&*operation, "CREATE" | "UPDATE"),
    };
    if !judged {
        return Ok(None);
    }
    let request_namespace = request.namespace()?;
    let Some(object) = request.object()? else {
        let target = target(reviewed, None, &mut request)?;
        return Err(RequestError::MissingObject(target).into());
    };
    let namespace = namespace_of(request_namespace.as_deref(), object);
    if !scope.names_namespace(&namespace) {
        return Ok(None);
    }
    let service_account = service_account_of(object, reviewed, &mut request)?;
    if !scope.names(&namespace, &service_account) {
        return Ok(None);
    }
    // A controller's object, once per controller rollout: the whole settings now.
    let settings = settings.get()?;
    let object = object.raw().map_err(RequestError::from)?;
    let spec_path = reviewed.pod_spec_at().path();
    if let Some(view) = ObjectView::read(object, spec_path) {
        let target = target(reviewed, Some(&view.names), &mut request)?;
        let mut spec = view.spec().map_err(|e| invalid(format!("object: {e}")))?;
        if !place(reviewed, &mut spec, &settings, target)? {
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
    let target = target(reviewed, Some(&names_of(&object)), &mut request)?;
    let mut spec = &mut object;
    for key in spec_path {
        spec = &mut spec[*key];
    }
    Ok(place(reviewed, spec, &settings, target)?.then_some(Mutation::Value(object)))
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

/// The pod spec's ServiceAccount (see policy-glue's `workload::service_account`); only the pod
/// spec's members up to them are read.
fn service_account_of(
    object: ValueAt<'_>,
    reviewed: Reviewed,
    request: &mut Request<'_>,
) -> Result<String, Rejection> {
    let at = reviewed.pod_spec_at();
    let picked = object
        .pick_path(at.path(), ["serviceAccountName", "serviceAccount"])
        .map_err(|e| invalid(format!("object: {e}")))?;
    let [name, deprecated] = picked.unwrap_or([None, None]);
    match service_account(at.name(), name, deprecated) {
        Ok(service_account) => Ok(service_account.into_owned()),
        Err(error) => Err(RequestError::MalformedObject {
            target: target(reviewed, None, request)?,
            reason: error.to_string(),
        }
        .into()),
    }
}

/// The object for messages: namespace and name from the request, else from the object's
/// metadata (`names` as `names_of` and `ObjectView` give them), else its `generateName` (a Pod
/// a ReplicaSet creates has no name yet).
fn target(
    reviewed: Reviewed,
    names: Option<&[String; 3]>,
    request: &mut Request<'_>,
) -> Result<Target, RequestError> {
    let from_object = |index: usize| names.map(|n| n[index].as_str()).filter(|s| !s.is_empty());
    let namespace = request.namespace()?.filter(|ns| !ns.is_empty());
    let name = request.name()?.filter(|n| !n.is_empty());
    let namespace = namespace.as_deref().or_else(|| from_object(0));
    let name = name
        .as_deref()
        .or_else(|| from_object(1))
        .or_else(|| from_object(2));
    Ok(Target {
        kind: reviewed.kind().to_string(),
        name: policy_glue::display_name(namespace, name),
    })
}

/// The verdict on a controller's pod spec: `Ok(false)` accepts it as it is, `Ok(true)` accepts
/// it as mutated in `spec`, `Err` rejects.
fn place(
    reviewed: Reviewed,
    spec: &mut Value,
    settings: &Settings,
    target: Target,
) -> Result<bool, Rejection> {
    let placement = Placement::read(spec).map_err(|reason| RequestError::MalformedObject {
        target: target.clone(),
        reason,
    })?;
    let plan = placement
        .plan(settings)
        .map_err(|conflict| Rejection::Conflict {
            target: target.clone(),
            conflict: Box::new(conflict),
        })?;
    if plan.is_empty() {
        return Ok(false);
    }
    // Workloads are never mutated: it would fight GitOps.
    if settings.mode == Mode::Validate || reviewed == Reviewed::Deployment {
        return Err(Rejection::NotOnSecureNodes {
            target,
            missing: plan.missing(),
        });
    }
    plan.apply(spec, &placement);
    Ok(true)
}

#[cfg(test)]
mod tests;
