//! Helpers for the policies' tests (feature `test-support`): payloads in both of
//! policy-server's member orders, objects with their members reordered, fixture folders.

use serde_json::Value;

/// The members of an `AdmissionRequest` in the order of policy-evaluator's type.
const ADMISSION_REQUEST_ORDER: [&str; 15] = [
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
];

/// A `validate` payload with the request's members in the order of policy-evaluator's
/// `AdmissionRequest` type, as policy-server sends it when serde_json preserves member order
/// (`serde_json::json!` sorts them by name, the other order policy-server sends): for tests
/// that a policy decides the same in both.
pub fn payload_in_type_order(request: &serde_json::Value, settings: &serde_json::Value) -> Vec<u8> {
    let members: Vec<String> = ADMISSION_REQUEST_ORDER
        .iter()
        .filter_map(|key| {
            let value = request.get(*key)?;
            Some(format!("{}:{value}", serde_json::Value::from(*key)))
        })
        .collect();
    format!(
        r#"{{"request":{{{}}},"settings":{settings}}}"#,
        members.join(",")
    )
    .into_bytes()
}

/// A `validate` payload: members sorted by name (what `serde_json::json!` builds) or, with
/// `typed`, in the order of policy-evaluator's type.
pub fn payload(request: &Value, settings: &Value, typed: bool) -> Vec<u8> {
    if typed {
        payload_in_type_order(request, settings)
    } else {
        serde_json::to_vec(&serde_json::json!({"request": request, "settings": settings}))
            .expect("a JSON value serialises")
    }
}

/// `value` with the members of every object in reverse order, as another client could
/// serialise it.
pub fn reversed(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(key, child)| (key.clone(), reversed(child)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

/// The JSON documents of a folder, by file name, skipping the names `skip` lists.
pub fn fixtures(dir: &str, skip: &[&str]) -> Vec<Value> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| !skip.iter().any(|name| path.ends_with(name)))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"))
        })
        .collect()
}

/// Whether a policy and its reference judge a payload alike: both accept, or both reject and
/// the policy's rejection, `restate`d as the reference states it, is the reference's. `Err`
/// describes the disagreement.
pub fn verdicts_agree<E: std::fmt::Debug, R: PartialEq + std::fmt::Debug>(
    shipped: Result<(), E>,
    reference: Result<(), R>,
    restate: impl Fn(&E) -> R,
) -> Result<(), String> {
    if shipped.as_ref().map_err(&restate).copied() == reference {
        Ok(())
    } else {
        Err(format!("shipped {shipped:?}, reference {reference:?}"))
    }
}
