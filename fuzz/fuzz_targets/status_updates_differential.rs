//! Differential: arbitrary `oldObject` and `object` (two JSON documents separated by 0x1f) in a
//! restricted update, judged by the shipped policy and by its plain reference implementation,
//! which must reject alike: same kind of rejection, object, changed fields, annotation keys and
//! Nodes. Documents are re-serialised first, as policy-server does.
#![no_main]
use antrea_agent_status_updates::reference::{self, Refusal};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (old, new) = text.split_once('\u{1f}').unwrap_or((text, text));
    let (Ok(old), Ok(new)) = (serde_json::from_str::<Value>(old), serde_json::from_str::<Value>(new)) else {
        return;
    };
    // The defaults, and every other mode, binding and annotation-key setting at once.
    let variants = [
        json!({}),
        json!({"mode": "status-and-labels", "nodeBinding": "required", "allowedAnnotationKeys": ["node.antrea.io/"]}),
    ];
    for (kind, settings) in ["Pod", "Node"].into_iter().flat_map(|k| variants.iter().map(move |s| (k, s))) {
        let request = json!({
            "uid": "1", "kind": {"group": "", "version": "v1", "kind": kind}, "operation": "UPDATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:antrea-agent",
                         "extra": {"authentication.kubernetes.io/node-name": ["worker-1"]}},
            "object": new, "oldObject": old,
        });
        let payload = serde_json::to_vec(&json!({"request": request, "settings": settings})).unwrap();
        let shipped = antrea_agent_status_updates::evaluate(&payload);
        let reference = reference::verdict(&payload);
        assert_eq!(
            shipped.as_ref().map_err(Refusal::of).copied(),
            reference,
            "shipped {shipped:?}, reference {reference:?}"
        );
    }
});
