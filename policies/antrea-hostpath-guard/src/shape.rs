//! Where each kind the policy judges holds its pod spec.

/// How an object kind holds its pod spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A Pod: `spec`.
    Pod,
    /// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController:
    /// `spec.template.spec`.
    Workload,
    /// A CronJob: `spec.jobTemplate.spec.template.spec`.
    CronJob,
    /// A PersistentVolume: `spec.hostPath` and `spec.local`.
    PersistentVolume,
}

impl Shape {
    /// The shape of a kind; `None` for kinds the policy accepts unread.
    pub fn of(group: &str, kind: &str) -> Option<Shape> {
        match (group, kind) {
            ("", "Pod") => Some(Shape::Pod),
            ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
            | ("batch", "Job")
            | ("", "ReplicationController") => Some(Shape::Workload),
            ("batch", "CronJob") => Some(Shape::CronJob),
            ("", "PersistentVolume") => Some(Shape::PersistentVolume),
            _ => None,
        }
    }

    /// The pod spec's path as messages spell it.
    pub fn pod_spec_name(self) -> &'static str {
        match self {
            Shape::Pod | Shape::PersistentVolume => "spec",
            Shape::Workload => "spec.template.spec",
            Shape::CronJob => "spec.jobTemplate.spec.template.spec",
        }
    }

    /// Where the pod spec sits in the object.
    pub fn pod_spec_path(self) -> &'static [&'static str] {
        match self {
            Shape::Pod | Shape::PersistentVolume => &["spec"],
            Shape::Workload => &["spec", "template", "spec"],
            Shape::CronJob => &["spec", "jobTemplate", "spec", "template", "spec"],
        }
    }
}
