//! Structure-aware: arbitrary `object` and `oldObject` in an otherwise valid restricted update,
//! so the comparison code (not only the envelope parser) sees hostile input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (old, new) = text.split_once('\u{1f}').unwrap_or((text, text));
    for kind in ["Pod", "Node"] {
        let payload = format!(
            r#"{{"request":{{"uid":"1","kind":{{"group":"","version":"v1","kind":"{kind}"}},"operation":"UPDATE","userInfo":{{"username":"system:serviceaccount:kube-system:antrea-agent","extra":{{"authentication.kubernetes.io/node-name":["worker-1"]}}}},"object":{new},"oldObject":{old}}},"settings":{{"allowedAnnotationKeys":["node.antrea.io/"]}}}}"#
        );
        let _ = antrea_agent_status_updates::evaluate(payload.as_bytes());
    }
});
