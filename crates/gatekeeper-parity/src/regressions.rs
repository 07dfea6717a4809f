//! Requests on which the Gatekeeper edition once disagreed with the Kubewarden policy, found by
//! the bulk parity check (`make gatekeeper-parity`) and fixed in the templates
//! (`regressions.json`: a fixture, members set by JSON pointer, the settings, the verdict and
//! why). Each is checked with regorus (`tests/regressions.rs`) and by gator's two engines in
//! the bulk suites. All are shapes the API server's schema refuses for built-in kinds: only
//! gator runs, audit of hand-made objects and synthetic reviews meet them.

use serde_json::{Map, Value};

use crate::workspace;

/// One regression.
pub struct Regression {
    /// The rule (the policy's name).
    pub rule: String,
    /// Names what once differed.
    pub name: String,
    /// The fixture of `policies/<rule>/test_data/` it starts from.
    fixture: String,
    /// Whether the new object starts as a copy of the old one (an update that changes nothing).
    unchanged: bool,
    /// Members set in the request, by JSON pointer.
    set: Map<String, Value>,
    /// The settings (the constraint's parameters).
    pub settings: Value,
    /// Whether the Kubewarden policy (and so each engine) rejects it.
    pub rejected: bool,
}

impl Regression {
    /// The admission request.
    pub fn request(&self) -> Value {
        let path = workspace().join(format!("policies/{}/test_data/{}", self.rule, self.fixture));
        let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut request: Value = serde_json::from_slice(&text).expect("a JSON fixture");
        if self.unchanged {
            request["object"] = request["oldObject"].clone();
        }
        for (pointer, value) in &self.set {
            let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
            let parent = request.pointer_mut(parent);
            let parent = parent.and_then(Value::as_object_mut);
            let parent = parent.unwrap_or_else(|| panic!("{}: no object at {pointer}", self.name));
            parent.insert(key.to_string(), value.clone());
        }
        request
    }
}

/// The rule's regressions.
pub fn regressions(rule: &str) -> Vec<Regression> {
    let all: Vec<Value> = serde_json::from_str(include_str!("../regressions.json"))
        .expect("regressions.json: a JSON list");
    let text = |entry: &Value, key: &str| entry[key].as_str().expect(key).to_string();
    all.iter()
        .filter(|entry| entry["rule"] == rule)
        .map(|entry| Regression {
            rule: text(entry, "rule"),
            name: text(entry, "name"),
            fixture: text(entry, "fixture"),
            unchanged: entry["unchanged"] == true,
            set: entry["set"].as_object().expect("set").clone(),
            settings: entry["settings"].clone(),
            rejected: entry["rejected"].as_bool().expect("rejected"),
        })
        .collect()
}
