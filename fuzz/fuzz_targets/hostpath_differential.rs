//! Differential: Pods and Deployments whose hostPath volumes come from the input (one path a
//! line; the first byte picks namespace, ServiceAccount, operation and member order), judged
//! by the shipped policy and by its plain reference implementation, which must agree.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::json;

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
    let request = json!({
        "uid": "1", "kind": {"group": group, "version": "v1", "kind": kind}, "operation": operation,
        "namespace": namespace, "name": "x", "userInfo": {"username": "alice"},
        "object": object, "oldObject": null,
    });
    let payload = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
    let shipped = antrea_hostpath_guard::evaluate(&payload).map_err(|r| r.to_string());
    let reference = antrea_hostpath_guard::reference::verdict(&payload);
    assert_eq!(shipped.is_ok(), reference.is_ok(), "shipped {shipped:?}, reference {reference:?}");
});
