//! The manifest reader against kwctl 1.35's behaviour; the expected messages are those kwctl's
//! parser (the Kubewarden policy SDK's CRD types under serde_yaml) prints for the same text.

use super::*;
use rstest::rstest;

fn write(text: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let index = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "policy-runner-manifest-{}-{index}.yaml",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap();
    path
}

const TWO: &str = "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: a}\nspec: {module: file:///a.wasm, settings: {x: 1}, mutating: true}\n---\napiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicy\nmetadata: {name: b, namespace: n}\nspec: {module: b.wasm, mode: monitor, message: denied}\n";

const CAP: &str =
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: a}\n";

/// Every field kwctl 1.35 knows, in a ClusterAdmissionPolicy.
const EVERY_FIELD: &str = "spec:
  backgroundAudit: true
  failurePolicy: Ignore
  matchConditions: [{name: a, expression: 'true'}]
  matchPolicy: Exact
  mode: protect
  module: a.wasm
  mutating: false
  objectSelector: {matchLabels: {a: b}}
  policyServer: default
  rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  settings: null
  sideEffects: NoneOnDryRun
  timeoutSeconds: 5
  timeoutEvalSeconds: 2
  namespaceSelector: {matchLabels: {a: b}}
  contextAwareResources: [{apiVersion: v1, kind: Pod}]
  message: custom
";

const EXPECTED_CLUSTER_FIELDS: &str = "expected one of `backgroundAudit`, `failurePolicy`, `matchConditions`, `matchPolicy`, `mode`, `module`, `mutating`, `objectSelector`, `policyServer`, `rules`, `settings`, `sideEffects`, `timeoutSeconds`, `timeoutEvalSeconds`, `namespaceSelector`, `contextAwareResources`, `message`";

#[test]
fn every_policy_is_read_in_order() {
    let policies = read(&write(TWO)).unwrap();
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[0].name, "a");
    assert_eq!(policies[0].settings, serde_json::json!({"x": 1}));
    assert!(policies[0].mutating && !policies[0].monitor);
    assert_eq!(policies[0].message, None);
    assert_eq!(policies[1].settings, serde_json::json!({}));
    assert!(policies[1].monitor && !policies[1].mutating);
    assert_eq!(policies[1].message.as_deref(), Some("denied"));
}

#[test]
fn every_field_kwctl_knows_is_accepted() {
    let policy = read(&write(&format!("{CAP}{EVERY_FIELD}")))
        .unwrap()
        .remove(0);
    assert_eq!(policy.module, "a.wasm");
    assert_eq!(policy.settings, serde_json::json!({}));
    assert_eq!(policy.message.as_deref(), Some("custom"));
}

#[test]
fn the_crd_field_kwctl_does_not_know_is_refused() {
    let text = format!("{CAP}{EVERY_FIELD}  allowInsideAdmissionControllerNamespace: true\n");
    let error = read(&write(&text)).unwrap_err().to_string();
    assert_eq!(
        error,
        format!("cannot parse value into ClusterAdmissionPolicy: unknown field `allowInsideAdmissionControllerNamespace`, {EXPECTED_CLUSTER_FIELDS}")
    );
}

