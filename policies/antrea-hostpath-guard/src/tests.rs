use super::*;
use rstest::rstest;
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn verdict(name: &str, settings: Value) -> Result<(), String> {
    let payload = json!({"request": fixture(name), "settings": settings});
    evaluate(&serde_json::to_vec(&payload).unwrap()).map_err(|r| r.to_string())
}

#[rstest]
#[case::antrea_agent_daemonset("antrea-agent-daemonset.json")]
#[case::antrea_agent_pod("antrea-agent-pod.json")]
#[case::antrea_controller_deployment("antrea-controller-deployment.json")]
#[case::secret_mounted_under_var_run_antrea("pod-secret-mounted-under-var-run-antrea.json")]
#[case::deprecated_service_account_field("pod-kube-system-deprecated-service-account-field.json")]
#[case::update_keeps_existing_violation("pod-update-existing-violation.json")]
#[case::deployment_update_keeps_existing_violation("deployment-update-existing-violation.json")]
#[case::deployment_safe("deployment-safe.json")]
#[case::replicaset_safe("replicaset-safe.json")]
#[case::statefulset_safe("statefulset-safe.json")]
#[case::daemonset_safe("daemonset-safe.json")]
#[case::job_safe("job-safe.json")]
#[case::cronjob_safe("cronjob-safe.json")]
#[case::replicationcontroller_safe("replicationcontroller-safe.json")]
#[case::pv_safe("pv-hostpath-safe.json")]
#[case::other_kind("configmap.json")]
fn accepted_with_defaults(#[case] name: &str) {
    assert_eq!(verdict(name, json!({})), Ok(()));
}

/// One list of `spellings.json` (`rejected` or `accepted`): the host-path spellings
/// `test_data/generate.py` writes a Pod for, which the bats suite evaluates too.
fn spellings(list: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(include_str!("../spellings.json")).unwrap();
    let spellings = all[list].as_array().cloned().unwrap_or_default();
    // An emptied or renamed list would leave nothing to fail on.
    assert!(
        !spellings.is_empty(),
        "spellings.json has no {list} spellings"
    );
    spellings
}

#[test]
fn pod_spellings_rejected() {
    for spelling in spellings("rejected") {
        let label = spelling["label"].as_str().unwrap();
        let (written, reaches) = (&spelling["hostPath"], &spelling["reaches"]);
        let answer = verdict(&format!("pod-hostpath-{label}.json"), json!({}));
        let expected = format!(
            "Pod tenant-a/web-1 mounts host paths that reach protected paths: spec.volumes[1] \"host\" hostPath {written} reaches protected path {reaches}"
        );
        assert_eq!(answer, Err(expected), "{label}");
    }
}

#[test]
fn pod_spellings_accepted() {
    for spelling in spellings("accepted") {
        let label = spelling["label"].as_str().unwrap();
        let fixture = format!("pod-hostpath-{label}.json");
        assert_eq!(verdict(&fixture, json!({})), Ok(()), "{label}");
    }
}

#[rstest]
#[case::deployment("deployment", "Deployment", "spec.template.spec.volumes[2]")]
#[case::replicaset("replicaset", "ReplicaSet", "spec.template.spec.volumes[2]")]
#[case::statefulset("statefulset", "StatefulSet", "spec.template.spec.volumes[2]")]
#[case::daemonset("daemonset", "DaemonSet", "spec.template.spec.volumes[2]")]
#[case::job("job", "Job", "spec.template.spec.volumes[2]")]
#[case::cronjob("cronjob", "CronJob", "spec.jobTemplate.spec.template.spec.volumes[2]")]
#[case::replicationcontroller(
    "replicationcontroller",
    "ReplicationController",
    "spec.template.spec.volumes[2]"
)]
fn workloads_rejected(#[case] slug: &str, #[case] kind: &str, #[case] field: &str) {
    let error = verdict(&format!("{slug}-hostpath-var-run.json"), json!({})).unwrap_err();
    assert_eq!(
        error,
        format!("{kind} tenant-a/web mounts host paths that reach protected paths: {field} \"host\" hostPath \"/var/run\" reaches protected path \"/var/run/antrea\"")
    );
}

