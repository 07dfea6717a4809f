//! Semantic JSON comparison that names every changed field.
//!
//! Kubernetes clients serialise the same object in different ways: key order varies, and an
//! absent field, `null`, `{}` and `[]` all mean "nothing" (a Pod without labels is the normal
//! case). Two values are equal when they mean the same thing.

use serde_json::{Map, Value};

/// Whether a value means "nothing".
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Object(map)) => map.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// Semantic equality of two optional values.
pub fn semantically_equal(old: Option<&Value>, new: Option<&Value>) -> bool {
    if is_empty(old) && is_empty(new) {
        return true;
    }
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => a
            .keys()
            .chain(b.keys())
            .all(|key| semantically_equal(a.get(key), b.get(key))),
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| semantically_equal(Some(x), Some(y)))
        }
        (Some(Value::Number(a)), Some(Value::Number(b))) => numbers_equal(a, b),
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Appends `key` to a field path, quoting keys that are not plain identifiers
/// (`metadata.labels["app.kubernetes.io/name"]`).
pub fn push_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::from(key)),
    }
}

fn as_object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    match value {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Collects the paths of every field that differs between `old` and `new`, descending into
/// objects (so a new label is reported as `metadata.labels.app`) and reporting lists whole.
pub fn changed_fields(old: Option<&Value>, new: Option<&Value>, path: &str, out: &mut Vec<String>) {
    let old_map = as_object(old);
    let new_map = as_object(new);
    let descend = match (old_map, new_map) {
        (Some(_), Some(_)) => true,
        (Some(_), None) => is_empty(new),
        (None, Some(_)) => is_empty(old),
        (None, None) => false,
    };
    if descend {
        let empty = Map::new();
        let old_map = old_map.unwrap_or(&empty);
        let new_map = new_map.unwrap_or(&empty);
        for (key, old_value) in old_map {
            changed_fields(Some(old_value), new_map.get(key), &push_key(path, key), out);
        }
        for (key, new_value) in new_map {
            if !old_map.contains_key(key) {
                changed_fields(None, Some(new_value), &push_key(path, key), out);
            }
        }
    } else if !semantically_equal(old, new) {
        out.push(if path.is_empty() {
            "(whole object)".to_string()
        } else {
            path.to_string()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn diff(old: Value, new: Value) -> Vec<String> {
        let mut out = Vec::new();
        changed_fields(Some(&old), Some(&new), "", &mut out);
        out.sort();
        out
    }

    #[rstest]
    #[case::key_order(json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1}))]
    #[case::absent_vs_empty_object(json!({}), json!({"labels": {}}))]
    #[case::absent_vs_null(json!({}), json!({"labels": null}))]
    #[case::absent_vs_empty_list(json!({}), json!({"finalizers": []}))]
    #[case::null_vs_empty_list(json!({"finalizers": null}), json!({"finalizers": []}))]
    #[case::integer_vs_float(json!({"n": 1}), json!({"n": 1.0}))]
    #[case::nested_empty(json!({"a": {"b": {}}}), json!({"a": null}))]
    fn equal(#[case] old: Value, #[case] new: Value) {
        assert_eq!(diff(old, new), Vec::<String>::new());
    }

    #[rstest]
    #[case::label_added(json!({"metadata": {}}), json!({"metadata": {"labels": {"app": "x"}}}), &["metadata.labels.app"])]
    #[case::label_removed(json!({"metadata": {"labels": {"app": "x"}}}), json!({"metadata": {"labels": null}}), &["metadata.labels.app"])]
    #[case::dotted_key(json!({}), json!({"labels": {"app.kubernetes.io/name": "x"}}), &["labels[\"app.kubernetes.io/name\"]"])]
    #[case::finalizer_added(json!({"metadata": {}}), json!({"metadata": {"finalizers": ["x"]}}), &["metadata.finalizers"])]
    #[case::list_reordered(json!({"l": [1, 2]}), json!({"l": [2, 1]}), &["l"])]
    #[case::string_vs_number(json!({"n": "1"}), json!({"n": 1}), &["n"])]
    #[case::empty_string_is_not_absent(json!({}), json!({"s": ""}), &["s"])]
    #[case::object_replaced_by_scalar(json!({"a": {"b": 1}}), json!({"a": 1}), &["a"])]
    #[case::two_changes(json!({"a": 1, "b": 1}), json!({"a": 2, "b": 2}), &["a", "b"])]
    fn changed(#[case] old: Value, #[case] new: Value, #[case] expected: &[&str]) {
        assert_eq!(diff(old, new), expected);
    }

    #[test]
    fn big_integers_compare_exactly() {
        assert!(!semantically_equal(
            Some(&json!(9_007_199_254_740_993u64)),
            Some(&json!(9_007_199_254_740_992u64))
        ));
    }
}
