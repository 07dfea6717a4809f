//! Every reason this policy rejects a request.

use policy_glue::{RequestError, Target};
use thiserror::Error;

use crate::settings::Requirement;

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
    /// The request, its object or its settings cannot be read.
    #[error(transparent)]
    Request(#[from] RequestError),

    /// The Pod's own constraints exclude every secure Node.
    #[error("{target} cannot be placed on secure Nodes: {conflict}")]
    Conflict {
        target: Target,
        #[source]
        conflict: Box<Conflict>,
    },

    /// `mode: validate` (or a Deployment) and the placement is incomplete.
    #[error("{target} must run on secure Nodes: missing {}", .missing.join("; "))]
    NotOnSecureNodes {
        target: Target,
        missing: Vec<String>,
    },
}
