use super::*;
use crate::scan::container_start_back;
use proptest::prelude::*;
use serde_json::Value;

use crate::arbitrary::json_value;

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
    }
}
