//! Settings of the policy. Unknown keys are an error, so a typo cannot silently disable a rule.

use policy_glue::identity::{self, dns1123_subdomain};
use policy_glue::NamespacedServiceAccount;
use serde::{Deserialize, Serialize};

/// A controller Pod's identity: its namespace and ServiceAccount.
pub type Controller = NamespacedServiceAccount;

/// How a secure-node requirement matches a Node label.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// The label has one of `values`.
    In,
    /// The label is present, whatever its value.
    Exists,
}

/// A node-selector requirement every secure Node satisfies.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Requirement {
    /// The Node label key.
    pub key: String,
    /// `In` or `Exists`.
    pub operator: Operator,
    /// The accepted values, for `In`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl std::fmt::Display for Requirement {
    /// `key Exists` or `key In [a, b]`, as messages name a requirement.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.operator {
            Operator::Exists => write!(f, "{} Exists", self.key),
            Operator::In => write!(f, "{} In [{}]", self.key, self.values.join(", ")),
        }
    }
}

/// How a toleration matches a taint's value.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TolerationOperator {
    /// Any value.
    #[default]
    Exists,
    /// Exactly `value`.
    Equal,
}

/// A taint's effect.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// New Pods are not scheduled.
    NoSchedule,
    /// New Pods are scheduled elsewhere when possible.
    PreferNoSchedule,
    /// Running Pods are evicted.
    NoExecute,
}

/// A toleration the controller needs for the taint of secure Nodes.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    /// The taint key.
    pub key: String,
    /// `Exists` (default) or `Equal`.
    #[serde(default)]
    pub operator: TolerationOperator,
    /// The taint value, for `Equal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The taint effect.
    pub effect: Effect,
}

/// What the policy does with a controller Pod that lacks the placement.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Add the missing requirements and tolerations.
    #[default]
    Mutate,
    /// Reject, naming what is missing.
    Validate,
}

/// Policy settings.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// The Pods this policy places: Antrea's controller.
    #[serde(default = "default_controllers")]
    pub controllers: Vec<Controller>,
    /// Requirements that select secure Nodes.
    #[serde(default = "default_secure_nodes")]
    pub secure_nodes: Vec<Requirement>,
    /// Tolerations for the taints of secure Nodes.
    #[serde(default = "default_tolerations")]
    pub tolerations: Vec<Toleration>,
    /// `mutate` (default) or `validate`.
    #[serde(default)]
    pub mode: Mode,
    /// Also check the controllers' Deployments (never mutated), for early feedback.
    #[serde(default)]
    pub check_workloads: bool,
}

/// The label and taint kubeadm puts on control-plane Nodes.
pub const CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";

/// The controllers a release manifest of Antrea deploys.
pub fn default_controllers() -> Vec<Controller> {
    vec![Controller::new("kube-system", "antrea-controller")]
}

fn default_secure_nodes() -> Vec<Requirement> {
    vec![Requirement {
        key: CONTROL_PLANE.to_string(),
        operator: Operator::Exists,
        values: Vec::new(),
    }]
}

fn default_tolerations() -> Vec<Toleration> {
    vec![Toleration {
        key: CONTROL_PLANE.to_string(),
        operator: TolerationOperator::Exists,
        value: None,
        effect: Effect::NoSchedule,
    }]
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            controllers: default_controllers(),
            secure_nodes: default_secure_nodes(),
            tolerations: default_tolerations(),
            mode: Mode::default(),
            check_workloads: false,
        }
    }
}

/// Whether `name` is a DNS-1123 subdomain-style label name part: alphanumerics, `-`, `_`,
/// `.`, starting and ending alphanumeric, at most 63 characters.
fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether `key` is a valid label key: `[prefix/]name`, as the API server checks it.
pub fn valid_label_key(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => dns1123_subdomain(prefix) && valid_name(name),
        None => valid_name(key),
    }
}

/// Whether `value` is a valid label value: empty, or a valid name part.
pub fn valid_label_value(value: &str) -> bool {
    value.is_empty() || valid_name(value)
}

impl kubewarden_policy_sdk::settings::Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        if self.controllers.is_empty() {
            return Err("controllers must name at least one controller".to_string());
        }
        identity::validate_all(&self.controllers, "controllers")?;
        if self.secure_nodes.is_empty() {
            return Err("secureNodes must name at least one requirement".to_string());
        }
        for requirement in &self.secure_nodes {
            validate_requirement(requirement)?;
        }
        for toleration in &self.tolerations {
            validate_toleration(toleration)?;
        }
        Ok(())
    }
}

fn validate_requirement(requirement: &Requirement) -> Result<(), String> {
    let key = &requirement.key;
    if !valid_label_key(key) {
        return Err(format!("secureNodes: {key:?} is not a valid label key"));
    }
    match requirement.operator {
        Operator::In if requirement.values.is_empty() => {
            Err(format!("secureNodes: {key} In needs at least one value"))
        }
        Operator::Exists if !requirement.values.is_empty() => {
            Err(format!("secureNodes: {key} Exists takes no values"))
        }
        _ => match requirement.values.iter().find(|v| !valid_label_value(v)) {
            Some(value) => Err(format!("secureNodes: {value:?} is not a valid label value")),
            None => Ok(()),
        },
    }
}

