//! Test support for the Gatekeeper edition (`gatekeeper/`): a ConstraintTemplate's Rego
//! evaluated with regorus on Gatekeeper's input shape (`input.review` is the AdmissionRequest,
//! `input.parameters` the constraint's parameters), the quick check; and the bulk parity
//! suites ([`bulk`], [`regressions`]) that gator's own engines judge (`judge/`), the judge.

#![warn(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

pub mod bulk;
mod kinds;
pub mod regressions;

pub use kinds::{message_kinds, MessageKind};

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A YAML file of the repository, parsed.
pub fn yaml(path: &str) -> Value {
    let path = workspace().join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A ConstraintTemplate, compiled once and evaluated on many requests.
pub struct Template {
    engine: regorus::Engine,
    package: String,
    /// The rule's message kinds.
    kinds: &'static [MessageKind],
    /// Their expressions, compiled, by expression.
    expressions: HashMap<&'static str, regex::Regex>,
}

impl Template {
    /// Loads the Rego engine's source of `gatekeeper/<policy>/template.yaml`, in Rego v1 as its
    /// `version: "v1"` tells Gatekeeper.
    pub fn load(policy: &str) -> Self {
        let template = yaml(&format!("gatekeeper/{policy}/template.yaml"));
        let source = engine_source(&template, "Rego");
        assert_eq!(source["version"], "v1", "{policy}: Rego v1");
        let rego = source["rego"].as_str().expect("a rego field").to_string();
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        engine.set_strict_builtin_errors(false);
        let package = engine
            .add_policy(format!("{policy}.rego"), rego)
            .unwrap_or_else(|e| panic!("{policy}: {e}"));
        let kinds = message_kinds(policy);
        let expressions = kinds
            .iter()
            .map(|(_, expression)| {
                let compiled = regex::Regex::new(expression).expect("a valid expression");
                (*expression, compiled)
            })
            .collect();
        Template {
            engine,
            package,
            kinds,
            expressions,
        }
    }

    /// Whether `violations` are what Gatekeeper must find for the Kubewarden `verdict`: none
    /// for an acceptance; for a rejection at least one, and one of the rejection's kind when
    /// its message has a kind.
    fn expected(&self, verdict: &Result<(), String>, violations: &[String]) -> bool {
        match bulk::Expect::of(verdict, self.kinds) {
            bulk::Expect::Allowed => violations.is_empty(),
            bulk::Expect::Rejected(None) => !violations.is_empty(),
            bulk::Expect::Rejected(Some(expression)) => {
                let compiled = &self.expressions[expression];
                violations.iter().any(|v| compiled.is_match(v))
            }
        }
    }

    /// The violation messages for a request (an AdmissionRequest) under these parameters.
    pub fn violations(&mut self, request: &Value, parameters: &Value) -> Vec<String> {
        let input = serde_json::json!({"review": request, "parameters": parameters});
        self.engine
            .set_input(regorus::Value::from_json_str(&input.to_string()).expect("valid JSON"));
        let result = self
            .engine
            .eval_rule(format!("{}.violation", self.package))
            .unwrap_or_else(|e| panic!("evaluation failed: {e}"));
        let result: Value =
            serde_json::from_str(&result.to_json_str().expect("JSON")).expect("JSON");
        match result {
            Value::Array(items) => items
                .into_iter()
                .map(|v| v["msg"].as_str().unwrap_or_default().to_string())
                .collect(),
            // An undefined set: no violation.
            _ => Vec::new(),
        }
    }
}

/// The `source` of a template's `code` entry for `engine` (`Rego`, `K8sNativeValidation`).
pub fn engine_source<'a>(template: &'a Value, engine: &str) -> &'a Value {
    template["spec"]["targets"][0]["code"]
        .as_array()
        .expect("a code list")
        .iter()
        .find(|code| code["engine"] == engine)
        .map(|code| &code["source"])
        .unwrap_or_else(|| panic!("no {engine} engine"))
}

/// A verdict of the Kubewarden policy's `evaluate` on a request and settings (the payload in
/// policy-server's sorted member order).
pub fn kubewarden<E: std::fmt::Display>(
    evaluate: fn(&[u8]) -> Result<(), E>,
    request: &Value,
    settings: &Value,
) -> Result<(), String> {
    evaluate(&policy_glue::test_support::payload(
        request, settings, false,
    ))
    .map_err(|r| r.to_string())
}

/// Whether both editions agree: the Kubewarden policy accepts ⇔ the template has no violation,
/// and a rejection of a known kind (`message_kinds`) has a violation of that kind.
pub fn agree<E: std::fmt::Display>(
    template: &mut Template,
    evaluate: fn(&[u8]) -> Result<(), E>,
    request: &Value,
    settings: &Value,
) -> Result<(), String> {
    let kubewarden = kubewarden(evaluate, request, settings);
    let violations = template.violations(request, settings);
    if template.expected(&kubewarden, &violations) {
        return Ok(());
    }
    Err(format!(
        "Kubewarden {kubewarden:?}, Gatekeeper {violations:?}"
    ))
}

/// The request Gatekeeper's audit makes of a stored object: no operation, no requester; its
/// name and namespace the object's, when they are strings (as `unstructured`'s getters read
/// them: a member of another type reads as empty, and an empty one is left out).
pub fn stored(object: &Value) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let mut request = json!({
        "uid": "", "kind": {"group": group, "version": version, "kind": object["kind"]},
        "resource": {"group": "", "version": "", "resource": ""},
        "operation": "", "userInfo": {}, "object": object,
    });
    for key in ["name", "namespace"] {
        if let Some(value) = object["metadata"][key].as_str().filter(|v| !v.is_empty()) {
            request[key] = json!(value);
        }
    }
    request
}

/// A stored object's request as the Kubewarden policy judges it: a CREATE by audit's
/// ServiceAccount, which no setting exempts (gatekeeper/generate.py's AUDITOR).
pub fn audited(mut request: Value) -> Value {
    request["operation"] = json!("CREATE");
    request["userInfo"] = json!({
        "username": "system:serviceaccount:gatekeeper-system:gatekeeper-admin",
        "groups": ["system:serviceaccounts", "system:authenticated"],
    });
    request
}
