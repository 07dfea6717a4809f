use super::*;
use rstest::rstest;
use serde_json::{json, Value};

const AGENT: &str = "system:serviceaccount:kube-system:antrea-agent";

fn pod() -> Value {
    serde_json::from_str(include_str!("../test_data/pod.json")).unwrap()
}

fn node() -> Value {
    serde_json::from_str(include_str!("../test_data/node.json")).unwrap()
}

fn bound_to(node: &str) -> Value {
    json!({ NODE_NAME_CLAIM: [node], "authentication.kubernetes.io/pod-name": ["antrea-agent-x2x9k"] })
}

struct Case {
    kind: &'static str,
    group: &'static str,
    operation: &'static str,
    username: &'static str,
    extra: Option<Value>,
    old: Option<Value>,
    new: Option<Value>,
    settings: Value,
}

impl Case {
    fn pod(change: impl FnOnce(&mut Value)) -> Self {
        let old = pod();
        let mut new = old.clone();
        change(&mut new);
        Case {
            kind: "Pod",
            group: "",
            operation: "UPDATE",
            username: AGENT,
            extra: Some(bound_to("worker-1")),
            old: Some(old),
            new: Some(new),
            settings: json!({}),
        }
    }

    fn node(change: impl FnOnce(&mut Value)) -> Self {
        let old = node();
        let mut new = old.clone();
        change(&mut new);
        Case {
            kind: "Node",
            ..Case::pod(|_| ())
        }
        .with_objects(old, new)
    }

    fn with_objects(mut self, old: Value, new: Value) -> Self {
        self.old = Some(old);
        self.new = Some(new);
        self
    }

    fn payload(&self) -> Vec<u8> {
        let mut user_info = json!({"username": self.username, "groups": ["system:serviceaccounts", "system:authenticated"]});
        if let Some(extra) = &self.extra {
            user_info["extra"] = extra.clone();
        }
        let resource = if self.kind == "Pod" { "pods" } else { "nodes" };
        let mut request = json!({
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": self.group, "version": "v1", "kind": self.kind},
            "resource": {"group": self.group, "version": "v1", "resource": resource},
            "subResource": "status",
            "name": "web-1",
            "namespace": "tenant-a",
            "operation": self.operation,
            "userInfo": user_info,
        });
        if let Some(old) = &self.old {
            request["oldObject"] = old.clone();
        }
        if let Some(new) = &self.new {
            request["object"] = new.clone();
        }
        serde_json::to_vec(&json!({"request": request, "settings": self.settings})).unwrap()
    }

    fn verdict(&self) -> Result<(), String> {
        evaluate(&self.payload()).map_err(|rejection| rejection.to_string())
    }
}

fn set(value: &mut Value, pointer: &str, new: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    let key = key.as_str();
    let parent = if parent.is_empty() {
        value
    } else {
        if value.pointer(parent).is_none() {
            set(value, parent, json!({}));
        }
        value.pointer_mut(parent).unwrap()
    };
    match new {
        Value::Null => {
            parent.as_object_mut().unwrap().remove(key);
        }
        new => {
            parent[key] = new;
        }
    }
}

fn npl_annotation(pod: &mut Value) {
    set(pod, "/metadata/annotations/nodeportlocal.antrea.io", json!("[{\"podPort\":8080,\"nodeIP\":\"172.18.0.3\",\"nodePort\":61001,\"protocol\":\"tcp\"}]"));
}

#[rstest]
#[case::annotation_added(Case::pod(npl_annotation))]
#[case::annotation_changed(Case::pod(|p| set(p, "/metadata/annotations/kubernetes.io~1psp", json!("other"))))]
#[case::annotation_removed(Case::pod(|p| set(p, "/metadata/annotations/kubernetes.io~1psp", Value::Null)))]
#[case::all_annotations_removed(Case::pod(|p| set(p, "/metadata/annotations", Value::Null)))]
#[case::full_put_with_reordered_keys(Case::pod(|p| {
    npl_annotation(p);
    let reordered: serde_json::Map<String, Value> = p.as_object().unwrap().clone().into_iter().rev().collect();
    *p = Value::Object(reordered);
}))]
#[case::managed_fields_and_resource_version(Case::pod(|p| {
    set(p, "/metadata/resourceVersion", json!("48999"));
    set(p, "/metadata/managedFields", json!([{"manager": "antrea-agent", "operation": "Update"}]));
    set(p, "/metadata/generation", json!(7));
}))]
#[case::unlabeled_pod(Case::pod(npl_annotation).with_objects(
    { let mut p = pod(); set(&mut p, "/metadata/labels", Value::Null); p },
    { let mut p = pod(); set(&mut p, "/metadata/labels", Value::Null); npl_annotation(&mut p); p }))]
