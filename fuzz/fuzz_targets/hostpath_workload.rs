//! Structure-aware: an arbitrary object under every kind the hostPath policy checks, created
//! and updated, so the pod-spec navigation and path rules see hostile input.
#![no_main]
use libfuzzer_sys::fuzz_target;

const KINDS: [(&str, &str); 5] = [
    ("", "Pod"),
    ("apps", "DaemonSet"),
    ("batch", "CronJob"),
    ("", "PersistentVolume"),
    ("", "ReplicationController"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(object) = std::str::from_utf8(data) else { return };
    for (group, kind) in KINDS {
        for (operation, old) in [("CREATE", "null"), ("UPDATE", object)] {
            let payload = format!(
                r#"{{"request":{{"uid":"1","kind":{{"group":"{group}","version":"v1","kind":"{kind}"}},"operation":"{operation}","namespace":"tenant-a","name":"x","userInfo":{{"username":"alice"}},"object":{object},"oldObject":{old}}},"settings":{{}}}}"#
            );
            let _ = antrea_hostpath_guard::evaluate(payload.as_bytes());
        }
    }
});
