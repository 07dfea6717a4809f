//! Wrong-typed values where a rule reads (`spec.volumes: "oops"`, `metadata.labels: 42`):
//! the API server's schema refuses them for built-in kinds, but Gatekeeper's two engines and
//! the Kubewarden policy each have their own code for them, and must fail the same way.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};

/// One value replaced: the `occurrence`-th member named `key` (depth first) of the object or
/// of the old object.
#[derive(Debug, Clone)]
pub struct Retype {
    key: &'static str,
    occurrence: Index,
    value: Value,
    old: bool,
}

/// A retype in one generated request of four, at one of `keys`.
pub fn retype(keys: &'static [&'static str]) -> impl Strategy<Value = Option<Retype>> {
    let value = prop::sample::select(vec![
        json!("oops"),
        json!(42),
        json!(null),
        json!(true),
        json!([]),
        json!({}),
        json!(["oops"]),
        json!([{"oops": 1}]),
    ]);
    let retype = (
        prop::sample::select(keys),
        any::<Index>(),
        value,
        any::<bool>(),
    )
        .prop_map(|(key, occurrence, value, old)| Retype {
            key,
            occurrence,
            value,
            old,
        });
    prop::option::weighted(0.25, retype)
}

/// The request with the retype applied (unchanged when the key does not occur); what was
/// done, for the case's name.
pub fn apply(request: &mut Value, retype: &Retype) -> String {
    let target = match retype.old {
        true => &mut request["oldObject"],
        false => &mut request["object"],
    };
    let count = occurrences(target, retype.key);
    if count == 0 {
        return String::new();
    }
    let mut skip = retype.occurrence.index(count);
    let at = skip;
    replace(target, retype, &mut skip);
    let which = if retype.old { "old" } else { "new" };
    format!("-{which}-{}{at}-{}", retype.key, retype.value)
        .replace(['"', '{', '}', '[', ']', ':'], "")
}

fn occurrences(value: &Value, key: &str) -> usize {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, child)| usize::from(k == key) + occurrences(child, key))
            .sum(),
        Value::Array(items) => items.iter().map(|item| occurrences(item, key)).sum(),
        _ => 0,
    }
}

/// Replaces the member after `skip` others of that name; true once done.
fn replace(value: &mut Value, retype: &Retype, skip: &mut usize) -> bool {
    match value {
        Value::Object(map) => map.iter_mut().any(|(k, child)| {
            if k == retype.key {
                if *skip == 0 {
                    *child = retype.value.clone();
                    return true;
                }
                *skip -= 1;
            }
            replace(child, retype, skip)
        }),
        Value::Array(items) => items.iter_mut().any(|item| replace(item, retype, skip)),
        _ => false,
    }
}