#[case::empty_labels_vs_absent(Case::pod(|_| ()).with_objects(
    { let mut p = pod(); set(&mut p, "/metadata/labels", Value::Null); p },
    { let mut p = pod(); set(&mut p, "/metadata/labels", json!({})); p }))]
#[case::network_status_annotation(Case::pod(|p| set(p, "/metadata/annotations/k8s.v1.cni.cncf.io~1network-status", json!("[]"))))]
#[case::node_annotation(Case::node(|n| set(n, "/metadata/annotations/node.antrea.io~1wireguard-public-key", json!("x25519key"))))]
#[case::node_many_images(Case::node(|n| set(n, "/metadata/annotations/node.antrea.io~1bgp-router-id", json!("10.0.0.1"))).with_objects(
    { let mut n = node(); set(&mut n, "/status/images", json!((0..600).map(|i| json!({"names": [format!("registry.example/image-{i}:v1")], "sizeBytes": 1000 + i})).collect::<Vec<_>>())); n },
    { let mut n = node(); set(&mut n, "/status/images", json!((0..600).map(|i| json!({"names": [format!("registry.example/image-{i}:v1")], "sizeBytes": 1000 + i})).collect::<Vec<_>>())); set(&mut n, "/metadata/annotations/node.antrea.io~1bgp-router-id", json!("10.0.0.1")); n }))]
#[case::terminating_pod_annotation(Case::pod(npl_annotation).with_objects(
    { let mut p = pod(); set(&mut p, "/metadata/deletionTimestamp", json!("2026-11-26T10:00:00Z")); set(&mut p, "/metadata/deletionGracePeriodSeconds", json!(30)); p },
    { let mut p = pod(); set(&mut p, "/metadata/deletionTimestamp", json!("2026-11-26T10:00:00Z")); set(&mut p, "/metadata/deletionGracePeriodSeconds", json!(30)); npl_annotation(&mut p); p }))]
#[case::kubelet_changes_status(Case { username: "system:node:worker-1", extra: None, ..Case::pod(|p| set(p, "/status/phase", json!("Failed"))) })]
#[case::other_service_account_relabels(Case { username: "system:serviceaccount:kube-system:replicaset-controller", ..Case::pod(|p| set(p, "/metadata/labels/app", json!("evil"))) })]
#[case::similar_username_is_not_restricted(Case { username: "system:serviceaccount:kube-system:antrea-agent-x", ..Case::pod(|p| set(p, "/metadata/labels/app", json!("evil"))) })]
#[case::antrea_crd_status_is_out_of_scope(Case { kind: "ExternalNode", group: "crd.antrea.io", ..Case::pod(|p| set(p, "/status/phase", json!("x"))) })]
#[case::create_is_out_of_scope(Case { operation: "CREATE", ..Case::pod(|p| set(p, "/metadata/labels/app", json!("evil"))) })]
#[case::delete_is_out_of_scope(Case { operation: "DELETE", new: None, ..Case::pod(|_| ()) })]
#[case::nothing_changed(Case::pod(|_| ()))]
#[case::status_and_labels_mode_allows_finalizers(Case { settings: json!({"mode": "status-and-labels"}), ..Case::pod(|p| set(p, "/metadata/finalizers", json!(["example.com/block"]))) })]
#[case::status_and_labels_mode_unlabeled_pod(Case { settings: json!({"mode": "status-and-labels"}), ..Case::pod(npl_annotation).with_objects(
    { let mut p = pod(); set(&mut p, "/metadata/labels", Value::Null); p },
    { let mut p = pod(); set(&mut p, "/metadata/labels", json!({})); npl_annotation(&mut p); p }) })]
