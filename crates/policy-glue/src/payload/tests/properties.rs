//! Property tests: whatever the member order, [`Admission`] reads what serde_json reads.

use json_scan::arbitrary::json_value;
use json_scan::Raw;
use proptest::prelude::*;
use serde_json::Value;

use crate::payload::Admission;
use crate::test_support::payload_in_type_order;

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(mut admission) = Admission::read(&bytes, ["kind", "operation"]) {
            let _ = admission.get("operation");
            let _ = admission.object();
            let _ = admission.split_objects();
        }
    }

    #[test]
    fn admission_agrees_with_serde_json(
        request in admission_request(),
        settings in prop_oneof![Just(Value::Null), json_value()],
        typed in any::<bool>(),
        ask_objects_first in any::<bool>(),
    ) {
        let payload = if typed {
            payload_in_type_order(&request, &settings)
        } else {
            serde_json::to_vec(&serde_json::json!({"request": request, "settings": settings})).unwrap()
        };
        // serde_json's own reading of the payload (its float printing does not always round-trip).
        let reread: Value = serde_json::from_slice(&payload).unwrap();
        let (request, settings) = (&reread["request"], &reread["settings"]);
        let mut admission = Admission::read(&payload, REQUEST_MEMBERS).unwrap();
        let parse = |raw: Option<Raw<'_>>| raw.map(|raw| serde_json::from_slice::<Value>(raw.bytes()).unwrap());
        let expected = |name: &str| request.get(name).filter(|v| !v.is_null()).cloned();
        if ask_objects_first {
            let object = admission.object().unwrap().map(|o| o.raw().unwrap());
            prop_assert_eq!(parse(object), expected("object"));
            prop_assert_eq!(parse(admission.old_object().unwrap()), expected("oldObject"));
        }
        for name in REQUEST_MEMBERS {
            prop_assert_eq!(parse(admission.get(name).unwrap()), expected(name), "{}", name);
        }
        let (object, old_object) = admission.split_objects().unwrap();
        prop_assert_eq!(parse(object.map(|o| o.raw)), expected("object"));
        prop_assert_eq!(parse(old_object.map(|o| o.raw)), expected("oldObject"));
        prop_assert_eq!(parse(admission.settings()), Some(settings.clone()).filter(|s| !s.is_null()));
    }
}

const REQUEST_MEMBERS: [&str; 8] = [
    "uid",
    "kind",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "dryRun",
    "options",
];

/// An AdmissionRequest with `uid`, `operation` and `userInfo` (every request has them) and any
/// of the other members, objects included.
fn admission_request() -> impl Strategy<Value = Value> {
    let name = || prop::option::of("[a-z0-9-]{0,8}".prop_map(Value::from));
    let any_value = || prop::option::of(json_value());
    (
        (
            "[a-z0-9-]{1,8}",
            prop::sample::select(vec!["CREATE", "UPDATE", "DELETE", "CONNECT"]),
            json_value(),
        ),
        (any_value(), name(), name()),
        (
            any_value(),
            any_value(),
            prop::option::of(any::<bool>().prop_map(Value::from)),
            any_value(),
        ),
    )
        .prop_map(
            |(
                (uid, operation, user_info),
                (kind, name, namespace),
                (object, old_object, dry_run, options),
            )| {
                let mut request = serde_json::Map::new();
                request.insert("uid".into(), uid.into());
                request.insert("operation".into(), operation.into());
                request.insert("userInfo".into(), user_info);
                for (key, value) in [
                    ("kind", kind),
                    ("name", name),
                    ("namespace", namespace),
                    ("object", object),
                    ("oldObject", old_object),
                    ("dryRun", dry_run),
                    ("options", options),
                ] {
                    if let Some(value) = value {
                        request.insert(key.into(), value);
                    }
                }
                Value::Object(request)
            },
        )
}
