//! Every reason this policy rejects a request.

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

/// Why a request is rejected.
#[derive(Error, Debug, PartialEq, Eq)]
pub enum Rejection {
    #[error("cannot parse the admission request: {0}")]
    InvalidPayload(String),

    #[error("{subject} may not update {kind} {name}: request.{field} is missing")]
    MissingObject {
        subject: String,
        kind: String,
        name: String,
        field: &'static str,
    },

    #[error(
        "{subject} may not update {kind} {name}: request.{field} is not a JSON object: {reason}"
    )]
    MalformedObject {
        subject: String,
        kind: String,
        name: String,
        field: &'static str,
        reason: String,
    },

    #[error("{subject} may only change annotations of {kind} {name}: changed {}", list(.fields))]
    ChangedBeyondAnnotations {
        subject: String,
        kind: String,
        name: String,
        fields: Vec<String>,
    },

    #[error("{subject} may not change labels or status of {kind} {name}: changed {}", list(.fields))]
    ChangedLabelsOrStatus {
        subject: String,
        kind: String,
        name: String,
        fields: Vec<String>,
    },

    #[error("{subject} may not change annotations {} of {kind} {name}: not in allowedAnnotationKeys", list(.keys))]
    AnnotationKeysNotAllowed {
        subject: String,
        kind: String,
        name: String,
        keys: Vec<String>,
    },

    #[error("{subject} is bound to Node {bound_node} and may not update Node {name}")]
    OtherNode {
        subject: String,
        bound_node: String,
        name: String,
    },

    #[error("{subject} is bound to Node {bound_node} and may not update Pod {name}, which runs on Node {pod_node}")]
    PodOnOtherNode {
        subject: String,
        bound_node: String,
        name: String,
        pod_node: String,
    },

    #[error("{subject} is bound to Node {bound_node} and may not update Pod {name}, which is not scheduled on any Node")]
    PodNotScheduled {
        subject: String,
        bound_node: String,
        name: String,
    },

    #[error("{subject} may not update {kind} {name}: its token carries no node-name claim (authentication.kubernetes.io/node-name) and nodeBinding is required")]
    MissingNodeClaim {
        subject: String,
        kind: String,
        name: String,
    },

    #[error("{subject} may not update {kind} {name}: malformed node-name claim: {reason}")]
    MalformedNodeClaim {
        subject: String,
        kind: String,
        name: String,
        reason: String,
    },
}
