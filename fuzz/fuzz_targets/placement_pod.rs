//! Structure-aware: an arbitrary pod spec (JSON) in a controller Pod's CREATE. The policy must
//! answer without panicking, and a Pod it mutated must be accepted unchanged the second time
//! (the mutation is complete and idempotent).
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn payload(spec: &Value) -> Vec<u8> {
    let request = json!({
        "uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
        "namespace": "kube-system", "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "antrea-controller-"}, "spec": spec},
    });
    serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut spec) = serde_json::from_slice::<Value>(data) else { return };
    let Some(fields) = spec.as_object_mut() else { return };
    fields.insert("serviceAccountName".into(), json!("antrea-controller"));
    if let Ok(Some(mutated)) = antrea_controller_placement::evaluate(&payload(&spec)) {
        let again = antrea_controller_placement::evaluate(&payload(&mutated["spec"]));
        assert!(matches!(again, Ok(None)), "second pass: {again:?} for {mutated}");
    }
});
