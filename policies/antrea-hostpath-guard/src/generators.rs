//! Requests generated from the fixtures, mutated, and settings varied: what the differential
//! tests (and the Gatekeeper edition's parity tests) feed both implementations of the rule.
//! Behind the `test-support` feature.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::shape::Shape;
use policy_glue::test_support;

/// Every fixture request in `test_data/` whose object is schema-valid, as the API server
/// guarantees (`pod-volumes-not-a-list.json` is not: where the fast path notices a wrong type
/// depends on member order, so only the verdict's direction is pinned, by the unit tests).
pub fn fixtures() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/test_data");
    test_support::fixtures(dir, &["pod-volumes-not-a-list.json"])
}

/// Paths near the protected ones, then respelled: `//`, `/./`, `x/../`, a trailing `/`.
fn host_path() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "/",
        "/var",
        "/var/run",
        "/var/run/antrea",
        "/var/run/antrea/openvswitch/conf.db",
        "/run",
        "/run/antrea",
        "/run/antrea-x",
        "/var/log",
        "/var/lib/kubelet",
        "/proc",
        "/proc/1/root",
        "/proc/self/root",
        "/proc/sys",
        "var/run/antrea",
        "/srv/antrea",
        "",
    ]);
    (
        base,
        prop::collection::vec((any::<prop::sample::Index>(), 0..4u8), 0..3),
    )
        .prop_map(|(base, respellings)| {
            let mut path = base.to_string();
            for (at, how) in respellings {
                let slashes: Vec<usize> = path.match_indices('/').map(|(i, _)| i).collect();
                let Some(&slash) = slashes.get(at.index(slashes.len().max(1))) else {
                    continue;
                };
                let insert = match how {
                    0 => "/",
                    1 => "/.",
                    2 => "/x/..",
                    _ => {
                        path.push('/');
                        continue;
                    }
                };
                path.insert_str(slash, insert);
            }
            path
        })
}

/// One change to the object under review.
#[derive(Debug, Clone)]
enum Edit {
    AddHostPath(String),
    SetFirstHostPath(String),
    DropVolumes,
    ServiceAccountName(Option<&'static str>),
    DeprecatedServiceAccount(&'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let account = prop::sample::select(vec!["antrea-agent", "default", "node-exporter", ""]);
    prop_oneof![
        host_path().prop_map(Edit::AddHostPath),
        host_path().prop_map(Edit::SetFirstHostPath),
        Just(Edit::DropVolumes),
        prop::option::of(account.clone()).prop_map(Edit::ServiceAccountName),
        account.prop_map(Edit::DeprecatedServiceAccount),
    ]
}

fn shape_of(request: &Value) -> Option<Shape> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Shape::of(
        &text(&request["kind"]["group"]),
        &text(&request["kind"]["kind"]),
    )
}

fn apply(object: &mut Value, shape: Shape, edit: &Edit) {
    let mut spec = &mut *object;
    let path = match shape {
        Shape::Pods(at) => at.path(),
        Shape::PersistentVolume => &["spec"],
    };
    for key in path {
        if !spec.is_object() {
            return;
        }
        spec = spec
            .as_object_mut()
            .unwrap()
            .entry(*key)
            .or_insert(json!({}));
    }
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    if shape == Shape::PersistentVolume {
        if let Edit::AddHostPath(path) | Edit::SetFirstHostPath(path) = edit {
            spec.insert("hostPath".into(), json!({"path": path}));
        }
        return;
    }
    match edit {
        Edit::AddHostPath(path) => {
            let volumes = spec.entry("volumes").or_insert(json!([]));
            if let Some(volumes) = volumes.as_array_mut() {
                volumes.push(json!({"name": "generated", "hostPath": {"path": path}}));
            }
        }
        Edit::SetFirstHostPath(path) => {
            let volumes = spec.get_mut("volumes").and_then(Value::as_array_mut);
            if let Some(volume) =
                volumes.and_then(|v| v.iter_mut().find(|v| v["hostPath"].is_object()))
            {
                volume["hostPath"]["path"] = json!(path);
            }
        }
        Edit::DropVolumes => {
            spec.remove("volumes");
        }
        Edit::ServiceAccountName(Some(name)) => {
            spec.insert("serviceAccountName".into(), json!(name));
        }
        Edit::ServiceAccountName(None) => {
            spec.remove("serviceAccountName");
        }
        Edit::DeprecatedServiceAccount(name) => {
            spec.insert("serviceAccount".into(), json!(name));
        }
    }
}

pub fn settings() -> impl Strategy<Value = Value> {
    (
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(vec![
            json!([]),
            json!([{"namespace": "monitoring", "serviceAccountName": "node-exporter"}]),
            json!([{"namespace": "kube-system", "serviceAccountName": "antrea-agent"}, {"namespace": "tenant-a", "serviceAccountName": "default"}]),
        ])),
        prop::option::of(prop::sample::select(vec![json!(["/var/lib/kubelet"]), json!(["/var/run/antrea", "/srv/antrea"])])),
        prop::option::of(prop::sample::select(vec![json!([]), json!([["/srv", "/var/log"]])])),
        prop::option::of(prop::sample::select(vec![json!(["system:masters"]), json!(["admins", "ops"])])),
        prop::option::of(prop::sample::select(vec![json!(["alice"]), json!([])])),
    )
        .prop_map(|(proc_indirection, check_pvs, exemptions, protected, equivalent, groups, users)| {
            let mut settings = json!({});
            let fields = [
                ("procIndirection", proc_indirection.map(Value::from)),
                ("checkPersistentVolumes", check_pvs.map(Value::from)),
                ("exemptions", exemptions),
                ("protectedPaths", protected),
                ("equivalentPaths", equivalent),
                ("exemptGroups", groups),
                ("exemptUsernames", users),
            ];
            for (key, value) in fields {
                if let Some(value) = value {
                    settings[key] = value;
                }
            }
            settings
        })
}

/// A fixture with its namespace, operation and object varied.
pub fn request() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(fixtures()),
        prop::sample::select(vec![
            None,
            Some("tenant-a"),
            Some("kube-system"),
            Some("monitoring"),
        ]),
        prop::sample::select(vec!["CREATE", "UPDATE", "DELETE", "CONNECT"]),
        prop::collection::vec(edit(), 0..4),
        0..3u8,
        any::<bool>(),
        prop::sample::select(vec![
            json!({"username": "alice", "groups": ["system:authenticated"]}),
            json!({"username": "bob", "groups": ["system:masters", "system:authenticated"]}),
            json!({"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:serviceaccounts"]}),
            json!({"username": "carol"}),
        ]),
    )
        .prop_map(|(mut request, namespace, operation, edits, old, reorder, user_info)| {
            request["userInfo"] = user_info;
            if let Some(namespace) = namespace {
                if request.get("namespace").is_some() {
                    request["namespace"] = json!(namespace);
                }
            }
            request["operation"] = json!(operation);
            let previous = request["object"].clone();
            if let Some(shape) = shape_of(&request) {
                for edit in &edits {
                    apply(&mut request["object"], shape, edit);
                }
            }
            match old {
                0 => {}
                1 => request["oldObject"] = Value::Null,
                _ => request["oldObject"] = previous,
            }
            if reorder {
                request["object"] = test_support::reversed(&request["object"]);
            }
            request
        })
}
