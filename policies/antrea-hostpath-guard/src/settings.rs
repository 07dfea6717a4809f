//! Settings of the policy. Unknown keys are an error, so a typo cannot silently disable a rule.

use policy_glue::{identity, NamespacedServiceAccount};
use serde::{Deserialize, Serialize};

use crate::paths::{expand_protected, NormalPath};

/// A namespace and ServiceAccount whose Pods may mount protected host paths.
pub type Exemption = NamespacedServiceAccount;

/// Policy settings.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Host directories no workload may reach.
    #[serde(default = "default_protected_paths")]
    pub protected_paths: Vec<String>,
    /// Groups of prefixes that reach the same host directory (`/var/run` is a symlink to `/run`).
    #[serde(default = "default_equivalent_paths")]
    pub equivalent_paths: Vec<Vec<String>>,
    /// Whether `/proc/<pid>`-style paths count as reaching every protected path.
    #[serde(default = "default_true")]
    pub proc_indirection: bool,
    /// Whether PersistentVolumes' hostPath and local paths are checked.
    #[serde(default = "default_true")]
    pub check_persistent_volumes: bool,
    /// Pods (and templates) that may mount protected paths: Antrea's own agent.
    #[serde(default = "default_exemptions")]
    pub exemptions: Vec<Exemption>,
    /// Users whose own Pods may mount protected paths (`kubectl debug node/…` by an admin).
    /// Applies to a Pod the user creates directly, never to Pods a controller creates from a
    /// workload the user submitted.
    #[serde(default)]
    pub exempt_usernames: Vec<String>,
    /// Groups whose members' own Pods may mount protected paths (e.g. `system:masters`), with
    /// the same scope as `exemptUsernames`.
    #[serde(default)]
    pub exempt_groups: Vec<String>,
}

fn default_protected_paths() -> Vec<String> {
    vec!["/var/run/antrea".to_string()]
}

fn default_equivalent_paths() -> Vec<Vec<String>> {
    vec![vec!["/var/run".to_string(), "/run".to_string()]]
}

fn default_true() -> bool {
    true
}

fn default_exemptions() -> Vec<Exemption> {
    vec![Exemption::new("kube-system", "antrea-agent")]
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            protected_paths: default_protected_paths(),
            equivalent_paths: default_equivalent_paths(),
            proc_indirection: true,
            check_persistent_volumes: true,
            exemptions: default_exemptions(),
            exempt_usernames: Vec::new(),
            exempt_groups: Vec::new(),
        }
    }
}

/// Whether an identity creates Pods on behalf of others (controllers, every user, every
/// ServiceAccount, Nodes): exempting it would exempt Pods its requester never wrote.
fn acts_for_others(name: &str, group: bool) -> bool {
    if group {
        matches!(
            name,
            "system:authenticated"
                | "system:unauthenticated"
                | "system:serviceaccounts"
                | "system:nodes"
        ) || name.starts_with("system:serviceaccounts:")
    } else {
        matches!(name, "system:kube-controller-manager" | "system:anonymous")
            || name.starts_with("system:serviceaccount:kube-system:")
            || name.starts_with("system:node:")
    }
}

fn check_absolute(field: &str, path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err(format!("{field} must not contain empty paths"));
    }
    if !path.starts_with('/') {
        return Err(format!(
            "{field} must contain absolute paths, found {path:?}"
        ));
    }
    Ok(())
}

impl kubewarden_policy_sdk::settings::Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        if self.protected_paths.is_empty() {
            return Err("protectedPaths must name at least one path".to_string());
        }
        for path in &self.protected_paths {
            check_absolute("protectedPaths", path)?;
        }
        for group in &self.equivalent_paths {
            if group.len() < 2 {
                return Err("each equivalentPaths group must name at least two paths".to_string());
            }
            for path in group {
                check_absolute("equivalentPaths", path)?;
            }
        }
        identity::validate_all(&self.exemptions, "exemptions")?;
        for (field, names, group) in [
            ("exemptUsernames", &self.exempt_usernames, false),
            ("exemptGroups", &self.exempt_groups, true),
        ] {
            if names.iter().any(|n| n.trim().is_empty()) {
                return Err(format!("{field} must not contain empty names"));
            }
            if let Some(name) = names.iter().find(|n| acts_for_others(n, group)) {
                return Err(format!(
                    "{field} must not name {name}: it creates Pods on behalf of others, whose Pods would be exempt"
                ));
            }
        }
        Ok(())
    }
}