#[case::node_binding_own_node(Case::node(|n| set(n, "/metadata/annotations/node.antrea.io~1mac-address", json!("ae:3c:12:7f:00:02"))))]
#[case::node_binding_disabled_other_node(Case { extra: Some(bound_to("worker-2")), settings: json!({"nodeBinding": "disabled"}), ..Case::node(|n| set(n, "/metadata/annotations/a", json!("b"))) })]
#[case::node_binding_if_present_without_claim(Case { extra: None, ..Case::pod(npl_annotation) })]
#[case::node_binding_required_with_claim(Case { settings: json!({"nodeBinding": "required"}), ..Case::pod(npl_annotation) })]
#[case::allowed_annotation_exact(Case { settings: json!({"allowedAnnotationKeys": ["nodeportlocal.antrea.io"]}), ..Case::pod(npl_annotation) })]
#[case::allowed_annotation_prefix(Case { settings: json!({"allowedAnnotationKeys": ["node.antrea.io/"]}), ..Case::node(|n| set(n, "/metadata/annotations/node.antrea.io~1mac-address", json!("x"))) })]
#[case::non_default_username(Case { username: "system:serviceaccount:antrea:antrea-agent", settings: json!({"usernames": ["system:serviceaccount:antrea:antrea-agent"]}), ..Case::pod(npl_annotation) })]
fn accepted(#[case] case: Case) {
    assert_eq!(case.verdict(), Ok(()));
}

#[rstest]
#[case::label_added(Case::pod(|p| set(p, "/metadata/labels/role", json!("db"))),
    "system:serviceaccount:kube-system:antrea-agent may only change annotations of Pod tenant-a/web-1: changed metadata.labels.role")]
#[case::label_changed(Case::pod(|p| set(p, "/metadata/labels/app", json!("db"))),
    "system:serviceaccount:kube-system:antrea-agent may only change annotations of Pod tenant-a/web-1: changed metadata.labels.app")]
#[case::label_removed(Case::pod(|p| set(p, "/metadata/labels/app", Value::Null)),
    "system:serviceaccount:kube-system:antrea-agent may only change annotations of Pod tenant-a/web-1: changed metadata.labels.app")]
#[case::label_added_to_unlabeled_pod(Case::pod(|_| ()).with_objects(
    { let mut p = pod(); set(&mut p, "/metadata/labels", Value::Null); p },
    { let mut p = pod(); set(&mut p, "/metadata/labels", json!({"app.kubernetes.io/name": "db"})); p }),
    "system:serviceaccount:kube-system:antrea-agent may only change annotations of Pod tenant-a/web-1: changed metadata.labels[\"app.kubernetes.io/name\"]")]
#[case::label_and_finalizer(Case::pod(|p| { set(p, "/metadata/labels/app", json!("db")); set(p, "/metadata/finalizers", json!(["example.com/block"])); }),
    "system:serviceaccount:kube-system:antrea-agent may only change annotations of Pod tenant-a/web-1: changed metadata.finalizers, metadata.labels.app")]
#[case::annotation_and_label_in_one_put(Case::pod(|p| { npl_annotation(p); set(p, "/metadata/labels/app", json!("db")); }),
    "changed metadata.labels.app")]
#[case::finalizer_removed(Case::pod(|p| set(p, "/metadata/finalizers", Value::Null)).with_objects(
    { let mut p = pod(); set(&mut p, "/metadata/finalizers", json!(["kubernetes.io/pvc-protection"])); p },
    pod()),
    "changed metadata.finalizers")]
#[case::pod_status_phase(Case::pod(|p| set(p, "/status/phase", json!("Failed"))), "changed status.phase")]
#[case::pod_condition(Case::pod(|p| set(p, "/status/conditions/1/status", json!("False"))), "changed status.conditions")]
#[case::pod_owner_reference(Case::pod(|p| set(p, "/metadata/ownerReferences", json!([]))), "changed metadata.ownerReferences")]
#[case::node_allocatable(Case::node(|n| set(n, "/status/allocatable/pods", json!("0"))), "Node worker-1: changed status.allocatable.pods")]
#[case::node_condition(Case::node(|n| set(n, "/status/conditions/1/status", json!("False"))), "changed status.conditions")]
#[case::node_owner_reference(Case::node(|n| set(n, "/metadata/ownerReferences", json!([{"apiVersion": "v1", "kind": "Pod", "name": "gone", "uid": "1"}]))), "changed metadata.ownerReferences")]
#[case::node_label(Case::node(|n| set(n, "/metadata/labels/node-role.kubernetes.io~1control-plane", json!(""))), "changed metadata.labels[\"node-role.kubernetes.io/control-plane\"]")]
#[case::status_and_labels_mode_label(Case { settings: json!({"mode": "status-and-labels"}), ..Case::pod(|p| set(p, "/metadata/labels/app", json!("db"))) },
    "system:serviceaccount:kube-system:antrea-agent may not change labels or status of Pod tenant-a/web-1: changed metadata.labels.app")]
