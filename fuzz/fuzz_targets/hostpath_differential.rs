//! Differential: Pods and Deployments whose hostPath volumes come from the input (one path a
//! line; the first byte picks namespace, ServiceAccount, operation, kind and settings), judged
//! by the shipped policy and by its plain reference implementation (its own path rules), which
//! must reject alike: same kind of rejection, object, volumes, host paths, protected spellings.
#![no_main]
use antrea_hostpath_guard::reference::{self, Refusal};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// Settings the top bits of the first byte pick: the defaults, then configurations whose
/// equivalent spellings the defaults never reach (several groups, a nested prefix, `/`).
fn settings(choice: u8) -> Value {
    match choice >> 4 & 3 {
        0 => json!({}),
        1 => json!({"protectedPaths": ["/var/run/antrea", "/etc/kubernetes"],
                    "equivalentPaths": [["/var/run", "/run"], ["/etc", "/host/etc"]]}),
        2 => json!({"equivalentPaths": [["/var/run", "/run", "/var/run/x"]], "procIndirection": false}),
        _ => json!({"protectedPaths": ["/run/antrea"], "equivalentPaths": [["/", "/host"]]}),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let volumes: Vec<_> = text
        .lines()
        .take(8)
        .enumerate()
        .map(|(i, path)| json!({"name": format!("v{i}"), "hostPath": {"path": path}}))
        .collect();
    let namespace = ["tenant-a", "kube-system"][usize::from(choice & 1)];
    let account = ["antrea-agent", "default"][usize::from(choice >> 1 & 1)];
    let operation = ["CREATE", "UPDATE"][usize::from(choice >> 2 & 1)];
    let spec = json!({"serviceAccountName": account, "volumes": volumes, "containers": [{"name": "c"}]});
    let (group, kind, object) = match choice >> 3 & 1 {
        0 => ("", "Pod", json!({"metadata": {"name": "x"}, "spec": spec})),
        _ => ("apps", "Deployment", json!({"metadata": {"name": "x"}, "spec": {"template": {"spec": spec}}})),
    };
    // With the top bit, an UPDATE whose stored object already mounts the first path.
    let old = match (operation, choice >> 7) {
        ("UPDATE", 1) => {
            let mut old = object.clone();
            let first = text.lines().next().unwrap_or_default();
            let spec = if kind == "Pod" { &mut old["spec"] } else { &mut old["spec"]["template"]["spec"] };
            spec["volumes"] = json!([{"name": "old", "hostPath": {"path": first}}]);
            old
        }
        _ => Value::Null,
    };
    let request = json!({
        "uid": "1", "kind": {"group": group, "version": "v1", "kind": kind}, "operation": operation,
        "namespace": namespace, "name": "x", "userInfo": {"username": "alice"},
        "object": object, "oldObject": old,
    });
    let payload = serde_json::to_vec(&json!({"request": request, "settings": settings(choice)})).unwrap();
    let shipped = antrea_hostpath_guard::evaluate(&payload);
    let reference = reference::verdict(&payload);
    assert_eq!(
        shipped.as_ref().map_err(Refusal::of).copied(),
        reference,
        "shipped {shipped:?}, reference {reference:?}"
    );
});