/// Settings turned into what evaluation needs: every protected spelling, normalised. A
/// request's settings deserialise straight into it.
#[derive(Deserialize)]
#[serde(from = "Settings")]
pub struct Rules {
    /// Protected paths as configured, each with all its equivalent spellings.
    pub protected: Vec<NormalPath>,
    pub proc_indirection: bool,
    pub check_persistent_volumes: bool,
    pub exemptions: Vec<Exemption>,
    pub exempt_usernames: Vec<String>,
    pub exempt_groups: Vec<String>,
}

impl From<Settings> for Rules {
    fn from(settings: Settings) -> Self {
        let protected: Vec<NormalPath> = settings
            .protected_paths
            .iter()
            .map(|p| NormalPath::new(p))
            .collect();
        let equivalent: Vec<Vec<NormalPath>> = settings
            .equivalent_paths
            .iter()
            .map(|group| group.iter().map(|p| NormalPath::new(p)).collect())
            .collect();
        Rules {
            protected: expand_protected(&protected, &equivalent),
            proc_indirection: settings.proc_indirection,
            check_persistent_volumes: settings.check_persistent_volumes,
            exemptions: settings.exemptions,
            exempt_usernames: settings.exempt_usernames,
            exempt_groups: settings.exempt_groups,
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::from(Settings::default())
    }
}

impl Rules {
    /// Whether some exemption names `namespace`: only then does a ServiceAccount matter.
    pub fn exempts_namespace(&self, namespace: &str) -> bool {
        identity::any_in_namespace(&self.exemptions, namespace)
    }

    /// Whether a Pod running as `service_account` in `namespace` is exempt.
    pub fn exempt(&self, namespace: &str, service_account: &str) -> bool {
        identity::contains(&self.exemptions, namespace, service_account)
    }

    /// Whether a requester (username and groups) is exempt for the Pods it creates directly.
    pub fn exempts_requester(&self, username: &str, groups: &[String]) -> bool {
        self.exempt_usernames.iter().any(|u| u == username)
            || groups.iter().any(|g| self.exempt_groups.contains(g))
    }