#[case::status_and_labels_mode_status(Case { settings: json!({"mode": "status-and-labels"}), ..Case::node(|n| set(n, "/status/allocatable/cpu", json!("0"))) },
    "may not change labels or status of Node worker-1: changed status.allocatable.cpu")]
#[case::node_binding_other_node(Case { extra: Some(bound_to("worker-2")), ..Case::node(|n| set(n, "/metadata/annotations/a", json!("b"))) },
    "system:serviceaccount:kube-system:antrea-agent is bound to Node worker-2 and may not update Node worker-1")]
#[case::node_binding_other_nodes_pod(Case { extra: Some(bound_to("worker-2")), ..Case::pod(npl_annotation) },
    "system:serviceaccount:kube-system:antrea-agent is bound to Node worker-2 and may not update Pod tenant-a/web-1, which runs on Node worker-1")]
#[case::node_binding_unscheduled_pod(Case::pod(npl_annotation).with_objects(
    { let mut p = pod(); set(&mut p, "/spec/nodeName", Value::Null); p },
    { let mut p = pod(); set(&mut p, "/spec/nodeName", Value::Null); npl_annotation(&mut p); p }),
    "is bound to Node worker-1 and may not update Pod tenant-a/web-1, which is not scheduled on any Node")]
#[case::node_binding_pod_node_read_from_old_object(Case::pod(|p| { set(p, "/spec/nodeName", json!("worker-1")); }).with_objects(
    { let mut p = pod(); set(&mut p, "/spec/nodeName", json!("worker-9")); p },
    pod()),
    "which runs on Node worker-9")]
#[case::node_binding_required_missing_claim(Case { extra: None, settings: json!({"nodeBinding": "required"}), ..Case::pod(npl_annotation) },
    "system:serviceaccount:kube-system:antrea-agent may not update Pod tenant-a/web-1: its token carries no node-name claim (authentication.kubernetes.io/node-name) and nodeBinding is required")]
#[case::node_binding_two_claims(Case { extra: Some(json!({NODE_NAME_CLAIM: ["worker-1", "worker-2"]})), ..Case::pod(npl_annotation) },
    "malformed node-name claim: expected one Node name")]
#[case::node_binding_claim_not_a_list(Case { extra: Some(json!({NODE_NAME_CLAIM: "worker-1"})), ..Case::pod(npl_annotation) },
    "malformed node-name claim: userInfo.extra")]
#[case::unlisted_annotation_added(Case { settings: json!({"allowedAnnotationKeys": ["nodeportlocal.antrea.io"]}), ..Case::pod(|p| set(p, "/metadata/annotations/example.com~1x", json!("y"))) },
    "system:serviceaccount:kube-system:antrea-agent may not change annotations example.com/x of Pod tenant-a/web-1: not in allowedAnnotationKeys")]
#[case::unlisted_annotation_removed(Case { settings: json!({"allowedAnnotationKeys": ["nodeportlocal.antrea.io"]}), ..Case::pod(|p| set(p, "/metadata/annotations/kubernetes.io~1psp", Value::Null)) },
    "may not change annotations kubernetes.io/psp of Pod")]
#[case::prefix_needs_whole_segment(Case { settings: json!({"allowedAnnotationKeys": ["node.antrea.io/"]}), ..Case::node(|n| set(n, "/metadata/annotations/node.antrea.io.evil~1x", json!("y"))) },
    "may not change annotations node.antrea.io.evil/x of Node worker-1")]
#[case::non_default_username(Case { username: "system:serviceaccount:antrea:antrea-agent", settings: json!({"usernames": ["system:serviceaccount:antrea:antrea-agent"]}), ..Case::pod(|p| set(p, "/metadata/labels/app", json!("x"))) },
    "system:serviceaccount:antrea:antrea-agent may only change annotations of Pod tenant-a/web-1: changed metadata.labels.app")]
#[case::missing_object(Case { new: None, ..Case::pod(|_| ()) },
    "system:serviceaccount:kube-system:antrea-agent may not update Pod tenant-a/web-1: request.object is missing")]
#[case::null_old_object(Case { old: Some(Value::Null), ..Case::pod(|_| ()) },
    "system:serviceaccount:kube-system:antrea-agent may not update Pod tenant-a/web-1: request.oldObject is missing")]
#[case::object_is_a_string(Case { new: Some(json!("pod")), ..Case::pod(|_| ()) },
    "may not update Pod tenant-a/web-1: request.object is not a JSON object: found a string")]
