//! What a rejection says, as both implementations can state it: which kind of rejection,
//! which object, and for host paths which volume or field, which path and which protected
//! spelling. The differential tests compare these instead of only whether both reject.

use policy_glue::RequestError;

use crate::error::Rejection;

/// One host path that reaches a protected path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// Where it is written: `spec.volumes[1] "host" hostPath`, `spec.local.path`.
    pub location: String,
    /// The host path as written.
    pub host_path: String,
    /// The protected spelling it reaches.
    pub reaches: String,
}

/// Why a request is rejected, without the wording of free-text reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The payload or its settings cannot be read as a request.
    Unreadable,
    /// A CREATE or UPDATE without `object`: the kind and the name messages give.
    MissingObject { kind: String, name: String },
    /// An object whose pod spec or volumes cannot be read; each implementation words the
    /// reason its own way.
    Malformed { kind: String, name: String },
    /// Host paths that reach protected paths, in the order of the object.
    Reaches {
        kind: String,
        name: String,
        reached: Vec<Reached>,
    },
}

impl Refusal {
    /// The shipped policy's rejection, stated the same way.
    pub fn of(rejection: &Rejection) -> Refusal {
        match rejection {
            Rejection::Request(
                RequestError::Invalid(_) | RequestError::Scan(_) | RequestError::Settings(_),
            ) => Refusal::Unreadable,
            Rejection::Request(RequestError::MissingObject(target)) => Refusal::MissingObject {
                kind: target.kind.clone(),
                name: target.name.clone(),
            },
            Rejection::Request(RequestError::MalformedObject { target, .. }) => {
                Refusal::Malformed {
                    kind: target.kind.clone(),
                    name: target.name.clone(),
                }
            }
            Rejection::ReachesProtectedPath { target, violations } => Refusal::Reaches {
                kind: target.kind.clone(),
                name: target.name.clone(),
                reached: violations
                    .iter()
                    .map(|v| Reached {
                        location: v.location.clone(),
                        host_path: v.host_path.clone(),
                        reaches: v.reaches.clone(),
                    })
                    .collect(),
            },
        }
    }
}

impl From<policy_glue::reference::Unreadable> for Refusal {
    fn from(_: policy_glue::reference::Unreadable) -> Self {
        Refusal::Unreadable
    }
}
