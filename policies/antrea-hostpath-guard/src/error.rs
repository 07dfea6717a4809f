//! Every reason this policy rejects a request.

use policy_glue::{RequestError, Target};
use thiserror::Error;

/// One hostPath (or PersistentVolume path) that reaches a protected path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where the path is written, e.g. `spec.template.spec.volumes[2] "host" hostPath`.
    pub location: String,
    /// The host path as written in the object.
    pub host_path: String,
    /// The protected path (or its equivalent spelling) it reaches.
    pub reaches: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} reaches protected path {}",
            self.location,
            serde_json::Value::from(self.host_path.as_str()),
            serde_json::Value::from(self.reaches.as_str())
        )
    }
}

fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a request is rejected.
#[derive(Error, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The request, its object or its settings cannot be read.
    #[error(transparent)]
    Request(#[from] RequestError),

    /// Host paths that reach protected paths.
    #[error("{target} mounts host paths that reach protected paths: {}", join(.violations))]
    ReachesProtectedPath {
        target: Target,
        violations: Vec<Violation>,
    },
}