#[case::object_is_a_list(Case { old: Some(json!([])), ..Case::pod(|_| ()) },
    "request.oldObject is not a JSON object: found a list")]
fn rejected(#[case] case: Case, #[case] message: &str) {
    let verdict = case.verdict();
    let error = verdict.expect_err("the request must be rejected");
    assert!(
        error.contains(message),
        "message {error:?} does not contain {message:?}"
    );
}

#[test]
fn long_lists_of_changes_are_capped() {
    let case = Case::pod(|p| {
        for i in 0..25 {
            set(p, &format!("/metadata/labels/l{i:02}"), json!("x"));
        }
    });
    let error = case.verdict().unwrap_err();
    assert!(
        error.ends_with("metadata.labels.l09 and 15 more"),
        "{error}"
    );
}

#[test]
fn escaped_username_is_still_restricted() {
    let payload = Case::pod(|p| set(p, "/metadata/labels/app", json!("x"))).payload();
    let escaped = String::from_utf8(payload).unwrap().replace(
        "kube-system:antrea-agent\"",
        "kube-system:antrea-agen\\u0074\"",
    );
    assert!(escaped.contains("\\u0074"));
    assert!(evaluate(escaped.as_bytes()).is_err());
}

#[rstest]
#[case::not_json(b"not json".as_slice())]
#[case::truncated(br#"{"request": {"uid": "1""#.as_slice())]
#[case::no_request(br#"{"settings": {}}"#.as_slice())]
#[case::request_not_an_object(br#"{"request": 1, "settings": {}}"#.as_slice())]
#[case::invalid_utf8(b"{\"request\": \"\xff\"}".as_slice())]
fn unparseable_payload_is_rejected(#[case] payload: &[u8]) {
    let error = evaluate(payload).unwrap_err().to_string();
    assert!(
        error.starts_with("cannot parse the admission request: "),
        "{error}"
    );
}

#[test]
fn duplicate_keys_are_rejected() {
    let payload = br#"{"request": {"uid": "1", "kind": {"group": "", "kind": "Pod"}, "kind": {"group": "", "kind": "Pod"}, "operation": "UPDATE", "userInfo": {"username": "a"}}, "settings": {}}"#;
    let error = evaluate(payload).unwrap_err().to_string();
    assert!(error.contains("duplicate field `kind`"), "{error}");
}

