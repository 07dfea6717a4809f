//! Kubewarden policy: no workload may mount a host path that reaches `/var/run/antrea` (Antrea's
//! OVS database with the IPsec pre-shared key, CNI socket, API token), except Antrea's own agent.
//!
//! [`evaluate`] is a pure function of the validate payload; the waPC glue is `policy-glue`'s.
//! Pods, every workload's pod template and PersistentVolumes are judged ([`shape`]); their
//! host paths are found by [`volumes`] and matched by [`paths`] against the protected paths
//! and their equivalent spellings ([`settings`]). An UPDATE is rejected only for violations the
//! stored object did not already have.

pub mod error;
pub mod paths;
#[cfg(any(test, feature = "reference"))]
pub mod reference;
pub mod settings;
pub mod shape;
pub mod volumes;

use policy_glue::{Request, RequestError, Target};

use crate::error::{Rejection, Violation};
use crate::settings::Settings;
use crate::shape::Shape;
use crate::volumes::{violations, LazyRules, Unreadable};

policy_glue::register_policy!(evaluate: evaluate, settings: Settings);

/// Only CREATE and UPDATE carry an object to judge.
fn judged(operation: &str) -> bool {
    matches!(operation, "CREATE" | "UPDATE")
}

/// Decides a validate payload: `Ok(())` accepts, `Err` says why the request is rejected.
pub fn evaluate(payload: &[u8]) -> Result<(), Rejection> {
    let mut request = Request::read(payload)?;
    let kind = request.kind()?;
    let Some(shape) = Shape::of(&kind.group, &kind.kind) else {
        return Ok(());
    };
    // PersistentVolumes are cluster-scoped: no namespace to read.
    let namespace = match shape {
        Shape::PersistentVolume => None,
        Shape::Pods(_) => request.namespace()?,
    };
    let name = request.name()?;
    // Built only when the request is rejected.
    let target = || Target {
        kind: kind.kind.to_string(),
        name: policy_glue::display_name(namespace.as_deref(), name.as_deref()),
    };
    let object = match request.object()? {
        Some(object) if object.is_object() => object,
        _ if !judged(&request.operation()?) => return Ok(()),
        None => return Err(RequestError::MissingObject(target()).into()),
        Some(_) => {
            return Err(malformed(
                target(),
                "request.object is not a JSON object".into(),
            ))
        }
    };
    let mut rules = LazyRules::new(request.settings());
    let found = match violations(shape, object, namespace.as_deref(), &mut rules) {
        Ok(found) if found.is_empty() => return Ok(()),
        Ok(found) => found,
        Err(_) if !judged(&request.operation()?) => return Ok(()),
        Err(Unreadable::Settings(error)) => return Err(error.into()),
        Err(Unreadable::Object(reason)) => return Err(malformed(target(), reason)),
    };
    let found = new_violations(&mut request, shape, namespace.as_deref(), &mut rules, found)?;
    // Admins' own Pods (`kubectl debug node/…`) when their user or group is exempt.
    let own_pod = shape == Shape::Pods(policy_glue::workload::PodSpecAt::Pod);
    if found.is_empty() || (own_pod && requester_exempt(&mut request, &mut rules)?) {
        return Ok(());
    }
    Err(Rejection::ReachesProtectedPath {
        target: target(),
        violations: found,
    })
}

fn malformed(target: Target, reason: String) -> Rejection {
    RequestError::MalformedObject { target, reason }.into()
}

/// Whether the user who sent the request is exempt for the Pods they create directly: the
/// request's own `userInfo`, so a Pod that a controller creates from a workload the user
/// submitted carries the controller's identity, never the user's.
fn requester_exempt(
    request: &mut Request<'_>,
    rules: &mut LazyRules<'_>,
) -> Result<bool, Rejection> {
    let rules = rules.get()?;
    if rules.exempt_usernames.is_empty() && rules.exempt_groups.is_empty() {
        return Ok(false);
    }
    let user = request.user_info()?;
    let username = user.username.as_deref().unwrap_or_default();
    Ok(rules.exempts_requester(username, &user.groups()?))
}

/// The violations the request introduces: none for an operation that carries no object to
/// judge; for an UPDATE, those the stored object did not already have (Pods admitted before
/// the policy must still be able to drop finalizers and terminate).
fn new_violations(
    request: &mut Request<'_>,
    shape: Shape,
    namespace: Option<&str>,
    rules: &mut LazyRules<'_>,
    mut found: Vec<Violation>,
) -> Result<Vec<Violation>, Rejection> {
    let operation = request.operation()?;
    if !judged(&operation) {
        return Ok(Vec::new());
    }
    if operation == "UPDATE" {
        if let Some(Ok(existing)) = request
            .old_object()?
            .map(|old| violations(shape, old.into(), namespace, rules))
        {
            found.retain(|v| {
                !existing.iter().any(|e| {
                    paths::NormalPath::new(&e.host_path) == paths::NormalPath::new(&v.host_path)
                })
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod differential;
#[cfg(any(test, feature = "test-support"))]
pub mod generators;
#[cfg(test)]
mod tests;
