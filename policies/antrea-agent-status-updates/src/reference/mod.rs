//! The policy's decision written the plain way: serde_json values, no json-scan, no laziness,
//! no byte comparisons. The differential tests (and the `status_updates_differential` fuzz
//! target) hold [`crate::evaluate`] to it: any divergence of the fast path from the obvious
//! reading of the rule is a failure.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::compare::semantically_equal;
use crate::settings::{Mode, NodeBinding, Settings};
use crate::NODE_NAME_CLAIM;

/// Whether the reference accepts the payload: `Err` names why not.
pub fn verdict(payload: &[u8]) -> Result<(), String> {
    let payload: Value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let request = payload.get("request").ok_or("no request")?;
    let settings: Settings = match payload.get("settings") {
        None | Some(Value::Null) => Settings::default(),
        Some(settings) => serde_json::from_value(settings.clone()).map_err(|e| e.to_string())?,
    };
    let kind = request.get("kind").ok_or("no kind")?;
    let group = string_or_empty(kind.get("group"))?;
    let kind = string_or_empty(kind.get("kind"))?;
    let operation = request["operation"].as_str().ok_or("no operation")?;
    let user_info = request.get("userInfo").filter(|u| u.is_object());
    let user_info = user_info.ok_or("no userInfo")?;
    if operation != "UPDATE" || !group.is_empty() || !matches!(kind, "Pod" | "Node") {
        return Ok(());
    }
    let Some(username) = user_info.get("username").and_then(Value::as_str) else {
        return Ok(());
    };
    if !settings.usernames.iter().any(|u| u == username) {
        return Ok(());
    }
    let old = object(request.get("oldObject"))?;
    let new = object(request.get("object"))?;
    for version in [old, new] {
        match version.get("metadata") {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(_) => return Err("metadata is not an object".into()),
        }
    }
    node_binding(&settings, kind, user_info.get("extra"), old)?;
    annotation_keys(&settings, old, new)?;
    let unchanged = match settings.mode {
        Mode::AnnotationsOnly => semantically_equal(
            Some(&without_annotations(old)),
            Some(&without_annotations(new)),
        ),
        Mode::StatusAndLabels => {
            semantically_equal(old.get("status"), new.get("status"))
                && semantically_equal(labels(old), labels(new))
        }
    };
    if unchanged {
        Ok(())
    } else {
        Err("changed".into())
    }
}

fn string_or_empty(value: Option<&Value>) -> Result<&str, String> {
    match value {
        None | Some(Value::Null) => Ok(""),
        Some(value) => value.as_str().ok_or_else(|| "not a string".into()),
    }
}

fn object(value: Option<&Value>) -> Result<&Map<String, Value>, String> {
    value
        .and_then(Value::as_object)
        .ok_or_else(|| "object missing or not an object".into())
}

fn labels(object: &Map<String, Value>) -> Option<&Value> {
    object.get("metadata")?.get("labels")
}

/// The object without what a restricted subject may change: annotations and server-managed
/// metadata.
fn without_annotations(object: &Map<String, Value>) -> Value {
    let mut object = object.clone();
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        for key in [
            "annotations",
            "managedFields",
            "resourceVersion",
            "generation",
        ] {
            metadata.remove(key);
        }
    }
    Value::Object(object)
}

fn annotation_keys(
    settings: &Settings,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), String> {
    if settings.allowed_annotation_keys.is_empty() {
        return Ok(());
    }
    let annotations = |object: &Map<String, Value>| -> Result<Map<String, Value>, String> {
        match object.get("metadata").and_then(|m| m.get("annotations")) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(_) => Err("annotations are not an object".into()),
        }
    };
    let (old, new) = (annotations(old)?, annotations(new)?);
    for key in old.keys().chain(new.keys()) {
        if !settings.annotation_key_allowed(key) && !semantically_equal(old.get(key), new.get(key))
        {
            return Err(format!("annotation {key} not allowed"));
        }
    }
    Ok(())
}

fn node_binding(
    settings: &Settings,
    kind: &str,
    extra: Option<&Value>,
    old: &Map<String, Value>,
) -> Result<(), String> {
    if settings.node_binding == NodeBinding::Disabled {
        return Ok(());
    }
    // `userInfo.extra` is a map of string lists (map[string][]string in the API).
    let extra: Option<HashMap<String, Vec<String>>> = match extra {
        None => None,
        Some(extra) => serde_json::from_value(extra.clone()).map_err(|e| e.to_string())?,
    };
    let claim = extra.and_then(|extra| extra.get(NODE_NAME_CLAIM).cloned());
    let node = match claim.as_deref() {
        None | Some([]) if settings.node_binding == NodeBinding::Required => {
            return Err("no node claim".into())
        }
        None | Some([]) => return Ok(()),
        Some([node]) if !node.is_empty() => node.as_str(),
        Some(_) => return Err("malformed node claim".into()),
    };
    let target = match kind {
        "Node" => old.get("metadata").and_then(|m| m.get("name")),
        _ => old.get("spec").and_then(|s| s.get("nodeName")),
    };
    if target.and_then(Value::as_str) == Some(node) {
        Ok(())
    } else {
        Err("other node".into())
    }
}