#[rstest]
#[case::defaults(json!({}), true, None)]
#[case::unknown_key(json!({"usernmes": ["a"]}), false, Some("invalid settings: unknown field `usernmes`"))]
#[case::unknown_mode(json!({"mode": "labels"}), false, Some("invalid settings: unknown variant `labels`"))]
#[case::empty_usernames(json!({"usernames": []}), false, Some("usernames must name at least one user"))]
fn settings_validation(
    #[case] settings: Value,
    #[case] valid: bool,
    #[case] message: Option<&str>,
) {
    policy_glue::questions::assert_settings_answer(validate_settings, &settings, valid, message);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const SERVER_MANAGED: [&str; 4] = [
        "/metadata/annotations",
        "/metadata/managedFields",
        "/metadata/resourceVersion",
        "/metadata/generation",
    ];

    /// JSON pointers of every scalar in `value`.
    fn leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    leaves(
                        child,
                        format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    leaves(child, format!("{pointer}/{index}"), out);
                }
            }
            _ => out.push(pointer),
        }
    }

    fn authored_leaves(object: &Value) -> Vec<String> {
        let mut out = Vec::new();
        leaves(object, String::new(), &mut out);
        out.retain(|p| !SERVER_MANAGED.iter().any(|m| p.starts_with(m)));
        out
    }

    fn changed_scalar(value: &Value, salt: &str) -> Value {
        match value {
            Value::String(s) => json!(format!("{s}{salt}x")),
            Value::Number(n) => json!(n.as_f64().unwrap_or(0.0) + 1.0),
            Value::Bool(b) => json!(!b),
            _ => json!(salt),
        }
    }

    fn object(kind: &str) -> Value {
        if kind == "Pod" {
            pod()
        } else {
            node()
        }
    }

    fn annotation_edits() -> impl Strategy<Value = Vec<(String, Option<String>)>> {
        prop::collection::vec(
            (
                "[a-z.]{1,8}(/[a-z-]{1,8})?",
                prop::option::of("[ -~]{0,16}"),
            ),
            0..6,
        )
    }

    /// Recursively rebuilds objects with their keys in reverse order.
    fn reorder(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut pairs: Vec<(&String, &Value)> = map.iter().collect();
                pairs.reverse();
                let mut out = serde_json::Map::new();
                for (key, child) in pairs {
                    out.insert(key.clone(), reorder(child));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(reorder).collect()),
            other => other.clone(),
        }
    }

    proptest! {
        #[test]
        fn annotations_and_server_managed_fields_are_always_accepted(
            kind in prop::sample::select(vec!["Pod", "Node"]),
            edits in annotation_edits(),
            resource_version in "[0-9]{1,8}",
            managed in any::<bool>(),
        ) {
            let old = object(kind);
            let mut new = old.clone();
            for (key, value) in &edits {
                let annotations = new["metadata"].as_object_mut().unwrap().entry("annotations").or_insert(json!({}));
                match value {
                    Some(value) => { annotations[key.as_str()] = json!(value); }
                    None => { annotations.as_object_mut().unwrap().remove(key.as_str()); }
                }
            }
            new["metadata"]["resourceVersion"] = json!(resource_version);
            if managed {
                new["metadata"]["managedFields"] = json!([{"manager": "antrea-agent", "operation": "Update"}]);
            }
            let case = Case { kind: if kind == "Pod" { "Pod" } else { "Node" }, ..Case::pod(|_| ()) }.with_objects(old, new);
            prop_assert_eq!(case.verdict(), Ok(()));
        }

        #[test]
        fn any_other_change_is_rejected(kind in prop::sample::select(vec!["Pod", "Node"]), pick in any::<prop::sample::Index>(), salt in "[a-z]{1,4}") {
            let old = object(kind);
            let targets = authored_leaves(&old);
            let target = &targets[pick.index(targets.len())];
            let mut new = old.clone();
            let current = new.pointer(target).unwrap().clone();
            *new.pointer_mut(target).unwrap() = changed_scalar(&current, &salt);
            let case = Case { kind: if kind == "Pod" { "Pod" } else { "Node" }, extra: None, ..Case::pod(|_| ()) }.with_objects(old, new);
            let verdict = case.verdict();
            prop_assert!(verdict.is_err(), "changing {} was accepted", target);
            prop_assert!(verdict.unwrap_err().contains("may only change annotations"));
        }

        #[test]
        fn key_order_and_empty_spellings_do_not_matter(kind in prop::sample::select(vec!["Pod", "Node"]), empty in prop::sample::select(vec![json!(null), json!({}), json!([])]), drop_labels in any::<bool>()) {
            let mut old = object(kind);
            if drop_labels {
                old["metadata"].as_object_mut().unwrap().remove("labels");
            }
            let mut new = reorder(&old);
            if drop_labels {
                new["metadata"]["labels"] = empty.clone();
            }
            new["metadata"]["finalizers"] = empty;
            let case = Case { kind: if kind == "Pod" { "Pod" } else { "Node" }, ..Case::pod(|_| ()) }.with_objects(old, new);
            prop_assert_eq!(case.verdict(), Ok(()));
        }
    }
}

#[test]
fn deeply_nested_object_is_rejected_without_recursion() {
    let payload =
        String::from_utf8(Case::pod(|p| set(p, "/status/deep", json!("PLACEHOLDER"))).payload())
            .unwrap()
            .replace(
                r#""PLACEHOLDER""#,
                &format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)),
            );
    let error = evaluate(payload.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        error,
        "cannot parse the admission request: JSON nested deeper than 128 levels"
    );
}

#[rstest]
#[case::kubelet_status_update("pod-kubelet-status-update.json")]
#[case::annotation_added("pod-annotation-added.json")]
#[case::label_added("pod-label-added.json")]
#[case::finalizer_added("pod-finalizer-added.json")]
#[case::on_other_node("pod-on-other-node.json")]
#[case::node_annotation("node-annotation-changed.json")]
#[case::node_owner_reference("node-owner-reference-added.json")]
#[case::missing_object("pod-missing-object.json")]
fn member_order_does_not_change_the_verdict(#[case] name: &str) {
    let path = format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"));
    let request: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let sorted = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
    let typed = policy_glue::test_support::payload_in_type_order(&request, &json!({}));
    let verdict = |payload: &[u8]| evaluate(payload).map_err(|r| r.to_string());
    assert_eq!(verdict(&typed), verdict(&sorted));
}

#[test]
fn questions_ui_matches_the_settings() {
    policy_glue::questions::assert_form_matches::<settings::Settings>(include_str!(
        "../questions-ui.yml"
    ));
}
