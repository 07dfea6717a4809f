//! What a rejection says, as both implementations can state it: who updates what, which kind
//! of rejection, and the fields, annotation keys or Nodes it names. The differential tests
//! compare these instead of only whether both reject.

use crate::error::{Rejection, Who};

/// Why a restricted update is rejected, without the wording of free-text reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `object` (`"object"`) or `oldObject` is absent.
    MissingObject(&'static str),
    /// `object` or `oldObject` (which one) is not an object, or cannot be compared.
    MalformedObject(&'static str),
    ChangedBeyondAnnotations(Vec<String>),
    ChangedLabelsOrStatus(Vec<String>),
    AnnotationKeysNotAllowed(Vec<String>),
    OtherNode {
        bound_node: String,
    },
    PodOnOtherNode {
        bound_node: String,
        pod_node: String,
    },
    PodNotScheduled {
        bound_node: String,
    },
    MissingNodeClaim,
    MalformedNodeClaim,
}

/// How a request is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The payload or its settings cannot be read as a request.
    Unreadable,
    /// A restricted subject's update: who updates what, and why not.
    Restricted(Who, Reason),
}

impl Refusal {
    /// The shipped policy's rejection, stated the same way.
    pub fn of(rejection: &Rejection) -> Refusal {
        use Reason::*;
        let (who, reason) = match rejection {
            Rejection::Request(_) => return Refusal::Unreadable,
            Rejection::MissingObject { who, field } => (who, MissingObject(field)),
            Rejection::MalformedObject { who, field, .. } => (who, MalformedObject(field)),
            Rejection::ChangedBeyondAnnotations { who, fields } => {
                (who, ChangedBeyondAnnotations(fields.clone()))
            }
            Rejection::ChangedLabelsOrStatus { who, fields } => {
                (who, ChangedLabelsOrStatus(fields.clone()))
            }
            Rejection::AnnotationKeysNotAllowed { who, keys } => {
                (who, AnnotationKeysNotAllowed(keys.clone()))
            }
            Rejection::OtherNode { who, bound_node } => (
                who,
                OtherNode {
                    bound_node: bound_node.clone(),
                },
            ),
            Rejection::PodOnOtherNode {
                who,
                bound_node,
                pod_node,
            } => (
                who,
                PodOnOtherNode {
                    bound_node: bound_node.clone(),
                    pod_node: pod_node.clone(),
                },
            ),
            Rejection::PodNotScheduled { who, bound_node } => (
                who,
                PodNotScheduled {
                    bound_node: bound_node.clone(),
                },
            ),
            Rejection::MissingNodeClaim { who } => (who, MissingNodeClaim),
            Rejection::MalformedNodeClaim { who, .. } => (who, MalformedNodeClaim),
        };
        Refusal::Restricted(who.clone(), reason)
    }
}

impl From<policy_glue::reference::Unreadable> for Refusal {
    fn from(_: policy_glue::reference::Unreadable) -> Self {
        Refusal::Unreadable
    }
}