#[rstest]
#[case::agent_in_other_namespace("antrea-agent-daemonset-other-namespace.json", "DaemonSet tenant-a/antrea-agent mounts host paths that reach protected paths: spec.template.spec.volumes[3] \"host-proc\" hostPath \"/proc\" reaches protected path \"/var/run/antrea\"; spec.template.spec.volumes[5] \"host-var-run-antrea\" hostPath \"/var/run/antrea\"")]
#[case::agent_with_other_service_account(
    "antrea-agent-daemonset-other-service-account.json",
    "DaemonSet kube-system/antrea-agent mounts host paths"
)]
#[case::kube_system_other_service_account(
    "pod-kube-system-other-service-account.json",
    "Pod kube-system/web-1 mounts host paths"
)]
#[case::unmounted_volume(
    "pod-unmounted-hostpath-volume.json",
    "spec.volumes[0] \"sneaky\" hostPath \"/run\" reaches protected path \"/run/antrea\""
)]
#[case::every_offending_volume_listed("pod-two-offending-volumes.json", "spec.volumes[1] \"run\" hostPath \"/var/run\" reaches protected path \"/var/run/antrea\"; spec.volumes[3] \"root\" hostPath \"/\" reaches protected path \"/var/run/antrea\"")]
#[case::ephemeral_containers_new_volume(
    "pod-ephemeral-containers-new-violation.json",
    "spec.volumes[1] \"antrea\" hostPath \"/run/antrea\""
)]
#[case::deployment_update_new_violation(
    "deployment-update-new-violation.json",
    "spec.template.spec.volumes[1] \"host\" hostPath \"/\" reaches"
)]
#[case::pv_hostpath("pv-hostpath-var-run-antrea.json", "PersistentVolume pv-1 mounts host paths that reach protected paths: spec.hostPath.path \"/var/run/antrea\" reaches protected path \"/var/run/antrea\"")]
#[case::pv_local("pv-local-run.json", "PersistentVolume pv-1 mounts host paths that reach protected paths: spec.local.path \"/run\" reaches protected path \"/run/antrea\"")]
#[case::volumes_not_a_list(
    "pod-volumes-not-a-list.json",
    "Pod tenant-a/web-1 cannot be checked: spec.volumes: expected a list of volumes"
)]
fn rejected_with_defaults(#[case] name: &str, #[case] message: &str) {
    let error = verdict(name, json!({})).unwrap_err();
    assert!(
        error.contains(message),
        "{error:?} does not contain {message:?}"
    );
}

#[rstest]
#[case::proc_rule_off("pod-hostpath-proc-pid-root.json", json!({"procIndirection": false}), None)]
#[case::proc_rule_off_still_catches_root("pod-hostpath-root.json", json!({"procIndirection": false}), Some("reaches protected path \"/var/run/antrea\""))]
#[case::pv_check_off("pv-hostpath-var-run-antrea.json", json!({"checkPersistentVolumes": false}), None)]
#[case::custom_exemption("pod-custom-exemption.json", json!({"exemptions": [{"namespace": "monitoring", "serviceAccountName": "node-exporter"}]}), None)]
#[case::default_exemption_is_replaced("antrea-agent-daemonset.json", json!({"exemptions": [{"namespace": "monitoring", "serviceAccountName": "node-exporter"}]}), Some("DaemonSet kube-system/antrea-agent mounts host paths"))]
#[case::custom_protected_path("pod-custom-protected-path.json", json!({"protectedPaths": ["/var/lib/kubelet"]}), Some("hostPath \"/var/lib/kubelet\" reaches protected path \"/var/lib/kubelet\""))]
#[case::custom_protected_path_frees_antrea("pod-hostpath-var-run-antrea.json", json!({"protectedPaths": ["/var/lib/kubelet"]}), None)]
#[case::no_equivalent_paths("pod-hostpath-run-alias.json", json!({"equivalentPaths": []}), None)]
#[case::custom_equivalent_paths("pod-hostpath-allowed-var-log.json", json!({"protectedPaths": ["/srv/antrea"], "equivalentPaths": [["/srv", "/var/log"]]}), Some("hostPath \"/var/log\" reaches protected path \"/var/log/antrea\""))]
// Requester exemptions apply to Pods a user creates directly, never to a controller's Pod or a
// workload template.
#[case::admin_debug_pod_exempt_by_group("pod-debug-node-by-admin.json", json!({"exemptGroups": ["system:masters"]}), None)]
#[case::admin_debug_pod_exempt_by_username("pod-debug-node-by-admin.json", json!({"exemptUsernames": ["kubernetes-admin"]}), None)]
#[case::admin_debug_pod_without_exemption("pod-debug-node-by-admin.json", json!({}), Some("Pod default/node-debugger-worker-1-x7k2p mounts host paths that reach protected paths: spec.volumes[0] \"host-root\" hostPath \"/\" reaches protected path \"/var/run/antrea\""))]
#[case::other_group_is_not_exempt("pod-debug-node-by-admin.json", json!({"exemptGroups": ["ops"]}), Some("hostPath \"/\" reaches protected path"))]
#[case::controller_created_pod_is_never_exempt("pod-debug-node-by-controller.json", json!({"exemptGroups": ["system:masters"], "exemptUsernames": ["kubernetes-admin"]}), Some("hostPath \"/\" reaches protected path"))]
#[case::admin_workload_is_not_exempt("deployment-host-root-by-admin.json", json!({"exemptGroups": ["system:masters"]}), Some("Deployment tenant-a/web mounts host paths"))]
fn custom_settings(#[case] name: &str, #[case] settings: Value, #[case] message: Option<&str>) {
    match (verdict(name, settings), message) {
        (Ok(()), None) => {}
        (Err(error), Some(message)) => assert!(
            error.contains(message),
            "{error:?} does not contain {message:?}"
        ),
        (verdict, expected) => panic!("got {verdict:?}, expected {expected:?}"),
    }
}

