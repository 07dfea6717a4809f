//! The kinds the policy judges: whatever holds a pod spec (where, policy-glue's `workload`
//! knows), and PersistentVolumes.

use policy_glue::workload::PodSpecAt;

/// What an object of a judged kind holds host paths in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A Pod or a workload's pod template: its hostPath volumes.
    Pods(PodSpecAt),
    /// A PersistentVolume: `spec.hostPath` and `spec.local`.
    PersistentVolume,
}

impl Shape {
    /// The shape of a kind; `None` for kinds the policy accepts unread.
    pub fn of(group: &str, kind: &str) -> Option<Shape> {
        match (group, kind) {
            ("", "PersistentVolume") => Some(Shape::PersistentVolume),
            _ => PodSpecAt::of(group, kind).map(Shape::Pods),
        }
    }
}
