//! Every reason this policy rejects a request.

use thiserror::Error;

use crate::settings::Requirement;

/// The object under review, for messages: `Pod kube-system/antrea-controller-…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// `Pod` or `Deployment`.
    pub kind: String,
    /// `namespace/name` (a Pod created by a ReplicaSet has only a `generateName`).
    pub name: String,
}

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// A Pod's own constraint that no secure Node can satisfy: adding the secure requirements
/// would make it unschedulable.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// `spec.nodeName` bypasses the scheduler.
    #[error("spec.nodeName is preset to {0}, which bypasses the scheduler")]
    NodeName(String),
    /// The `nodeSelector` asks for another value of a secure label.
    #[error("spec.nodeSelector {key}={value} contradicts the secure requirement {requirement}")]
    NodeSelector {
        key: String,
        value: String,
        requirement: Requirement,
    },
    /// Every required node-affinity term excludes the secure Nodes.
    #[error("every term of spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution contradicts the secure requirement {requirement}")]
    Terms { requirement: Requirement },
}

/// Why a request is rejected.
#[derive(Error, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The payload is not an admission request this policy can read.
    #[error("cannot parse the admission request: {0}")]
    InvalidPayload(String),

    /// The payload's JSON cannot be navigated.
    #[error("cannot parse the admission request: {0}")]
    Scan(#[from] json_scan::ScanError),

    /// A CREATE without `object`.
    #[error("{0} cannot be checked: request.object is missing")]
    MissingObject(Who),

    /// A pod spec whose scheduling fields have the wrong type.
    #[error("{who} cannot be checked: {reason}")]
    MalformedObject { who: Who, reason: String },

    /// The Pod's own constraints exclude every secure Node.
    #[error("{who} cannot be placed on secure Nodes: {conflict}")]
    Conflict {
        who: Who,
        #[source]
        conflict: Box<Conflict>,
    },

    /// `mode: validate` (or a Deployment) and the placement is incomplete.
    #[error("{who} must run on secure Nodes: missing {}", .missing.join("; "))]
    NotOnSecureNodes { who: Who, missing: Vec<String> },
}