    /// The protected path a host path reaches, if any.
    pub fn reached_by(&self, host_path: &str) -> Option<&NormalPath> {
        let path = NormalPath::new(host_path);
        if self.proc_indirection && path.is_proc_indirection() {
            return self.protected.first();
        }
        self.protected
            .iter()
            .find(|protected| path.overlaps(protected))
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
    #[case::custom(json!({"protectedPaths": ["/var/lib/secret"], "equivalentPaths": [], "procIndirection": false, "checkPersistentVolumes": false, "exemptions": []}), Ok(()))]
    #[case::empty_protected(json!({"protectedPaths": []}), Err("protectedPaths must name at least one path"))]
    #[case::relative_protected(json!({"protectedPaths": ["var/run/antrea"]}), Err("protectedPaths must contain absolute paths, found \"var/run/antrea\""))]
    #[case::empty_string_protected(json!({"protectedPaths": [""]}), Err("protectedPaths must not contain empty paths"))]
    #[case::lonely_group(json!({"equivalentPaths": [["/run"]]}), Err("each equivalentPaths group must name at least two paths"))]
    #[case::relative_equivalent(json!({"equivalentPaths": [["/var/run", "run"]]}), Err("equivalentPaths must contain absolute paths, found \"run\""))]
    #[case::empty_exemption(json!({"exemptions": [{"namespace": "", "serviceAccountName": "x"}]}), Err("exemptions need a non-empty namespace and serviceAccountName"))]
    #[case::exemption_namespace_not_a_name(json!({"exemptions": [{"namespace": "kube_system", "serviceAccountName": "antrea-agent"}]}), Err(r#"exemptions: namespace "kube_system" is not a valid namespace name (a DNS-1123 label)"#))]
    #[case::exemption_service_account_not_a_name(json!({"exemptions": [{"namespace": "kube-system", "serviceAccountName": "system:serviceaccount:kube-system:antrea-agent"}]}), Err(r#"exemptions: serviceAccountName "system:serviceaccount:kube-system:antrea-agent" is not a valid ServiceAccount name (a DNS-1123 subdomain)"#))]
    #[case::admins(json!({"exemptGroups": ["system:masters"], "exemptUsernames": ["alice@example.com"]}), Ok(()))]
    #[case::blank_username(json!({"exemptUsernames": [" "]}), Err("exemptUsernames must not contain empty names"))]
    #[case::every_user(json!({"exemptGroups": ["system:authenticated"]}), Err("exemptGroups must not name system:authenticated: it creates Pods on behalf of others, whose Pods would be exempt"))]
    #[case::service_accounts(json!({"exemptGroups": ["system:serviceaccounts:kube-system"]}), Err("exemptGroups must not name system:serviceaccounts:kube-system"))]
    #[case::replicaset_controller(json!({"exemptUsernames": ["system:serviceaccount:kube-system:replicaset-controller"]}), Err("exemptUsernames must not name system:serviceaccount:kube-system:replicaset-controller"))]
    #[case::controller_manager(json!({"exemptUsernames": ["system:kube-controller-manager"]}), Err("exemptUsernames must not name system:kube-controller-manager"))]
    fn validation(#[case] settings: serde_json::Value, #[case] expected: Result<(), &str>) {
        let settings: Settings = serde_json::from_value(settings).unwrap();
        match (settings.validate(), expected) {
            (Err(error), Err(expected)) => assert!(error.starts_with(expected), "{error}"),
            (verdict, expected) => assert_eq!(verdict, expected.map_err(str::to_string)),
        }
    }

    #[rstest]
    #[case::unknown_key(json!({"protectedPath": ["/x"]}), "unknown field `protectedPath`")]
    #[case::exemption_without_service_account(json!({"exemptions": [{"namespace": "kube-system"}]}), "missing field `serviceAccountName`")]
    #[case::exemption_unknown_key(json!({"exemptions": [{"namespace": "a", "serviceAccountName": "b", "name": "c"}]}), "unknown field `name`")]
    #[case::proc_not_bool(json!({"procIndirection": "yes"}), "invalid type")]
    fn malformed(#[case] settings: serde_json::Value, #[case] expected: &str) {
        let error = policy_glue::questions::deserialise_error::<Settings>(settings);
        assert!(error.contains(expected), "{error}");
    }

    #[rstest]
    #[case::run_alias("/run", Some("/run/antrea"))]
    #[case::run_alias_child("/run/antrea/openvswitch", Some("/run/antrea"))]
    #[case::var_run("/var/run", Some("/var/run/antrea"))]
    #[case::root("/", Some("/var/run/antrea"))]
    #[case::proc_root("/proc/1/root", Some("/var/run/antrea"))]
    #[case::proc_sys("/proc/sys", None)]
    #[case::run_sibling("/run/antrea-x", None)]
    #[case::var_log("/var/log/antrea", None)]
    fn reached_with_defaults(#[case] host_path: &str, #[case] expected: Option<&str>) {
        let rules = Rules::from(Settings::default());
        assert_eq!(
            rules
                .reached_by(host_path)
                .map(ToString::to_string)
                .as_deref(),
            expected
        );
    }

    #[test]
    fn proc_rule_can_be_disabled() {
        let rules = Rules::from(Settings {
            proc_indirection: false,
            ..Settings::default()
        });
        assert_eq!(rules.reached_by("/proc/1/root"), None);
        // `/proc` itself is not a parent of /var/run/antrea lexically.
        assert_eq!(rules.reached_by("/proc"), None);
    }
}