fn validate_toleration(toleration: &Toleration) -> Result<(), String> {
    let key = &toleration.key;
    if !valid_label_key(key) {
        return Err(format!("tolerations: {key:?} is not a valid taint key"));
    }
    match (toleration.operator, &toleration.value) {
        (TolerationOperator::Exists, Some(_)) => {
            Err(format!("tolerations: {key} Exists takes no value"))
        }
        (_, Some(value)) if !valid_label_value(value) => {
            Err(format!("tolerations: {value:?} is not a valid taint value"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::settings::Validatable;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::defaults(json!({}), Ok(()))]
    #[case::helm_namespace(json!({"controllers": [{"namespace": "antrea", "serviceAccountName": "antrea-controller"}]}), Ok(()))]
    #[case::node_pool(json!({"secureNodes": [{"key": "pool", "operator": "In", "values": ["system"]}], "tolerations": [{"key": "pool", "operator": "Equal", "value": "system", "effect": "NoSchedule"}], "mode": "validate", "checkWorkloads": true}), Ok(()))]
    #[case::no_tolerations(json!({"tolerations": []}), Ok(()))]
    #[case::empty_controllers(json!({"controllers": []}), Err("controllers must name at least one controller"))]
    #[case::blank_controller(json!({"controllers": [{"namespace": "", "serviceAccountName": "a"}]}), Err("controllers need a non-empty namespace and serviceAccountName"))]
    #[case::controller_namespace_not_a_name(json!({"controllers": [{"namespace": "Kube-System", "serviceAccountName": "antrea-controller"}]}), Err(r#"controllers: namespace "Kube-System" is not a valid namespace name (a DNS-1123 label)"#))]
    #[case::controller_service_account_not_a_name(json!({"controllers": [{"namespace": "kube-system", "serviceAccountName": "antrea controller"}]}), Err(r#"controllers: serviceAccountName "antrea controller" is not a valid ServiceAccount name (a DNS-1123 subdomain)"#))]
    #[case::no_secure_nodes(json!({"secureNodes": []}), Err("secureNodes must name at least one requirement"))]
    #[case::in_without_values(json!({"secureNodes": [{"key": "pool", "operator": "In"}]}), Err("secureNodes: pool In needs at least one value"))]
    #[case::exists_with_values(json!({"secureNodes": [{"key": "pool", "operator": "Exists", "values": ["a"]}]}), Err("secureNodes: pool Exists takes no values"))]
    #[case::malformed_key(json!({"secureNodes": [{"key": "Node Role/x", "operator": "Exists"}]}), Err("secureNodes: \"Node Role/x\" is not a valid label key"))]
    #[case::upper_case_prefix(json!({"secureNodes": [{"key": "Example.com/x", "operator": "Exists"}]}), Err("secureNodes: \"Example.com/x\" is not a valid label key"))]
    #[case::malformed_value(json!({"secureNodes": [{"key": "pool", "operator": "In", "values": ["-x"]}]}), Err("secureNodes: \"-x\" is not a valid label value"))]
    #[case::malformed_taint_key(json!({"tolerations": [{"key": "a b", "effect": "NoSchedule"}]}), Err("tolerations: \"a b\" is not a valid taint key"))]
    #[case::exists_with_value(json!({"tolerations": [{"key": "a", "value": "b", "effect": "NoSchedule"}]}), Err("tolerations: a Exists takes no value"))]
    fn validation(#[case] settings: serde_json::Value, #[case] expected: Result<(), &str>) {
        let settings: Settings = serde_json::from_value(settings).unwrap();
        assert_eq!(settings.validate(), expected.map_err(str::to_string));
    }

    #[rstest]
    #[case::unknown_key(json!({"secureNode": []}), "unknown field `secureNode`")]
    #[case::unknown_operator(json!({"secureNodes": [{"key": "a", "operator": "NotIn", "values": ["b"]}]}), "unknown variant `NotIn`")]
    #[case::unknown_mode(json!({"mode": "fix"}), "unknown variant `fix`")]
    #[case::unknown_effect(json!({"tolerations": [{"key": "a", "effect": "Never"}]}), "unknown variant `Never`")]
    #[case::requirement_unknown_key(json!({"secureNodes": [{"key": "a", "operator": "Exists", "value": "b"}]}), "unknown field `value`")]
    #[case::controller_without_service_account(json!({"controllers": [{"namespace": "a"}]}), "missing field `serviceAccountName`")]
    fn malformed(#[case] settings: serde_json::Value, #[case] expected: &str) {
        let error = policy_glue::questions::deserialise_error::<Settings>(settings);
        assert!(error.contains(expected), "{error}");
    }

    #[rstest]
    #[case::plain("pool", true)]
    #[case::prefixed("node-role.kubernetes.io/control-plane", true)]
    #[case::empty("", false)]
    #[case::empty_name("example.com/", false)]
    #[case::too_long(&"a".repeat(64), false)]
    #[case::two_slashes("a/b/c", false)]
    fn label_keys(#[case] key: &str, #[case] valid: bool) {
        assert_eq!(valid_label_key(key), valid);
    }
}
