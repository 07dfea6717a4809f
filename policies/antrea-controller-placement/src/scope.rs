//! Which Pods and Deployments the policy reviews: every request needs it, and policy-server
//! evaluates each request in a fresh instance, so only the two settings members that say it are
//! parsed for a Pod that is not a controller's, never the requirements and tolerations.

use policy_glue::settings::parse_member;
use policy_glue::{identity, LazySettings, RequestError};

use crate::settings::{default_controllers, Controller, Settings};

/// The controllers (namespace and ServiceAccount) and `checkWorkloads`.
pub struct Scope {
    controllers: Vec<Controller>,
    /// Whether Deployments are reviewed too.
    pub check_workloads: bool,
}

impl Scope {
    /// `controllers` and `checkWorkloads` of the request's settings, with their defaults.
    pub fn read(settings: &LazySettings<'_, Settings>) -> Result<Self, RequestError> {
        let [controllers, check_workloads] = settings.members(["controllers", "checkWorkloads"])?;
        Ok(Scope {
            controllers: parse_member(controllers, "controllers")?
                .unwrap_or_else(default_controllers),
            check_workloads: parse_member(check_workloads, "checkWorkloads")?.unwrap_or_default(),
        })
    }

    /// Whether some controller runs in `namespace`: only then does a ServiceAccount matter.
    pub fn names_namespace(&self, namespace: &str) -> bool {
        identity::any_in_namespace(&self.controllers, namespace)
    }

    /// Whether a Pod running as `service_account` in `namespace` is a controller.
    pub fn names(&self, namespace: &str, service_account: &str) -> bool {
        identity::contains(&self.controllers, namespace, service_account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use json_scan::Raw;
    use rstest::rstest;
    use serde_json::json;

    fn scope_of(settings: &serde_json::Value) -> Result<Scope, RequestError> {
        let text = serde_json::to_vec(settings).unwrap();
        Scope::read(&LazySettings::new(Some(Raw::document(&text).unwrap())))
    }

    #[rstest]
    #[case::empty(json!({}))]
    #[case::deployed(json!({"controllers": [{"namespace": "kube-system", "serviceAccountName": "antrea-controller"}], "secureNodes": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}], "mode": "mutate", "checkWorkloads": false}))]
    #[case::two_controllers(json!({"controllers": [{"namespace": "antrea", "serviceAccountName": "c"}, {"namespace": "kube-system", "serviceAccountName": "antrea-controller"}], "checkWorkloads": true}))]
    #[case::escaped(json!({"controllers": [{"namespace": "kube-\u{e9}", "serviceAccountName": "a\"b"}]}))]
    fn agrees_with_the_parsed_settings(#[case] settings: serde_json::Value) {
        let scope = scope_of(&settings).unwrap();
        let parsed: Settings = serde_json::from_value(settings).unwrap();
        assert_eq!(scope.controllers, parsed.controllers);
        assert_eq!(scope.check_workloads, parsed.check_workloads);
    }

    #[rstest]
    #[case::not_a_list(json!({"controllers": {}}), "controllers: invalid type: map")]
    #[case::no_namespace(json!({"controllers": [{"serviceAccountName": "a"}]}), "controllers: missing field `namespace`")]
    #[case::not_a_bool(json!({"checkWorkloads": "yes"}), "checkWorkloads: invalid type: string")]
    fn unexpected_shapes_are_refused(#[case] settings: serde_json::Value, #[case] expected: &str) {
        let error = scope_of(&settings).err().unwrap().to_string();
        let expected = format!("cannot parse the admission request: invalid settings: {expected}");
        assert!(error.starts_with(&expected), "{error}");
    }
}
