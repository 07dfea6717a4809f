//! Arbitrary JSON documents for property tests (feature `test-support`): this crate's own, and
//! those of the crates that read admission payloads with it.

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value up to five levels deep, with escapes, control characters and odd numbers in
/// its strings and member names.
pub fn json_value() -> impl Strategy<Value = Value> {
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
