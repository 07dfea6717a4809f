//! Names settings use for who a Pod runs as, validated as the API server validates them, so a
//! setting can never name an identity no Pod can have (a typo that silently disables it).

use serde::{Deserialize, Serialize};

/// A namespace and a ServiceAccount in it: the identity of the Pods a setting names (Antrea's
/// agent, exempt from the hostPath guard; its controller, placed on secure Nodes).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespacedServiceAccount {
    /// The namespace.
    pub namespace: String,
    /// The ServiceAccount's name.
    pub service_account_name: String,
}

impl NamespacedServiceAccount {
    /// `namespace` and `service_account_name`.
    pub fn new(namespace: &str, service_account_name: &str) -> Self {
        NamespacedServiceAccount {
            namespace: namespace.to_string(),
            service_account_name: service_account_name.to_string(),
        }
    }

    /// Whether a Pod running as `service_account` in `namespace` is this one.
    pub fn is(&self, namespace: &str, service_account: &str) -> bool {
        self.namespace == namespace && self.service_account_name == service_account
    }

    /// Checks both names; `list` names the setting in messages (`exemptions`, `controllers`).
    pub fn validate(&self, list: &str) -> Result<(), String> {
        if self.namespace.is_empty() || self.service_account_name.is_empty() {
            return Err(format!(
                "{list} need a non-empty namespace and serviceAccountName"
            ));
        }
        if !dns1123_label(&self.namespace) {
            return Err(format!(
                "{list}: namespace {:?} is not a valid namespace name (a DNS-1123 label)",
                self.namespace
            ));
        }
        if !dns1123_subdomain(&self.service_account_name) {
            return Err(format!(
                "{list}: serviceAccountName {:?} is not a valid ServiceAccount name (a DNS-1123 subdomain)",
                self.service_account_name
            ));
        }
        Ok(())
    }
}

/// Whether some identity in `list` lives in `namespace`: only then is a Pod's ServiceAccount
/// worth resolving.
pub fn any_in_namespace(list: &[NamespacedServiceAccount], namespace: &str) -> bool {
    list.iter().any(|identity| identity.namespace == namespace)
}

/// Whether a Pod running as `service_account` in `namespace` is one of `list`.
pub fn contains(list: &[NamespacedServiceAccount], namespace: &str, service_account: &str) -> bool {
    list.iter()
        .any(|identity| identity.is(namespace, service_account))
}

/// Checks every identity in `list`; `setting` names the list in messages.
pub fn validate_all(list: &[NamespacedServiceAccount], setting: &str) -> Result<(), String> {
    list.iter()
        .try_for_each(|identity| identity.validate(setting))
}

/// Whether `name` is a DNS-1123 label (a namespace name): at most 63 lower-case alphanumerics
/// or `-`, starting and ending alphanumeric.
pub fn dns1123_label(name: &str) -> bool {
    name.len() <= 63 && label_characters(name)
}

/// Whether `name` is a DNS-1123 subdomain (a ServiceAccount name, a label key's prefix): at
/// most 253 characters, labels joined by `.` (the API server does not limit each label's
/// length here).
pub fn dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(label_characters)
}

/// Lower-case alphanumerics and `-`, starting and ending alphanumeric.
fn label_characters(part: &str) -> bool {
    let bytes = part.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::agent("kube-system", "antrea-agent", Ok(()))]
    #[case::dotted_service_account("antrea", "agent.v2", Ok(()))]
    #[case::empty_namespace(
        "",
        "a",
        Err("exemptions need a non-empty namespace and serviceAccountName")
    )]
    #[case::empty_service_account(
        "a",
        "",
        Err("exemptions need a non-empty namespace and serviceAccountName")
    )]
    #[case::upper_case_namespace("Kube-System", "a", Err(r#"exemptions: namespace "Kube-System" is not a valid namespace name (a DNS-1123 label)"#))]
    #[case::dotted_namespace("kube.system", "a", Err(r#"exemptions: namespace "kube.system" is not a valid namespace name (a DNS-1123 label)"#))]
    #[case::namespace_too_long(&"a".repeat(64), "a", Err(r#"exemptions: namespace "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" is not a valid namespace name (a DNS-1123 label)"#))]
    #[case::service_account_with_colon("kube-system", "system:antrea", Err(r#"exemptions: serviceAccountName "system:antrea" is not a valid ServiceAccount name (a DNS-1123 subdomain)"#))]
    #[case::service_account_ends_with_dash("kube-system", "agent-", Err(r#"exemptions: serviceAccountName "agent-" is not a valid ServiceAccount name (a DNS-1123 subdomain)"#))]
    fn validation(
        #[case] namespace: &str,
        #[case] service_account: &str,
        #[case] expected: Result<(), &str>,
    ) {
        let identity = NamespacedServiceAccount::new(namespace, service_account);
        assert_eq!(
            identity.validate("exemptions"),
            expected.map_err(str::to_string)
        );
    }

    #[test]
    fn lists() {
        let list = [
            NamespacedServiceAccount::new("kube-system", "antrea-agent"),
            NamespacedServiceAccount::new("antrea", "agent"),
        ];
        assert!(any_in_namespace(&list, "antrea"));
        assert!(!any_in_namespace(&list, "default"));
        assert!(contains(&list, "kube-system", "antrea-agent"));
        assert!(!contains(&list, "kube-system", "agent"));
        assert!(!contains(&[], "kube-system", "antrea-agent"));
        assert_eq!(validate_all(&list, "controllers"), Ok(()));
        let invalid = [list[0].clone(), NamespacedServiceAccount::new("", "a")];
        assert_eq!(
            validate_all(&invalid, "controllers"),
            Err("controllers need a non-empty namespace and serviceAccountName".to_string())
        );
    }

    #[test]
    fn subdomains() {
        assert!(dns1123_subdomain("node-role.kubernetes.io"));
        assert!(!dns1123_subdomain("a..b"));
        assert!(dns1123_subdomain(&"a".repeat(100)));
        assert!(!dns1123_subdomain(&"a".repeat(254)));
        assert!(!dns1123_subdomain("Example.com"));
        assert!(!dns1123_subdomain(""));
    }
}
