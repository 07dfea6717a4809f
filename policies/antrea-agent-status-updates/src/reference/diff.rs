//! Semantic comparison written again for the reference, on serde_json trees: nothing here comes
//! from `crate::compare`, which compares raw bytes and descends only where they differ.
//!
//! Kubernetes clients spell "nothing" as an absent member, `null`, `{}` or `[]`, and order keys
//! freely: two values are the same when they mean the same thing.

use std::collections::BTreeSet;

use serde_json::{Map, Number, Value};

/// Whether a value means "nothing".
fn nothing(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Object(members)) => members.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

/// Numbers compare by value: integers exactly, anything else as floating point.
fn same_number(a: &Number, b: &Number) -> bool {
    let exact = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (exact(a), exact(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.as_f64().is_some_and(|x| Some(x) == b.as_f64()),
    }
}

/// The keys of two objects, each once, in order.
fn keys<'m>(a: &'m Map<String, Value>, b: &'m Map<String, Value>) -> BTreeSet<&'m String> {
    a.keys().chain(b.keys()).collect()
}

/// Whether two optional values mean the same thing.
pub fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    if nothing(a) && nothing(b) {
        return true;
    }
    match (a, b) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            keys(a, b).into_iter().all(|k| same(a.get(k), b.get(k)))
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(Some(x), Some(y)))
        }
        (Some(Value::Number(a)), Some(Value::Number(b))) => same_number(a, b),
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `path.key`, or `path["key"]` for a key that is not a plain identifier.
pub fn field(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, path) {
        (false, path) => format!("{path}[{}]", Value::from(key)),
        (true, "") => key.to_string(),
        (true, path) => format!("{path}.{key}"),
    }
}

/// An object, or no members when the value means nothing.
fn members(value: Option<&Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(members)) => members.clone(),
        _ => Map::new(),
    }
}

/// The fields that differ between `a` and `b` at `path`: objects (or an object and nothing)
/// are compared member by member, anything else is one field.
pub fn changed(a: Option<&Value>, b: Option<&Value>, path: &str, out: &mut Vec<String>) {
    let object = |v: Option<&Value>| matches!(v, Some(Value::Object(_)));
    let descend = match (object(a), object(b)) {
        (true, true) => true,
        (true, false) => nothing(b),
        (false, true) => nothing(a),
        (false, false) => false,
    };
    if descend {
        changed_members(&members(a), &members(b), path, &[], out);
    } else if !same(a, b) {
        out.push(match path {
            "" => "(whole object)".to_string(),
            path => path.to_string(),
        });
    }
}

/// The fields that differ between two objects, leaving out the `skipped` members.
pub fn changed_members(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    path: &str,
    skipped: &[&str],
    out: &mut Vec<String>,
) {
    for key in keys(a, b) {
        if !skipped.contains(&key.as_str()) {
            changed(a.get(key), b.get(key), &field(path, key), out);
        }
    }
}
