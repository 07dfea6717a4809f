//! Kubewarden's CRD schemas (v1.35.0, `tests/data/kubewarden-crds-v1.35.0`) as JSON Schemas that
//! refuse what the API server refuses with kubectl's strict field validation: unknown fields and
//! wrong types. The policy SDK's Rust types lack fields added since, so they are no faithful check.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

/// Where the vendored CRDs are.
pub fn crd_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/kubewarden-crds-v1.35.0")
}

/// The `openAPIV3Schema` of a kind's `v1` version.
pub fn openapi_schema(kind: &str) -> Value {
    let file = match kind {
        "ClusterAdmissionPolicy" => "policies.kubewarden.io_clusteradmissionpolicies.yaml",
        "AdmissionPolicy" => "policies.kubewarden.io_admissionpolicies.yaml",
        "ClusterAdmissionPolicyGroup" => "policies.kubewarden.io_clusteradmissionpolicygroups.yaml",
        "AdmissionPolicyGroup" => "policies.kubewarden.io_admissionpolicygroups.yaml",
        "PolicyServer" => "policies.kubewarden.io_policyservers.yaml",
        other => panic!("no Kubewarden CRD for kind {other}"),
    };
    let text = std::fs::read_to_string(crd_dir().join(file)).unwrap();
    let crd: Value = serde_norway::from_str(&text).unwrap();
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1")
        .unwrap_or_else(|| panic!("{file} has no v1 version"));
    version["schema"]["openAPIV3Schema"].clone()
}

/// A structural schema as a JSON Schema: objects with `properties` refuse other members (unless
/// `x-kubernetes-preserve-unknown-fields`), `nullable` admits `null`, int-or-string admits both.
pub fn json_schema(schema: &Value) -> Value {
    let Some(map) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(name, schema)| (name.clone(), json_schema(schema)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => json_schema(value),
            "allOf" | "anyOf" | "oneOf" => {
                Value::Array(value.as_array().unwrap().iter().map(json_schema).collect())
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    let preserve = map.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserve {
        out.insert("additionalProperties".into(), json!(false));
    }
    if map.get("x-kubernetes-int-or-string") == Some(&json!(true)) {
        out.remove("type");
        out.insert(
            "anyOf".into(),
            json!([{"type": "integer"}, {"type": "string"}]),
        );
    }
    if map.get("nullable") == Some(&json!(true)) {
        if let Some(kind) = out.get("type").cloned() {
            out.insert("type".into(), json!([kind, "null"]));
        }
    }
    Value::Object(out)
}

/// The API server's verdict on a resource of a Kubewarden kind: every schema violation.
pub fn violations(resource: &Value) -> Vec<String> {
    let kind = resource["kind"].as_str().unwrap_or_default();
    let schema = json_schema(&openapi_schema(kind));
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(resource)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}