#[rstest]
#[case::delete(json!("DELETE"))]
#[case::connect(json!("CONNECT"))]
fn other_operations_accepted(#[case] operation: Value) {
    let mut request = fixture("pod-hostpath-root.json");
    request["operation"] = operation;
    let payload = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
    assert_eq!(evaluate(&payload), Ok(()));
}

#[rstest]
#[case::with_a_violation("pod-hostpath-root.json", Err("cannot parse the admission request: missing field `operation`".to_string()))]
#[case::without_a_violation("pod-hostpath-allowed-var-log.json", Ok(()))]
fn operation_is_read_when_a_verdict_depends_on_it(
    #[case] name: &str,
    #[case] expected: Result<(), String>,
) {
    let mut request = fixture(name);
    request.as_object_mut().unwrap().remove("operation");
    let payload = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
    assert_eq!(evaluate(&payload).map_err(|r| r.to_string()), expected);
}

#[rstest]
#[case::agent_daemonset("antrea-agent-daemonset.json")]
#[case::agent_in_other_namespace("antrea-agent-daemonset-other-namespace.json")]
#[case::root("pod-hostpath-root.json")]
#[case::update_keeps_existing_violation("pod-update-existing-violation.json")]
#[case::deployment_update_new_violation("deployment-update-new-violation.json")]
#[case::cronjob("cronjob-hostpath-var-run.json")]
#[case::pv("pv-hostpath-var-run-antrea.json")]
#[case::safe_deployment("deployment-safe.json")]
fn member_order_does_not_change_the_verdict(#[case] name: &str) {
    let request = fixture(name);
    let sorted = verdict(name, json!({}));
    let typed = evaluate(&policy_glue::test_support::payload_in_type_order(
        &request,
        &json!({}),
    ))
    .map_err(|r| r.to_string());
    assert_eq!(typed, sorted);
}

#[test]
fn same_kind_in_another_group_is_not_a_workload() {
    let mut request = fixture("deployment-hostpath-var-run.json");
    request["kind"]["group"] = json!("example.com");
    let payload = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
    assert_eq!(evaluate(&payload), Ok(()));
}

