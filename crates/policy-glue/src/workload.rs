//! Where each kind of workload keeps its pod spec, and what a pod spec runs as: its namespace
//! and ServiceAccount, read the way the API server fills them in.

use std::borrow::Cow;

use json_scan::{Raw, ValueAt};

use crate::request::{string, NotAString};

/// How a kind holds its pod spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodSpecAt {
    /// A Pod: `spec`.
    Pod,
    /// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController:
    /// `spec.template.spec`.
    Template,
    /// A CronJob: `spec.jobTemplate.spec.template.spec`.
    CronJob,
}

impl PodSpecAt {
    /// Where a kind (`group`, `kind`) holds its pod spec; `None` for a kind without one.
    pub fn of(group: &str, kind: &str) -> Option<PodSpecAt> {
        match (group, kind) {
            ("", "Pod") => Some(PodSpecAt::Pod),
            ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
            | ("batch", "Job")
            | ("", "ReplicationController") => Some(PodSpecAt::Template),
            ("batch", "CronJob") => Some(PodSpecAt::CronJob),
            _ => None,
        }
    }

    /// The pod spec's path as messages spell it.
    pub fn name(self) -> &'static str {
        match self {
            PodSpecAt::Pod => "spec",
            PodSpecAt::Template => "spec.template.spec",
            PodSpecAt::CronJob => "spec.jobTemplate.spec.template.spec",
        }
    }

    /// The members that lead from the object to its pod spec.
    pub fn path(self) -> &'static [&'static str] {
        match self {
            PodSpecAt::Pod => &["spec"],
            PodSpecAt::Template => &["spec", "template", "spec"],
            PodSpecAt::CronJob => &["spec", "jobTemplate", "spec", "template", "spec"],
        }
    }
}

/// The namespace a workload's Pods run in: the request's, else the object's
/// `metadata.namespace`, else `default` (as the API server defaults it).
pub fn namespace_of<'a>(request_namespace: Option<&'a str>, object: ValueAt<'a>) -> Cow<'a, str> {
    match request_namespace.filter(|ns| !ns.is_empty()) {
        Some(namespace) => Cow::Borrowed(namespace),
        None => object
            .follow(&["metadata", "namespace"])
            .ok()
            .flatten()
            .and_then(|value| value.raw().ok())
            .and_then(|raw| raw.as_str())
            .filter(|ns| !ns.is_empty())
            .unwrap_or(Cow::Borrowed("default")),
    }
}

/// The ServiceAccount a pod spec (named `spec_name` in errors) runs as: `serviceAccountName`,
/// else the deprecated `serviceAccount`, else `default`; an empty name counts as absent. Either
/// member not a string is an error, even when the other decides: the API server would refuse
/// such a spec, so a policy that met one was not shown what the API server stores.
pub fn service_account<'a>(
    spec_name: &str,
    service_account_name: Option<Raw<'a>>,
    service_account: Option<Raw<'a>>,
) -> Result<Cow<'a, str>, NotAString> {
    let named = string(
        service_account_name,
        format_args!("{spec_name}.serviceAccountName"),
    )?;
    let deprecated = string(service_account, format_args!("{spec_name}.serviceAccount"))?;
    Ok([named, deprecated]
        .into_iter()
        .flatten()
        .find(|sa| !sa.is_empty())
        .unwrap_or(Cow::Borrowed("default")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn service_account_of(name: &str, deprecated: &str) -> Result<String, String> {
        let spec = format!(r#"{{"serviceAccountName":{name},"serviceAccount":{deprecated}}}"#);
        let [name, deprecated] = Raw::document(spec.as_bytes())
            .unwrap()
            .pick(["serviceAccountName", "serviceAccount"])
            .unwrap();
        service_account("spec", name, deprecated)
            .map(Cow::into_owned)
            .map_err(|e| e.to_string())
    }

    #[rstest]
    #[case::named(r#""agent""#, r#""old""#, Ok("agent"))]
    #[case::deprecated("null", r#""old""#, Ok("old"))]
    #[case::empty_name(r#""""#, r#""old""#, Ok("old"))]
    #[case::neither("null", "null", Ok("default"))]
    #[case::both_empty(r#""""#, r#""""#, Ok("default"))]
    #[case::name_not_a_string("1", r#""old""#, Err("spec.serviceAccountName: expected a string"))]
    #[case::deprecated_not_a_string(r#""""#, "[]", Err("spec.serviceAccount: expected a string"))]
    #[case::deprecated_not_a_string_beside_a_name(
        r#""agent""#,
        "{}",
        Err("spec.serviceAccount: expected a string")
    )]
    fn service_accounts(
        #[case] name: &str,
        #[case] deprecated: &str,
        #[case] expected: Result<&str, &str>,
    ) {
        assert_eq!(
            service_account_of(name, deprecated),
            expected.map(str::to_string).map_err(str::to_string)
        );
    }

    #[rstest]
    #[case::request(Some("ns"), r#"{"metadata":{"namespace":"other"}}"#, "ns")]
    #[case::metadata(Some(""), r#"{"metadata":{"namespace":"other"}}"#, "other")]
    #[case::neither(None, r#"{"metadata":{}}"#, "default")]
    #[case::metadata_not_a_string(None, r#"{"metadata":{"namespace":1}}"#, "default")]
    fn namespaces(#[case] request: Option<&str>, #[case] object: &str, #[case] expected: &str) {
        let object = Raw::document(object.as_bytes()).unwrap().into();
        assert_eq!(namespace_of(request, object), expected);
    }

    #[test]
    fn kinds_with_a_pod_spec() {
        assert_eq!(PodSpecAt::of("", "Pod"), Some(PodSpecAt::Pod));
        assert_eq!(
            PodSpecAt::of("apps", "DaemonSet"),
            Some(PodSpecAt::Template)
        );
        assert_eq!(PodSpecAt::of("batch", "CronJob"), Some(PodSpecAt::CronJob));
        assert_eq!(PodSpecAt::of("", "Deployment"), None);
        assert_eq!(
            PodSpecAt::CronJob.path().join("."),
            PodSpecAt::CronJob.name()
        );
    }
}
