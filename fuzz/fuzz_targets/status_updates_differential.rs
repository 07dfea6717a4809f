//! Differential: arbitrary `oldObject` and `object` (two JSON documents separated by 0x1f) in a
//! restricted update, judged by the shipped policy and by its plain reference implementation,
//! which must agree. Documents are re-serialised first, as policy-server does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (old, new) = text.split_once('\u{1f}').unwrap_or((text, text));
    let (Ok(old), Ok(new)) = (serde_json::from_str::<Value>(old), serde_json::from_str::<Value>(new)) else {
        return;
    };
    for kind in ["Pod", "Node"] {
        let request = json!({
            "uid": "1", "kind": {"group": "", "version": "v1", "kind": kind}, "operation": "UPDATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:antrea-agent",
                         "extra": {"authentication.kubernetes.io/node-name": ["worker-1"]}},
            "object": new, "oldObject": old,
        });
        let payload = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
        let shipped = antrea_agent_status_updates::evaluate(&payload).map_err(|r| r.to_string());
        let reference = antrea_agent_status_updates::reference::verdict(&payload);
        assert_eq!(shipped.is_ok(), reference.is_ok(), "shipped {shipped:?}, reference {reference:?}");
    }
});