#[rstest]
#[case::other_api("apiVersion: v1\nkind: ConfigMap\n", "invalid apiVersion Some(\"v1\")")]
#[case::empty_document("", "invalid apiVersion None")]
#[case::trailing_separator(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec: {module: a}\n---\n",
    "invalid apiVersion None"
)]
#[case::not_a_mapping(
    "[1, 2]\n",
    "cannot extract ObjectReference: invalid type: sequence, expected ObjectReference"
)]
#[case::unknown_kind(
    "apiVersion: policies.kubewarden.io/v1\nkind: Policy\n",
    "unknown kind Some(\"Policy\"), not a Kubewarden policy"
)]
#[case::group(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicyGroup\nspec: {}\n",
    "ClusterAdmissionPolicyGroup is not supported by policy-runner"
)]
#[case::no_spec(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\n",
    "CRD does not have spec, but it is required for ClusterAdmissionPolicy"
)]
#[case::no_module(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec: {mode: monitor}\n",
    "cannot parse value into ClusterAdmissionPolicy: missing field `module`"
)]
#[case::bad_mode(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec: {module: a, mode: audit}\n",
    "cannot parse value into ClusterAdmissionPolicy: unknown variant `audit`, expected `protect` or `monitor`"
)]
#[case::bad_failure_policy(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec: {module: a, failurePolicy: fail}\n",
    "cannot parse value into ClusterAdmissionPolicy: unknown variant `fail`, expected `Fail` or `Ignore`"
)]
#[case::wrong_type(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec: {module: a, timeoutSeconds: '5'}\n",
    "cannot parse value into ClusterAdmissionPolicy: invalid type: string \"5\", expected i32"
)]
#[case::wrong_metadata(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: a, labels: {a: 1}}\nspec: {module: a}\n",
    "cannot parse value into ClusterAdmissionPolicy: invalid type: integer `1`, expected a string"
)]
#[case::namespaced_context_aware(
    "apiVersion: policies.kubewarden.io/v1\nkind: AdmissionPolicy\nspec: {module: a, contextAwareResources: []}\n",
    "cannot parse value into AdmissionPolicy: unknown field `contextAwareResources`, expected one of `backgroundAudit`, `failurePolicy`, `matchConditions`, `matchPolicy`, `mode`, `module`, `mutating`, `objectSelector`, `policyServer`, `rules`, `settings`, `sideEffects`, `timeoutSeconds`, `timeoutEvalSeconds`, `message`"
)]
#[case::settings_not_a_mapping(
    "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec: {module: a, settings: [1]}\n",
    "Invalid settings in CRD, not an object"
)]
fn malformed_manifests_are_refused_as_kwctl_refuses_them(
    #[case] text: &str,
    #[case] expected: &str,
) {
    let error = read(&write(text)).unwrap_err().to_string();
    assert!(error.starts_with(expected), "{error}");
}

#[test]
fn a_missing_file_is_named() {
    let error = read(Path::new("/nonexistent/policy.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("Cannot open YAML file \"/nonexistent/policy.yaml\": "),
        "{error}"
    );
}

fn mutation() -> AdmissionResponse {
    AdmissionResponse {
        allowed: true,
        patch_type: Some("JSONPatch".to_string()),
        patch: Some("W10=".to_string()),
        ..Default::default()
    }
}

fn rejection(message: &str) -> AdmissionResponse {
    AdmissionResponse {
        allowed: false,
        status: Some(AdmissionResponseStatus {
            message: Some(message.to_string()),
            code: Some(400),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn modes_and_mutation_constraint_apply() {
    let mut policy = read(&write(TWO)).unwrap().remove(0);
    assert_eq!(policy.process(mutation()), mutation());
    policy.mutating = false;
    let rejected = policy.process(mutation());
    assert!(!rejected.allowed && rejected.patch.is_none());
    policy.monitor = true;
    let monitored = policy.process(rejection("no"));
    assert!(monitored.allowed && monitored.status.is_none());
}

#[test]
fn a_custom_message_replaces_a_rejections_own_which_becomes_a_cause() {
    let policy = read(&write(TWO)).unwrap().remove(1);
    let policy = ManifestPolicy {
        monitor: false,
        ..policy
    };
    let accepted = AdmissionResponse {
        allowed: true,
        ..Default::default()
    };
    assert_eq!(policy.process(accepted.clone()), accepted);
    let status = policy.process(rejection("no")).status.unwrap();
    assert_eq!(status.message.as_deref(), Some("denied"));
    assert_eq!(status.code, Some(400));
    assert_eq!(
        serde_json::to_value(status.details).unwrap(),
        serde_json::json!({"causes": [{"reason": null, "message": "no", "field": null}]})
    );
}
