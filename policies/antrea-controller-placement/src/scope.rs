//! Which Pods and Deployments the policy reviews, read straight from the raw settings: every
//! request needs it, and policy-server evaluates each request in a fresh instance, so parsing
//! the whole settings document (requirements, tolerations) for a Pod that is not a controller's
//! would be paid on every Pod creation in the cluster.

use std::borrow::Cow;

use json_scan::Raw;

use crate::settings::Settings;

/// The controllers (namespace and ServiceAccount) and `checkWorkloads`.
pub struct Scope<'a> {
    controllers: Vec<[Cow<'a, str>; 2]>,
    /// Whether Deployments are reviewed too.
    pub check_workloads: bool,
}

impl<'a> Scope<'a> {
    /// The scope of settings as `validate_settings` accepts them (policy-server serves a policy
    /// only with such settings); `None` for anything else, which the caller then parses in full
    /// to say what is wrong, as it always did.
    pub fn read(settings: Option<Raw<'a>>) -> Option<Self> {
        let Some(settings) = settings else {
            return Some(Scope::from(&Settings::default()));
        };
        let [controllers, check_workloads] =
            settings.pick(["controllers", "checkWorkloads"]).ok()?;
        let check_workloads = match check_workloads.map(|raw| raw.bytes()) {
            None | Some(b"false") => false,
            Some(b"true") => true,
            Some(_) => return None,
        };
        let Some(controllers) = controllers else {
            return Some(Scope {
                check_workloads,
                ..Scope::from(&Settings::default())
            });
        };
        let mut list = Vec::new();
        for controller in controllers.elements().ok()? {
            let [namespace, service_account] =
                controller.pick(["namespace", "serviceAccountName"]).ok()?;
            list.push([namespace?.as_str()?, service_account?.as_str()?]);
        }
        Some(Scope {
            controllers: list,
            check_workloads,
        })
    }

    /// Whether some controller runs in `namespace`: only then does a ServiceAccount matter.
    pub fn names_namespace(&self, namespace: &str) -> bool {
        self.controllers.iter().any(|[ns, _]| ns == namespace)
    }

    /// Whether a Pod running as `service_account` in `namespace` is a controller.
    pub fn names(&self, namespace: &str, service_account: &str) -> bool {
        self.controllers
            .iter()
            .any(|[ns, sa]| ns == namespace && sa == service_account)
    }
}

impl From<&Settings> for Scope<'_> {
    fn from(settings: &Settings) -> Self {
        Scope {
            controllers: settings
                .controllers
                .iter()
                .map(|c| {
                    [
                        Cow::Owned(c.namespace.clone()),
                        Cow::Owned(c.service_account_name.clone()),
                    ]
                })
                .collect(),
            check_workloads: settings.check_workloads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::empty(json!({}))]
    #[case::deployed(json!({"controllers": [{"namespace": "kube-system", "serviceAccountName": "antrea-controller"}], "secureNodes": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}], "mode": "mutate", "checkWorkloads": false}))]
    #[case::two_controllers(json!({"controllers": [{"namespace": "antrea", "serviceAccountName": "c"}, {"namespace": "kube-system", "serviceAccountName": "antrea-controller"}], "checkWorkloads": true}))]
    #[case::escaped(json!({"controllers": [{"namespace": "kube-\u{e9}", "serviceAccountName": "a\"b"}]}))]
    fn agrees_with_the_parsed_settings(#[case] settings: serde_json::Value) {
        let text = serde_json::to_vec(&settings).unwrap();
        let parsed: Settings = serde_json::from_value(settings).unwrap();
        let scope = Scope::read(Some(Raw::document(&text).unwrap())).unwrap();
        let expected = Scope::from(&parsed);
        assert_eq!(scope.controllers, expected.controllers);
        assert_eq!(scope.check_workloads, expected.check_workloads);
    }

    #[rstest]
    #[case::not_a_list(json!({"controllers": {}}))]
    #[case::no_namespace(json!({"controllers": [{"serviceAccountName": "a"}]}))]
    #[case::not_a_bool(json!({"checkWorkloads": "yes"}))]
    fn unexpected_shapes_are_left_to_serde(#[case] settings: serde_json::Value) {
        let text = serde_json::to_vec(&settings).unwrap();
        assert!(Scope::read(Some(Raw::document(&text).unwrap())).is_none());
    }
}