#[rstest]
#[case::missing_object(
    Value::Null,
    "Pod tenant-a/web-1 cannot be checked: request.object is missing"
)]
#[case::object_is_a_string(json!("pod"), "Pod tenant-a/web-1 cannot be checked: request.object is not a JSON object")]
#[case::spec_is_a_list(json!({"spec": []}), "Pod tenant-a/web-1 cannot be checked: spec: expected a JSON object")]
#[case::host_path_without_path_is_root(json!({"spec": {"volumes": [{"name": "h", "hostPath": {}}]}}), "Pod tenant-a/web-1 mounts host paths that reach protected paths: spec.volumes[0] \"h\" hostPath \"\" reaches protected path \"/var/run/antrea\"")]
#[case::path_not_a_string(json!({"spec": {"volumes": [{"name": "h", "hostPath": {"path": 7}}]}}), "Pod tenant-a/web-1 cannot be checked: spec.volumes[0].hostPath: invalid type: integer `7`, expected a string")]
fn malformed_objects_rejected(#[case] object: Value, #[case] message: &str) {
    let mut request = fixture("pod-hostpath-root.json");
    request["object"] = object;
    let payload = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
    let error = evaluate(&payload).unwrap_err().to_string();
    assert!(
        error.starts_with(message),
        "{error:?} does not start with {message:?}"
    );
}

#[test]
fn duplicate_service_account_member_is_rejected() {
    // One ServiceAccount for the exemption, another for the API server, is not an option.
    // (Hosts never send a repeated member: policy-server and kwctl re-serialise the request
    // from a parsed document. e2e-tests/hostile-input.bats checks what they keep.)
    let mut request = fixture("pod-kube-system-other-service-account.json");
    request["object"]["spec"]["serviceAccountName"] = json!("PLACEHOLDER");
    let text = serde_json::to_string(&json!({"request": request, "settings": {}}))
        .unwrap()
        .replace(
            r#""serviceAccountName":"PLACEHOLDER""#,
            r#""serviceAccountName":"antrea-agent","serviceAccountName":"web""#,
        );
    let error = evaluate(text.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        error,
        "Pod kube-system/web-1 cannot be checked: spec: duplicate field `serviceAccountName`"
    );
}

#[rstest]
#[case::not_json(b"{".as_slice())]
#[case::no_request(br#"{"settings": {}}"#.as_slice())]
#[case::kind_not_an_object(br#"{"request": {"kind": "Pod", "operation": "CREATE"}}"#.as_slice())]
fn unparseable_payload_rejected(#[case] payload: &[u8]) {
    let error = evaluate(payload).unwrap_err().to_string();
    assert!(
        error.starts_with("cannot parse the admission request: "),
        "{error}"
    );
}

#[rstest]
#[case::defaults(json!({}), true, None)]
#[case::unknown_key(json!({"protectedPath": ["/x"]}), false, Some("invalid settings: unknown field `protectedPath`"))]
#[case::relative(json!({"protectedPaths": ["x"]}), false, Some("protectedPaths must contain absolute paths"))]
#[case::empty(json!({"protectedPaths": []}), false, Some("protectedPaths must name at least one path"))]
fn settings_validation(
    #[case] settings: Value,
    #[case] valid: bool,
    #[case] message: Option<&str>,
) {
    policy_glue::questions::assert_settings_answer(validate_settings, &settings, valid, message);
}

#[test]
fn rules_cache_follows_the_settings() {
    // The rules are cached per settings document; alternating settings must never reuse the
    // other document's rules.
    for _ in 0..3 {
        assert_eq!(
            verdict(
                "pod-hostpath-proc-pid-root.json",
                json!({"procIndirection": false})
            ),
            Ok(())
        );
        assert!(verdict("pod-hostpath-proc-pid-root.json", json!({})).is_err());
        assert!(verdict(
            "pod-hostpath-proc-pid-root.json",
            json!({"procIndirection": true})
        )
        .is_err());
    }
}

#[test]
fn deeply_nested_object_is_rejected_without_recursion() {
    let mut request = fixture("pod-hostpath-root.json");
    request["object"]["spec"]["containers"] = json!("PLACEHOLDER");
    let text = serde_json::to_string(&json!({"request": request, "settings": {}}))
        .unwrap()
        .replace(
            r#""PLACEHOLDER""#,
            &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        );
    // The nesting is found while the pod spec is walked to its volumes, so the message names
    // the object and where.
    let error = evaluate(text.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        error,
        "Pod tenant-a/web-1 cannot be checked: spec: JSON nested deeper than 128 levels"
    );
}

#[test]
fn questions_ui_matches_the_settings() {
    policy_glue::questions::assert_form_matches::<settings::Settings>(include_str!(
        "../questions-ui.yml"
    ));
}
