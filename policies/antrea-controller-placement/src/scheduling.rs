//! The reference for this policy: a plain model of the scheduler's node filters (nodeSelector,
//! required node affinity, taints and tolerations) on a fixed set of Nodes, and what a verdict
//! must mean in it. The property tests (`tests/scheduling.rs`) and the `placement_differential`
//! fuzz target hold [`crate::evaluate`] to [`holds`]. It reads pod specs as plain JSON, shares
//! nothing with `placement`, and knows only the default settings: secure Nodes carry the
//! control-plane label and its `NoSchedule` taint.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Conflict, Rejection};

/// The control-plane label and taint: what makes a Node secure under the default settings.
pub const CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";
/// Another label the Nodes vary in, so that Pods can select or avoid some of them.
pub const ARCH: &str = "kubernetes.io/arch";

/// A Node as the scheduler's filters see it.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: &'static str,
    pub labels: BTreeMap<String, String>,
    /// key, value, effect
    pub taints: Vec<(String, String, String)>,
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn label_matches(labels: &BTreeMap<String, String>, expression: &Value) -> bool {
    let key = expression["key"].as_str().unwrap_or_default();
    let values = strings(&expression["values"]);
    let label = labels.get(key).map(String::as_str);
    match expression["operator"].as_str().unwrap_or_default() {
        "In" => label.is_some_and(|l| values.contains(&l)),
        "NotIn" => label.is_none_or(|l| !values.contains(&l)),
        "Exists" => label.is_some(),
        "DoesNotExist" => label.is_none(),
        _ => false,
    }
}

fn field_matches(node: &Node, expression: &Value) -> bool {
    let values = strings(&expression["values"]);
    match expression["operator"].as_str() {
        Some("In") => values.contains(&node.name),
        Some("NotIn") => !values.contains(&node.name),
        _ => false,
    }
}

/// Whether the Pod's nodeSelector and required node affinity admit the Node.
pub fn selected(spec: &Value, node: &Node) -> bool {
    let selector_ok = spec["nodeSelector"].as_object().is_none_or(|s| {
        s.iter()
            .all(|(k, v)| node.labels.get(k).map(String::as_str) == v.as_str())
    });
    let terms = &spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"];
    let affinity_ok = match terms.as_array() {
        None => true,
        Some(terms) => terms.iter().any(|term| {
            let expressions = term["matchExpressions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let fields = term["matchFields"].as_array().cloned().unwrap_or_default();
            // An empty term matches no Node.
            !(expressions.is_empty() && fields.is_empty())
                && expressions.iter().all(|e| label_matches(&node.labels, e))
                && fields.iter().all(|f| field_matches(node, f))
        }),
    };
    selector_ok && affinity_ok
}

/// Whether the Pod tolerates every NoSchedule/NoExecute taint of the Node.
pub fn tolerated(spec: &Value, node: &Node) -> bool {
    let tolerations = spec["tolerations"].as_array().cloned().unwrap_or_default();
    node.taints
        .iter()
        .filter(|(_, _, effect)| effect != "PreferNoSchedule")
        .all(|(key, value, effect)| {
            tolerations.iter().any(|t| {
                let t_key = t["key"].as_str().unwrap_or_default();
                let operator = t["operator"].as_str().unwrap_or("Equal");
                let t_effect = t["effect"].as_str().unwrap_or_default();
                (t_effect.is_empty() || t_effect == effect)
                    && (t_key == key || (t_key.is_empty() && operator == "Exists"))
                    && (operator == "Exists" || t["value"].as_str().unwrap_or_default() == value)
            })
        })
}

pub fn schedulable(spec: &Value, node: &Node) -> bool {
    selected(spec, node) && tolerated(spec, node)
}

pub fn secure(node: &Node) -> bool {
    node.labels.contains_key(CONTROL_PLANE)
}

/// Every combination of control-plane label (absent, empty, a value), architecture and taint.
pub fn nodes() -> Vec<Node> {
    let mut nodes = Vec::new();
    for control_plane in [None, Some(""), Some("x")] {
        for arch in [None, Some("amd64"), Some("arm64")] {
            for (name, taints) in [("cp-1", true), ("w-1", false)] {
                let mut labels = BTreeMap::new();
                if let Some(value) = control_plane {
                    labels.insert(CONTROL_PLANE.to_string(), value.to_string());
                }
                if let Some(arch) = arch {
                    labels.insert(ARCH.to_string(), arch.to_string());
                }
                let taints = match control_plane {
                    Some(value) if taints => vec![(
                        CONTROL_PLANE.to_string(),
                        value.to_string(),
                        "NoSchedule".to_string(),
                    )],
                    _ => Vec::new(),
                };
                nodes.push(Node {
                    name,
                    labels,
                    taints,
                });
            }
        }
    }
    nodes
}

/// Whether the verdict on a controller Pod with this spec (default settings) holds in the
/// model; `Err` names a Node that shows it does not:
/// - a mutated Pod schedules only on secure Nodes, and on every secure Node the original
///   Pod's own constraints selected;
/// - a Pod accepted unchanged schedules only on secure Nodes and tolerates every secure Node
///   it selects;
/// - a Pod rejected because its own constraints conflict (other than a preset `nodeName`,
///   which bypasses the scheduler) selects no secure Node.
///
/// Other rejections (a malformed spec, `mode: validate`) make no scheduling claim.
pub fn holds(spec: &Value, verdict: &Result<Option<Value>, Rejection>) -> Result<(), String> {
    for node in &nodes() {
        if let Some(broken) = broken_on(spec, verdict, node) {
            return Err(format!("{broken} {node:?}: {spec} → {verdict:?}"));
        }
    }
    Ok(())
}

/// What the verdict gets wrong about one Node, if anything.
fn broken_on(
    spec: &Value,
    verdict: &Result<Option<Value>, Rejection>,
    node: &Node,
) -> Option<&'static str> {
    let possible = secure(node) && selected(spec, node);
    match verdict {
        Ok(Some(pod)) => {
            let mutated = &pod["spec"];
            if schedulable(mutated, node) && !secure(node) {
                Some("the mutated Pod schedules on")
            } else if possible && !schedulable(mutated, node) {
                Some("the mutated Pod lost")
            } else {
                None
            }
        }
        Ok(None) if schedulable(spec, node) && !secure(node) => {
            Some("the accepted Pod schedules on")
        }
        Ok(None) if possible && !tolerated(spec, node) => {
            Some("the accepted Pod does not tolerate")
        }
        Err(Rejection::Conflict { conflict, .. })
            if possible && !matches!(**conflict, Conflict::NodeName(_)) =>
        {
            Some("the rejected Pod could run on")
        }
        _ => None,
    }
}

/// The `validate` payload of a Pod the ReplicaSet controller creates for antrea-controller in
/// kube-system, with `spec` and `mode`: what the property test and the differential fuzz
/// target hold to this model.
pub fn controller_pod_payload(spec: &Value, mode: &str) -> Vec<u8> {
    let request = serde_json::json!({
        "uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
        "namespace": "kube-system", "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "antrea-controller-"}, "spec": spec},
    });
    serde_json::to_vec(&serde_json::json!({"request": request, "settings": {"mode": mode}}))
        .expect("a JSON value serialises")
}
