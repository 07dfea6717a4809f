//! The reference for this policy: a plain model of the scheduler's node filters (nodeSelector,
//! required node affinity, taints and tolerations). Property: on generated controller Pods and
//! Nodes, a mutated Pod schedules only on secure Nodes, and on every secure Node the original
//! Pod's own constraints allowed; a Pod accepted unchanged already does; a rejected Pod could
//! not be placed on any secure Node.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::evaluate;

const CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";
const ARCH: &str = "kubernetes.io/arch";

#[derive(Debug, Clone)]
struct Node {
    name: &'static str,
    labels: BTreeMap<String, String>,
    /// key, value, effect
    taints: Vec<(String, String, String)>,
}

fn label_matches(labels: &BTreeMap<String, String>, expression: &Value) -> bool {
    let key = expression["key"].as_str().unwrap_or_default();
    let values: Vec<&str> = expression["values"]
        .as_array()
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
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
    let values: Vec<&str> = expression["values"]
        .as_array()
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match expression["operator"].as_str() {
        Some("In") => values.contains(&node.name),
        Some("NotIn") => !values.contains(&node.name),
        _ => false,
    }
}

/// Whether the Pod's nodeSelector and required node affinity admit the Node.
fn selected(spec: &Value, node: &Node) -> bool {
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
fn tolerated(spec: &Value, node: &Node) -> bool {
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

fn schedulable(spec: &Value, node: &Node) -> bool {
    selected(spec, node) && tolerated(spec, node)
}

fn secure(node: &Node) -> bool {
    node.labels.contains_key(CONTROL_PLANE)
}

fn nodes() -> Vec<Node> {
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

fn expression() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![CONTROL_PLANE, ARCH]),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        prop::sample::subsequence(vec!["", "x", "amd64", "arm64"], 1..3),
    )
        .prop_map(|(key, operator, values)| match operator {
            "Exists" | "DoesNotExist" => json!({"key": key, "operator": operator}),
            _ => json!({"key": key, "operator": operator, "values": values}),
        })
}

fn term() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(expression(), 0..3),
        prop::option::of(prop::sample::select(vec!["cp-1", "w-1"])),
    )
        .prop_map(|(expressions, field)| {
            let mut term = json!({});
            if !expressions.is_empty() {
                term["matchExpressions"] = json!(expressions);
            }
            if let Some(name) = field {
                term["matchFields"] =
                    json!([{"key": "metadata.name", "operator": "In", "values": [name]}]);
            }
            term
        })
}

fn toleration() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!({"key": CONTROL_PLANE, "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": CONTROL_PLANE, "effect": "NoSchedule"}),
        json!({"key": CONTROL_PLANE, "operator": "Equal", "value": "x"}),
        json!({"operator": "Exists"}),
        json!({"key": "other", "operator": "Exists"}),
    ])
}

fn pod_spec() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec![
            json!({ARCH: "amd64"}),
            json!({CONTROL_PLANE: ""}),
            json!({CONTROL_PLANE: "x", ARCH: "arm64"}),
        ])),
        prop::option::of(prop::collection::vec(term(), 1..3)),
        prop::collection::vec(toleration(), 0..3),
    )
        .prop_map(|(selector, terms, tolerations)| {
            let mut spec = json!({"serviceAccountName": "antrea-controller", "containers": [{"name": "c", "image": "i"}]});
            if let Some(selector) = selector {
                spec["nodeSelector"] = selector;
            }
            if let Some(terms) = terms {
                spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}});
            }
            if !tolerations.is_empty() {
                spec["tolerations"] = json!(tolerations);
            }
            spec
        })
}

fn payload(spec: &Value) -> Vec<u8> {
    let request = json!({
        "uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
        "namespace": "kube-system", "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "antrea-controller-"}, "spec": spec},
    });
    serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn placement_agrees_with_the_scheduler_model(spec in pod_spec()) {
        let nodes = nodes();
        match evaluate(&payload(&spec)) {
            Ok(Some(mutated)) => {
                let mutated = &mutated["spec"];
                // Complete and idempotent: the mutated Pod is accepted unchanged.
                prop_assert_eq!(evaluate(&payload(mutated)), Ok(None));
                for node in &nodes {
                    if schedulable(mutated, node) {
                        prop_assert!(secure(node), "mutated Pod schedules on {node:?}: {mutated}");
                    }
                    if secure(node) && selected(&spec, node) {
                        prop_assert!(schedulable(mutated, node), "mutated Pod lost {node:?}: {mutated}");
                    }
                }
            }
            Ok(None) => {
                for node in &nodes {
                    if schedulable(&spec, node) {
                        prop_assert!(secure(node), "accepted Pod schedules on {node:?}: {spec}");
                    }
                    if secure(node) && selected(&spec, node) {
                        prop_assert!(tolerated(&spec, node), "accepted Pod does not tolerate {node:?}: {spec}");
                    }
                }
            }
            Err(rejection) => {
                for node in nodes.iter().filter(|n| secure(n)) {
                    prop_assert!(!selected(&spec, node), "rejected ({rejection}) but {node:?} was possible: {spec}");
                }
            }
        }
    }
}
