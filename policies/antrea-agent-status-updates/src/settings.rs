//! Settings of the policy. Unknown keys are an error, so a typo cannot silently disable a rule.

use serde::{Deserialize, Serialize};

/// The ServiceAccount Antrea's release manifest creates for the agent.
pub const DEFAULT_AGENT_USERNAME: &str = "system:serviceaccount:kube-system:antrea-agent";

/// What a restricted subject may change.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Everything but annotations (and server-managed metadata) must stay unchanged.
    #[default]
    AnnotationsOnly,
    /// Only `status` and `metadata.labels` must stay unchanged (Antrea's Gatekeeper scope).
    StatusAndLabels,
}

/// How a bound ServiceAccount token's node-name claim restricts the Node and Pods it may touch.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NodeBinding {
    /// Check the claim when the token carries one.
    #[default]
    IfPresent,
    /// Deny requests whose token carries no claim (legacy Secret tokens).
    Required,
    /// No node check.
    Disabled,
}

/// Policy settings.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Usernames whose status updates are restricted.
    #[serde(default = "default_usernames")]
    pub usernames: Vec<String>,
    /// What restricted subjects may change.
    #[serde(default)]
    pub mode: Mode,
    /// NodeRestriction-like binding of the agent to its own Node.
    #[serde(default)]
    pub node_binding: NodeBinding,
    /// Annotation keys (exact, or prefixes ending in `/`) restricted subjects may change; empty means any.
    #[serde(default)]
    pub allowed_annotation_keys: Vec<String>,
}

/// The usernames restricted when the settings name none.
pub fn default_usernames() -> Vec<String> {
    vec![DEFAULT_AGENT_USERNAME.to_string()]
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            usernames: default_usernames(),
            mode: Mode::default(),
            node_binding: NodeBinding::default(),
            allowed_annotation_keys: Vec::new(),
        }
    }
}

impl kubewarden_policy_sdk::settings::Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        if self.usernames.is_empty() {
            return Err("usernames must name at least one user".to_string());
        }
        if self.usernames.iter().any(|u| u.trim().is_empty()) {
            return Err("usernames must not contain empty names".to_string());
        }
        if self
            .allowed_annotation_keys
            .iter()
            .any(|k| k.trim().is_empty())
        {
            return Err("allowedAnnotationKeys must not contain empty keys".to_string());
        }
        Ok(())
    }
}

impl Settings {
    /// Whether requests from `username` are held by this policy.
    pub fn restricts(&self, username: &str) -> bool {
        self.usernames.iter().any(|u| u == username)
    }

    /// Whether a restricted subject may add, change or remove the annotation `key`.
    pub fn annotation_key_allowed(&self, key: &str) -> bool {
        self.allowed_annotation_keys.is_empty()
            || self.allowed_annotation_keys.iter().any(|allowed| {
                key == allowed || (allowed.ends_with('/') && key.starts_with(allowed.as_str()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::settings::Validatable;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::empty_object(json!({}), Ok(()))]
    #[case::helm_namespace(json!({"usernames": ["system:serviceaccount:antrea:antrea-agent"]}), Ok(()))]
    #[case::all_fields(json!({"usernames": ["a"], "mode": "status-and-labels", "nodeBinding": "required", "allowedAnnotationKeys": ["node.antrea.io/"]}), Ok(()))]
    #[case::empty_usernames(json!({"usernames": []}), Err("usernames must name at least one user"))]
    #[case::blank_username(json!({"usernames": [""]}), Err("usernames must not contain empty names"))]
    #[case::blank_annotation_key(json!({"allowedAnnotationKeys": [""]}), Err("allowedAnnotationKeys must not contain empty keys"))]
    fn validation(#[case] settings: serde_json::Value, #[case] expected: Result<(), &str>) {
        let settings: Settings = serde_json::from_value(settings).unwrap();
        assert_eq!(settings.validate(), expected.map_err(str::to_string));
    }

    #[rstest]
    #[case::unknown_key(json!({"usernmes": ["a"]}), "unknown field `usernmes`")]
    #[case::unknown_mode(json!({"mode": "labels-only"}), "unknown variant `labels-only`")]
    #[case::unknown_node_binding(json!({"nodeBinding": "sometimes"}), "unknown variant `sometimes`")]
    #[case::usernames_not_a_list(json!({"usernames": "a"}), "invalid type")]
    fn malformed(#[case] settings: serde_json::Value, #[case] expected: &str) {
        let error = policy_glue::questions::deserialise_error::<Settings>(settings);
        assert!(error.contains(expected), "{error}");
    }

    #[rstest]
    #[case::any_key_when_empty(&[], "anything", true)]
    #[case::exact(&["nodeportlocal.antrea.io"], "nodeportlocal.antrea.io", true)]
    #[case::exact_is_not_a_prefix(&["nodeportlocal.antrea.io"], "nodeportlocal.antrea.io/x", false)]
    #[case::prefix(&["node.antrea.io/"], "node.antrea.io/mac-address", true)]
    #[case::prefix_needs_slash(&["node.antrea.io/"], "node.antrea.io.evil/x", false)]
    #[case::unlisted(&["node.antrea.io/"], "example.com/x", false)]
    fn annotation_keys(#[case] allowed: &[&str], #[case] key: &str, #[case] expected: bool) {
        let settings = Settings {
            allowed_annotation_keys: allowed.iter().map(|k| k.to_string()).collect(),
            ..Settings::default()
        };
        assert_eq!(settings.annotation_key_allowed(key), expected);
    }
}
