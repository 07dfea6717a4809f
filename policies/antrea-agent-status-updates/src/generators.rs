//! Requests generated from the fixtures, mutated, and settings varied: what the differential
//! tests (and the Gatekeeper edition's parity tests) feed both implementations of the rule.
//! Behind the `test-support` feature.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::NODE_NAME_CLAIM;
use policy_glue::test_support;

const AGENT: &str = "system:serviceaccount:kube-system:antrea-agent";
const HELM_AGENT: &str = "system:serviceaccount:antrea:antrea-agent";

/// Every fixture request in `test_data/` (pod.json and node.json are objects, not requests).
pub fn fixtures() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/test_data");
    test_support::fixtures(dir, &["pod.json", "node.json"])
}

/// One change to the new object.
#[derive(Debug, Clone)]
enum Edit {
    Annotation(String, Option<String>),
    Label(String, Option<String>),
    LabelsSpelled(Value),
    Finalizer(String),
    OwnerReference,
    Status(String),
    NodeName(String),
    ResourceVersion(String),
    ManagedFields,
}

fn edit() -> impl Strategy<Value = Edit> {
    let key = "(node\\.antrea\\.io/|nodeportlocal\\.antrea\\.io|example\\.com/)[a-z]{0,4}";
    prop_oneof![
        (key, prop::option::of("[ -~]{0,8}")).prop_map(|(k, v)| Edit::Annotation(k, v)),
        ("[a-z]{1,4}", prop::option::of("[a-z]{0,4}")).prop_map(|(k, v)| Edit::Label(k, v)),
        prop::sample::select(vec![json!(null), json!({}), json!([])]).prop_map(Edit::LabelsSpelled),
        "[a-z./]{1,12}".prop_map(Edit::Finalizer),
        Just(Edit::OwnerReference),
        "[A-Z][a-z]{1,6}".prop_map(Edit::Status),
        prop::sample::select(vec!["worker-1".to_string(), "worker-2".to_string()])
            .prop_map(Edit::NodeName),
        "[0-9]{1,6}".prop_map(Edit::ResourceVersion),
        Just(Edit::ManagedFields),
    ]
}

fn apply(object: &mut Value, edit: &Edit) {
    let Some(object) = object.as_object_mut() else {
        return;
    };
    let metadata = object.entry("metadata").or_insert(json!({}));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let mut set = |field: &str, key: &str, value: &Option<String>| {
        let map = metadata.entry(field).or_insert(json!({}));
        if !map.is_object() {
            *map = json!({});
        }
        match value {
            Some(value) => map[key] = json!(value),
            None => {
                map.as_object_mut().unwrap().remove(key);
            }
        }
    };
    match edit {
        Edit::Annotation(key, value) => set("annotations", key, value),
        Edit::Label(key, value) => set("labels", key, value),
        Edit::LabelsSpelled(empty) => {
            if metadata
                .get("labels")
                .is_none_or(|l| l.as_object().is_some_and(|m| m.is_empty()))
            {
                metadata.insert("labels".into(), empty.clone());
            }
        }
        Edit::Finalizer(name) => metadata
            .entry("finalizers")
            .or_insert(json!([]))
            .as_array_mut()
            .map_or((), |list| list.push(json!(name))),
        Edit::OwnerReference => {
            metadata.insert(
                "ownerReferences".into(),
                json!([{"apiVersion": "v1", "kind": "Node", "name": "worker-1", "uid": "u"}]),
            );
        }
        Edit::ResourceVersion(version) => {
            metadata.insert("resourceVersion".into(), json!(version));
        }
        Edit::ManagedFields => {
            metadata.insert(
                "managedFields".into(),
                json!([{"manager": "antrea-agent", "operation": "Update"}]),
            );
        }
        Edit::Status(phase) => {
            object.insert("status".into(), json!({"phase": phase}));
        }
        Edit::NodeName(node) => {
            object.entry("spec").or_insert(json!({}))["nodeName"] = json!(node);
        }
    }
}

pub fn settings() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec![
            "annotations-only",
            "status-and-labels",
        ])),
        prop::option::of(prop::sample::select(vec![
            "if-present",
            "required",
            "disabled",
        ])),
        prop::option::of(prop::sample::select(vec![
            vec!["node.antrea.io/"],
            vec!["nodeportlocal.antrea.io", "example.com/"],
        ])),
        any::<bool>(),
    )
        .prop_map(|(mode, binding, keys, helm)| {
            let mut settings = json!({});
            if let Some(mode) = mode {
                settings["mode"] = json!(mode);
            }
            if let Some(binding) = binding {
                settings["nodeBinding"] = json!(binding);
            }
            if let Some(keys) = keys {
                settings["allowedAnnotationKeys"] = json!(keys);
            }
            if helm {
                settings["usernames"] = json!([AGENT, HELM_AGENT]);
            }
            settings
        })
}

/// A fixture, its subject and claim varied, its new object edited.
pub fn request() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(fixtures()),
        prop::sample::select(vec![AGENT, HELM_AGENT, "system:node:worker-1"]),
        prop::sample::select(vec![
            Some(json!(["worker-1"])),
            Some(json!(["worker-2"])),
            Some(json!([])),
            None,
        ]),
        prop::collection::vec(edit(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(mut request, username, claim, edits, reorder)| {
            request["userInfo"]["username"] = json!(username);
            match claim {
                Some(claim) => request["userInfo"]["extra"] = json!({ NODE_NAME_CLAIM: claim }),
                None => {
                    if let Some(info) = request["userInfo"].as_object_mut() {
                        info.remove("extra");
                    }
                }
            }
            for edit in &edits {
                apply(&mut request["object"], edit);
            }
            if reorder {
                request["object"] = test_support::reversed(&request["object"]);
            }
            request
        })
}
