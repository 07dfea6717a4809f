//! Every reason this policy rejects a request.

use policy_glue::RequestError;
use thiserror::Error;

/// Most changed fields a rejection message lists before summarising the rest.
pub const MAX_LISTED_FIELDS: usize = 10;

/// Formats a list of field paths or keys, capped at [`MAX_LISTED_FIELDS`].
pub fn list(items: &[String]) -> String {
    let mut listed = items
        .iter()
        .take(MAX_LISTED_FIELDS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX_LISTED_FIELDS {
        listed.push_str(&format!(" and {} more", items.len() - MAX_LISTED_FIELDS));
    }
    listed
}

/// Who updates what: the context every rejection of a restricted update names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// The restricted username.
    pub subject: String,
    /// `Pod` or `Node`.
    pub kind: String,
    /// `namespace/name` of a Pod, `name` of a Node.
    pub name: String,
}

/// Why a request is rejected.
#[derive(Error, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The request or its settings cannot be read.
    #[error(transparent)]
    Request(#[from] RequestError),

    /// `object` or `oldObject` is absent.
    #[error("{} may not update {} {}: request.{field} is missing", .who.subject, .who.kind, .who.name)]
    MissingObject { who: Who, field: &'static str },

    /// `object` or `oldObject` is not an object, or cannot be compared.
    #[error("{} may not update {} {}: request.{field} is not a JSON object: {reason}", .who.subject, .who.kind, .who.name)]
    MalformedObject {
        who: Who,
        field: &'static str,
        reason: String,
    },

    /// `mode: annotations-only` and more than annotations changed.
    #[error("{} may only change annotations of {} {}: changed {}", .who.subject, .who.kind, .who.name, list(.fields))]
    ChangedBeyondAnnotations { who: Who, fields: Vec<String> },

    /// `mode: status-and-labels` and labels or status changed.
    #[error("{} may not change labels or status of {} {}: changed {}", .who.subject, .who.kind, .who.name, list(.fields))]
    ChangedLabelsOrStatus { who: Who, fields: Vec<String> },

    /// Annotations outside `allowedAnnotationKeys` changed.
    #[error("{} may not change annotations {} of {} {}: not in allowedAnnotationKeys", .who.subject, list(.keys), .who.kind, .who.name)]
    AnnotationKeysNotAllowed { who: Who, keys: Vec<String> },

    /// A token bound to one Node updates another Node.
    #[error("{} is bound to Node {bound_node} and may not update Node {}", .who.subject, .who.name)]
    OtherNode { who: Who, bound_node: String },

    /// A token bound to one Node updates a Pod on another.
    #[error("{} is bound to Node {bound_node} and may not update Pod {}, which runs on Node {pod_node}", .who.subject, .who.name)]
    PodOnOtherNode {
        who: Who,
        bound_node: String,
        pod_node: String,
    },

    /// A token bound to a Node updates a Pod not scheduled yet.
    #[error("{} is bound to Node {bound_node} and may not update Pod {}, which is not scheduled on any Node", .who.subject, .who.name)]
    PodNotScheduled { who: Who, bound_node: String },

    /// `nodeBinding: required` and the token has no node-name claim (a legacy Secret token).
    #[error("{} may not update {} {}: its token carries no node-name claim (authentication.kubernetes.io/node-name) and nodeBinding is required", .who.subject, .who.kind, .who.name)]
    MissingNodeClaim { who: Who },

    /// The node-name claim is not one Node name.
    #[error("{} may not update {} {}: malformed node-name claim: {reason}", .who.subject, .who.kind, .who.name)]
    MalformedNodeClaim { who: Who, reason: String },
}
