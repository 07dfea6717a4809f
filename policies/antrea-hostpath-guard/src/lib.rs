//! Kubewarden policy: no workload may mount a host path that reaches `/var/run/antrea` (Antrea's
//! OVS database with the IPsec pre-shared key, CNI socket, API token), except Antrea's own agent.
//!
//! [`evaluate`] is a pure function of the validate payload; the waPC glue is `policy-glue`'s.
//! Pods, every workload's pod template and PersistentVolumes are judged ([`shape`]); their
//! host paths are found by [`volumes`] and matched by [`paths`] against the protected paths
//! and their equivalent spellings ([`settings`]). An UPDATE is rejected only for violations the
//! stored object did not already have.

pub mod cache;
pub mod error;
pub mod paths;
#[cfg(any(test, feature = "reference"))]
pub mod reference;
pub mod settings;
pub mod shape;
pub mod volumes;

use std::borrow::Cow;

use crate::cache::LazyRules;
use crate::error::{Rejection, Violation};
use crate::settings::Settings;
use crate::shape::Shape;
use crate::volumes::{string, violations};

policy_glue::register_policy!(evaluate: evaluate, settings: Settings);

/// The request members this policy reads.
const MEMBERS: [&str; 5] = ["kind", "name", "namespace", "operation", "userInfo"];

type Payload<'a> = json_scan::Admission<'a, 'static, 5>;

fn invalid(error: impl std::fmt::Display) -> Rejection {
    Rejection::InvalidPayload(error.to_string())
}

/// Only CREATE and UPDATE carry an object to judge.
fn judged(operation: &str) -> bool {
    matches!(operation, "CREATE" | "UPDATE")
}

/// `operation`, read only when a verdict depends on it.
fn operation<'a>(admission: &mut Payload<'a>) -> Result<Cow<'a, str>, Rejection> {
    string(admission.get("operation")?, "operation")
        .map_err(invalid)?
        .ok_or_else(|| invalid("missing field `operation`"))
}

/// The object under review: its kind, where it holds its pod spec, and its name for messages.
struct Target<'a> {
    shape: Shape,
    kind: String,
    namespace: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
}

impl<'a> Target<'a> {
    /// `None` for a kind the policy does not judge.
    fn read(admission: &mut Payload<'a>) -> Result<Option<Self>, Rejection> {
        let [group, kind] = admission
            .get("kind")?
            .ok_or_else(|| invalid("missing field `kind`"))?
            .pick(["group", "kind"])
            .map_err(|e| invalid(format!("kind: {e}")))?;
        let group = string(group, "kind.group").map_err(invalid)?;
        let kind = string(kind, "kind.kind").map_err(invalid)?;
        let Some(shape) = Shape::of(
            &group.unwrap_or_default(),
            kind.as_deref().unwrap_or_default(),
        ) else {
            return Ok(None);
        };
        // PersistentVolumes are cluster-scoped: no namespace to read.
        let namespace = match shape {
            Shape::PersistentVolume => None,
            _ => string(admission.get("namespace")?, "namespace").map_err(invalid)?,
        };
        Ok(Some(Target {
            shape,
            kind: kind.unwrap_or_default().into_owned(),
            namespace,
            name: string(admission.get("name")?, "name").map_err(invalid)?,
        }))
    }

    /// `namespace/name` for messages, built only when a request is rejected.
    fn display_name(&self) -> String {
        match (self.namespace.as_deref(), self.name.as_deref()) {
            (Some(ns), Some(name)) if !ns.is_empty() && !name.is_empty() => format!("{ns}/{name}"),
            (Some(ns), _) if !ns.is_empty() => format!("{ns}/(unnamed)"),
            (_, Some(name)) if !name.is_empty() => name.to_string(),
            _ => "(unnamed)".to_string(),
        }
    }

    fn malformed(&self, reason: String) -> Rejection {
        Rejection::MalformedObject {
            kind: self.kind.clone(),
            name: self.display_name(),
            reason,
        }
    }
}

/// Decides a validate payload: `Ok(())` accepts, `Err` says why the request is rejected.
pub fn evaluate(payload: &[u8]) -> Result<(), Rejection> {
    let mut admission = Payload::read(payload, MEMBERS)?;
    let Some(target) = Target::read(&mut admission)? else {
        return Ok(());
    };
    let object = match admission.object()? {
        Some(object) if object.is_object() => object,
        _ if !judged(&operation(&mut admission)?) => return Ok(()),
        None => {
            return Err(Rejection::MissingObject {
                kind: target.kind.clone(),
                name: target.display_name(),
            })
        }
        Some(_) => return Err(target.malformed("request.object is not a JSON object".to_string())),
    };
    let (shape, namespace) = (target.shape, target.namespace.as_deref());
    let mut rules = LazyRules::new(admission.settings());
    let found = match violations(shape, object, namespace, &mut rules) {
        Ok(found) if found.is_empty() => return Ok(()),
        Ok(found) => found,
        Err(_) if !judged(&operation(&mut admission)?) => return Ok(()),
        Err(reason) => return Err(target.malformed(reason)),
    };
    let found = new_violations(&mut admission, shape, namespace, &mut rules, found)?;
    // Admins' own Pods (`kubectl debug node/…`) when their user or group is exempt.
    if found.is_empty() || (shape == Shape::Pod && requester_exempt(&mut admission, &mut rules)?) {
        return Ok(());
    }
    Err(Rejection::ReachesProtectedPath {
        name: target.display_name(),
        kind: target.kind,
        violations: found,
    })
}

/// Whether the user who sent the request is exempt for the Pods they create directly: the
/// request's own `userInfo`, so a Pod that a controller creates from a workload the user
/// submitted carries the controller's identity, never the user's.
fn requester_exempt(
    admission: &mut Payload<'_>,
    rules: &mut LazyRules<'_>,
) -> Result<bool, Rejection> {
    let rules = rules.get().map_err(invalid)?;
    if rules.exempt_usernames.is_empty() && rules.exempt_groups.is_empty() {
        return Ok(false);
    }
    let user_info = admission
        .get("userInfo")?
        .ok_or_else(|| invalid("missing field `userInfo`"))?;
    let [username, groups] = user_info
        .pick(["username", "groups"])
        .map_err(|e| invalid(format!("userInfo: {e}")))?;
    let username = string(username, "userInfo.username")
        .map_err(invalid)?
        .unwrap_or_default();
    let groups: Vec<String> = groups
        .map(|raw| raw.parse())
        .transpose()
        .map_err(|e| invalid(format!("userInfo.groups: {e}")))?
        .unwrap_or_default();
    Ok(rules.exempts_requester(&username, &groups))
}

/// The violations the request introduces: none for an operation that carries no object to
/// judge; for an UPDATE, those the stored object did not already have (Pods admitted before
/// the policy must still be able to drop finalizers and terminate).
fn new_violations(
    admission: &mut Payload<'_>,
    shape: Shape,
    namespace: Option<&str>,
    rules: &mut LazyRules<'_>,
    mut found: Vec<Violation>,
) -> Result<Vec<Violation>, Rejection> {
    let operation = operation(admission)?;
    if !judged(&operation) {
        return Ok(Vec::new());
    }
    if operation == "UPDATE" {
        if let Some(Ok(existing)) = admission
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
