use super::*;
use crate::scan::container_start_back;
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "(\\PC|[\"\\\\\u{0}-\u{1f}]){0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("(\\PC|[\"\\\\]){0,6}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn members_agree_with_serde_json(members in prop::collection::btree_map("(\\PC|[\"\\\\]){0,6}", json_value(), 0..6), pretty in any::<bool>()) {
        let object = Value::Object(members.into_iter().collect());
        let text = if pretty { serde_json::to_vec_pretty(&object) } else { serde_json::to_vec(&object) }.unwrap();
        // Compare with serde_json's own reading of the same text (its float printing does not
        // always round-trip, which is not what is tested here).
        let object: Value = serde_json::from_slice(&text).unwrap();
        let raw = Raw::document(&text).unwrap();
        prop_assert_eq!(skip_value(&text, 0).unwrap(), text.len());
        let mut seen = 0;
        for member in raw.members().unwrap() {
            let (key, value) = member.unwrap();
            let parsed: Value = serde_json::from_slice(value.bytes()).unwrap();
            prop_assert_eq!(&parsed, &object[key.as_ref()]);
            seen += 1;
        }
        prop_assert_eq!(seen, object.as_object().unwrap().len());
    }

    #[test]
    fn backwards_reading_agrees_with_forwards(members in prop::collection::btree_map("(\\PC|[\"\\\\]){0,6}", json_value(), 1..6), pretty in any::<bool>()) {
        let object = Value::Object(members.into_iter().collect());
        let text = if pretty { serde_json::to_vec_pretty(&object) } else { serde_json::to_vec(&object) }.unwrap();
        let raw = Raw::document(&text).unwrap();
        let forwards: Vec<_> = raw.members().unwrap().map(|m| m.unwrap()).collect();
        prop_assert_eq!(raw.last_member().unwrap(), forwards.last().cloned());
    }

    #[test]
    fn containers_are_matched_both_ways(value in json_value(), text in "(\\PC|[\"\\\\{}\\[\\]]){0,40}", pretty in any::<bool>()) {
        // A container after and before other members, with strings that cross the blocks.
        let container = Value::from(vec![Value::from(text.clone()), value, Value::from(text)]);
        let container = if pretty { serde_json::to_string_pretty(&container) } else { serde_json::to_string(&container) }.unwrap();
        let prefix = format!(r#"{{"{}":"#, "\\\"".repeat(container.len() % 7));
        let document = format!("{prefix}{container},\"next\":[]}}");
        let bytes = document.as_bytes();
        let end = prefix.len() + container.len();
        prop_assert_eq!(skip_value(bytes, prefix.len()).unwrap(), end);
        prop_assert_eq!(container_start_back(bytes, end).unwrap(), prefix.len());
    }

    #[test]
    fn split_like_agrees_with_split(old in json_value(), new in json_value(), shared in prop::collection::btree_map("[a-z]{1,4}", json_value(), 0..4)) {
        // Two objects that share their last members, as two versions of an object do.
        let object = |first: Value| {
            let mut map = serde_json::Map::new();
            map.insert("0".to_string(), first);
            map.extend(shared.clone());
            serde_json::to_vec(&Value::Object(map)).unwrap()
        };
        let (old, new) = (object(old), object(new));
        let like = Raw::document(&new).unwrap().split().unwrap();
        let old = Raw::document(&old).unwrap();
        let split = old.split().unwrap();
        let split_like = old.split_like(&like).unwrap();
        prop_assert_eq!(split.raw, split_like.raw);
        prop_assert_eq!(split.members, split_like.members);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(raw) = Raw::document(&bytes) {
            let _ = raw.pick(["a", "b"]);
            let _ = ValueAt::from(raw).pick_path(&["a", "b"], ["c"]);
            let _ = raw.elements();
            let _ = raw.last_member();
            let _ = raw.split();
        }
        let _ = skip_value(&bytes, 0);
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
