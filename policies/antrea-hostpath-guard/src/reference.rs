//! The policy's decision written the plain way: serde_json values, no json-scan, no laziness.
//! The differential tests (and the `hostpath_differential` fuzz target) hold
//! [`crate::evaluate`] to it. Path matching is [`crate::settings::Rules`]' (its lexical rules
//! have their own oracle in `paths`); what is held here is the navigation: which kinds, which
//! pod spec, which volumes, which exemption, which operation.
//!
//! Objects are schema-valid here, as the API server guarantees before admission: a field of the
//! wrong type is rejected by both, but where the fast path notices it may depend on member
//! order (see the README's notes).

use serde_json::{Map, Value};

use crate::paths::NormalPath;
use crate::settings::{Rules, Settings};
use crate::shape::Shape;

/// Whether the reference accepts the payload: `Err` names why not.
pub fn verdict(payload: &[u8]) -> Result<(), String> {
    let payload: Value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let request = payload.get("request").ok_or("no request")?;
    let settings: Settings = match payload.get("settings") {
        None | Some(Value::Null) => Settings::default(),
        Some(settings) => serde_json::from_value(settings.clone()).map_err(|e| e.to_string())?,
    };
    let rules = Rules::from(settings);
    let kind = request
        .get("kind")
        .filter(|k| k.is_object())
        .ok_or("no kind")?;
    let Some(shape) = Shape::of(text(kind.get("group")), text(kind.get("kind"))) else {
        return Ok(());
    };
    // A request without `operation` is judged as if it carried an object to judge.
    let operation = request.get("operation").and_then(Value::as_str);
    if operation.is_some_and(|op| op != "CREATE" && op != "UPDATE") {
        return Ok(());
    }
    let object = request
        .get("object")
        .and_then(Value::as_object)
        .ok_or("object missing or not an object")?;
    let namespace = match text(request.get("namespace")) {
        "" => object
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or("default"),
        namespace => namespace,
    };
    let mut found = violations(shape, object, namespace, &rules)?;
    if operation == Some("UPDATE") {
        let old = request.get("oldObject").and_then(Value::as_object);
        if let Some(Ok(existing)) = old.map(|old| violations(shape, old, namespace, &rules)) {
            found.retain(|path| !existing.contains(path));
        }
    }
    let user_info = request.get("userInfo");
    let username = text(user_info.and_then(|u| u.get("username")));
    let groups: Vec<String> = user_info
        .and_then(|u| u.get("groups"))
        .and_then(|g| serde_json::from_value(g.clone()).ok())
        .unwrap_or_default();
    let exempt_requester = shape == Shape::Pod
        && (rules.exempt_usernames.iter().any(|u| u == username)
            || groups.iter().any(|g| rules.exempt_groups.contains(g)));
    match found.is_empty() || exempt_requester {
        true => Ok(()),
        false => Err(format!("reaches protected paths: {found:?}")),
    }
}

/// The normalised host paths of an object that reach a protected path.
fn violations(
    shape: Shape,
    object: &Map<String, Value>,
    namespace: &str,
    rules: &Rules,
) -> Result<Vec<NormalPath>, String> {
    let mut spec = Some(object);
    for key in shape.pod_spec_path() {
        spec = match spec.and_then(|s| s.get(*key)) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Object(inner)) => Some(inner),
            Some(_) => return Err(format!("{key} is not an object")),
        };
    }
    let spec = spec.expect("followed");
    let paths = match shape {
        Shape::PersistentVolume => persistent_volume_paths(spec, rules)?,
        _ => pod_host_paths(spec, namespace, rules)?,
    };
    Ok(paths
        .iter()
        .filter(|path| rules.reached_by(path).is_some())
        .map(|path| NormalPath::new(path))
        .collect())
}

fn text(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).unwrap_or_default()
}

fn persistent_volume_paths(
    spec: &Map<String, Value>,
    rules: &Rules,
) -> Result<Vec<String>, String> {
    if !rules.check_persistent_volumes {
        return Ok(Vec::new());
    }
    let mut paths = Vec::new();
    for source in ["hostPath", "local"] {
        match spec.get(source) {
            None | Some(Value::Null) => {}
            Some(Value::Object(source)) => paths.push(path_of(source)?),
            Some(_) => return Err(format!("{source} is not an object")),
        }
    }
    Ok(paths)
}

fn pod_host_paths(
    spec: &Map<String, Value>,
    namespace: &str,
    rules: &Rules,
) -> Result<Vec<String>, String> {
    let service_account = ["serviceAccountName", "serviceAccount"]
        .iter()
        .filter_map(|field| spec.get(*field).and_then(Value::as_str))
        .find(|name| !name.is_empty())
        .unwrap_or("default");
    if rules.exempt(namespace, service_account) {
        return Ok(Vec::new());
    }
    let volumes = match spec.get("volumes") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(volumes)) => volumes,
        Some(_) => return Err("volumes is not a list".into()),
    };
    let mut paths = Vec::new();
    for volume in volumes {
        let volume = volume.as_object().ok_or("volume is not an object")?;
        match volume.get("hostPath") {
            None | Some(Value::Null) => {}
            Some(Value::Object(source)) => paths.push(path_of(source)?),
            Some(_) => return Err("hostPath is not an object".into()),
        }
    }
    Ok(paths)
}

/// A volume source's `path`; without one it is the empty path, which normalises to `/`.
fn path_of(source: &Map<String, Value>) -> Result<String, String> {
    match source.get("path") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(path)) => Ok(path.clone()),
        Some(_) => Err("path is not a string".into()),
    }
}
