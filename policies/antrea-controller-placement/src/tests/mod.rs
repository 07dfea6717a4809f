use super::*;
use rstest::rstest;
use serde_json::json;

fn fixture(name: &str) -> Value {
    let path = format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn verdict_of(request: &Value, settings: Value) -> Result<Option<Value>, String> {
    let payload = json!({"request": request, "settings": settings});
    evaluate(&serde_json::to_vec(&payload).unwrap()).map_err(|r| r.to_string())
}

fn verdict(name: &str, settings: Value) -> Result<Option<Value>, String> {
    verdict_of(&fixture(name), settings)
}

const CONTROL_PLANE_EXISTS: &str =
    r#"{"key":"node-role.kubernetes.io/control-plane","operator":"Exists"}"#;
const CONTROL_PLANE_TOLERATION: &str =
    r#"{"effect":"NoSchedule","key":"node-role.kubernetes.io/control-plane","operator":"Exists"}"#;

fn required_terms(pod: &Value) -> Vec<String> {
    pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|term| term.to_string())
        .collect()
}

#[rstest]
#[case::agent_pod("antrea-agent-pod.json")]
#[case::tenant_pod_with_the_same_service_account("tenant-pod.json")]
#[case::other_kube_system_pod("kube-system-other-pod.json")]
#[case::already_placed("controller-pod-placed.json")]
#[case::placed_by_node_selector("controller-pod-node-selector-placed.json")]
#[case::update_is_not_reviewed("controller-pod-update.json")]
#[case::deployment_without_check_workloads("antrea-controller-deployment.json")]
fn accepted_unchanged(#[case] name: &str) {
    assert_eq!(verdict(name, json!({})), Ok(None));
}

#[test]
fn antreas_controller_is_confined_to_control_plane_nodes() {
    let original = fixture("antrea-controller-pod.json")["object"].clone();
    let mutated = verdict("antrea-controller-pod.json", json!({}))
        .unwrap()
        .unwrap();
    assert_eq!(
        required_terms(&mutated),
        [format!(
            r#"{{"matchExpressions":[{CONTROL_PLANE_EXISTS}]}}"#
        )]
    );
    let tolerations = mutated["spec"]["tolerations"].as_array().unwrap();
    // Antrea's own toleration is for the value "" only; an Exists one is added for any value.
    assert_eq!(
        tolerations.last().unwrap().to_string(),
        CONTROL_PLANE_TOLERATION
    );
    assert_eq!(
        tolerations.len(),
        original["spec"]["tolerations"].as_array().unwrap().len() + 1
    );
    // Everything else is left as it was.
    let mut unmutated = mutated.clone();
    unmutated["spec"]
        .as_object_mut()
        .unwrap()
        .remove("affinity");
    unmutated["spec"]["tolerations"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert_eq!(unmutated, original);
}

#[rstest]
#[case::bare("controller-pod-bare.json", 1)]
#[case::node_selector_only("controller-pod-node-selector.json", 1)]
#[case::preferred_terms_left_alone("controller-pod-preferred-terms.json", 1)]
fn a_required_term_is_added(#[case] name: &str, #[case] terms: usize) {
    let original = fixture(name)["object"].clone();
    let mutated = verdict(name, json!({})).unwrap().unwrap();
    assert_eq!(required_terms(&mutated).len(), terms);
    assert_eq!(
        mutated["spec"]["affinity"]["nodeAffinity"]
            ["preferredDuringSchedulingIgnoredDuringExecution"],
        original["spec"]["affinity"]["nodeAffinity"]
            ["preferredDuringSchedulingIgnoredDuringExecution"]
    );
    assert_eq!(
        mutated["spec"]["nodeSelector"],
        original["spec"]["nodeSelector"]
    );
    assert_eq!(
        mutated["spec"]["tolerations"].to_string(),
        format!("[{CONTROL_PLANE_TOLERATION}]")
    );
}

#[test]
fn every_existing_term_gets_the_requirement_anded_in() {
    let mutated = verdict("controller-pod-existing-terms.json", json!({}))
        .unwrap()
        .unwrap();
    assert_eq!(
        required_terms(&mutated),
        [
            format!(
                r#"{{"matchExpressions":[{{"key":"kubernetes.io/arch","operator":"In","values":["amd64"]}},{CONTROL_PLANE_EXISTS}]}}"#
            ),
            format!(
                r#"{{"matchExpressions":[{{"key":"kubernetes.io/arch","operator":"In","values":["arm64"]}},{CONTROL_PLANE_EXISTS}],"matchFields":[{{"key":"metadata.name","operator":"In","values":["cp-1"]}}]}}"#
            ),
        ]
    );
}

#[rstest]
#[case::node_name("controller-pod-node-name.json", json!({}), "Pod kube-system/antrea-controller-6d9b7c8f4d- cannot be placed on secure Nodes: spec.nodeName is preset to worker-1, which bypasses the scheduler")]
#[case::term_excludes_control_plane("controller-pod-term-excludes-control-plane.json", json!({}), "Pod kube-system/antrea-controller-6d9b7c8f4d- cannot be placed on secure Nodes: every term of spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution contradicts the secure requirement node-role.kubernetes.io/control-plane Exists")]
#[case::node_selector_other_value("controller-pod-node-selector.json", json!({"secureNodes": [{"key": "kubernetes.io/os", "operator": "In", "values": ["windows"]}]}), "spec.nodeSelector kubernetes.io/os=linux contradicts the secure requirement kubernetes.io/os In [windows]")]
#[case::term_with_other_values("controller-pod-existing-terms.json", json!({"secureNodes": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["s390x"]}]}), "every term of spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution contradicts the secure requirement kubernetes.io/arch In [s390x]")]
#[case::node_name_in_validate_mode("controller-pod-node-name.json", json!({"mode": "validate"}), "spec.nodeName is preset to worker-1")]
fn conflicts_are_rejected_in_both_modes(
    #[case] name: &str,
    #[case] settings: Value,
    #[case] message: &str,
) {
    let error = verdict(name, settings).unwrap_err();
    assert!(
        error.contains(message),
        "{error:?} does not contain {message:?}"
    );
}

#[rstest]
#[case::bare("controller-pod-bare.json", "Pod kube-system/antrea-controller-6d9b7c8f4d- must run on secure Nodes: missing required node affinity node-role.kubernetes.io/control-plane Exists; toleration node-role.kubernetes.io/control-plane:NoSchedule")]
#[case::existing_terms("controller-pod-existing-terms.json", "missing required node affinity node-role.kubernetes.io/control-plane Exists in nodeSelectorTerms[0]; required node affinity node-role.kubernetes.io/control-plane Exists in nodeSelectorTerms[1]; toleration")]
#[case::antrea_controller("antrea-controller-pod.json", "missing required node affinity node-role.kubernetes.io/control-plane Exists; toleration node-role.kubernetes.io/control-plane:NoSchedule")]
fn validate_mode_names_what_is_missing(#[case] name: &str, #[case] message: &str) {
    let error = verdict(name, json!({"mode": "validate"})).unwrap_err();
    assert!(
        error.contains(message),
        "{error:?} does not contain {message:?}"
    );
}

#[test]
fn placed_pod_passes_validate_mode() {
    assert_eq!(
        verdict("controller-pod-placed.json", json!({"mode": "validate"})),
        Ok(None)
    );
}

#[rstest]
#[case::antrea_deployment("antrea-controller-deployment.json", Some("Deployment kube-system/antrea-controller must run on secure Nodes: missing required node affinity node-role.kubernetes.io/control-plane Exists; toleration node-role.kubernetes.io/control-plane:NoSchedule"))]
#[case::pods_still_mutated("antrea-controller-pod.json", None)]
fn check_workloads_rejects_but_never_mutates_deployments(
    #[case] name: &str,
    #[case] message: Option<&str>,
) {
    match (verdict(name, json!({"checkWorkloads": true})), message) {
        (Err(error), Some(message)) => assert_eq!(error, message),
        (Ok(Some(_)), None) => {}
        (other, _) => panic!("unexpected verdict {other:?}"),
    }
}

#[test]
fn custom_node_pool() {
    let settings = json!({
        "controllers": [{"namespace": "kube-system", "serviceAccountName": "antrea-controller"}],
        "secureNodes": [{"key": "pool", "operator": "In", "values": ["system"]}],
        "tolerations": [{"key": "pool", "operator": "Equal", "value": "system", "effect": "NoSchedule"}],
    });
    let mutated = verdict("controller-pod-bare.json", settings)
        .unwrap()
        .unwrap();
    assert_eq!(
        required_terms(&mutated),
        [r#"{"matchExpressions":[{"key":"pool","operator":"In","values":["system"]}]}"#]
    );
    assert_eq!(
        mutated["spec"]["tolerations"].to_string(),
        r#"[{"effect":"NoSchedule","key":"pool","operator":"Equal","value":"system"}]"#
    );
}

#[test]
fn helm_namespace_is_configured_not_guessed() {
    let mut request = fixture("controller-pod-bare.json");
    request["namespace"] = json!("antrea");
    request["object"]["metadata"]["namespace"] = json!("antrea");
    assert_eq!(verdict_of(&request, json!({})), Ok(None));
    let settings = json!({"controllers": [{"namespace": "antrea", "serviceAccountName": "antrea-controller"}]});
    assert!(verdict_of(&request, settings).unwrap().is_some());
}

#[rstest]
#[case::deprecated_service_account_field(json!({"serviceAccount": "antrea-controller"}), true)]
#[case::default_service_account(json!({}), false)]
fn service_account_spellings(#[case] spec: Value, #[case] mutated: bool) {
    let mut request = fixture("controller-pod-bare.json");
    request["object"]["spec"] = json!({"containers": [{"name": "c", "image": "i"}]});
    for (key, value) in spec.as_object().unwrap() {
        request["object"]["spec"][key] = value.clone();
    }
    assert_eq!(verdict_of(&request, json!({})).unwrap().is_some(), mutated);
}

#[rstest]
#[case::tolerations_not_a_list(json!({"tolerations": "all"}), "Pod kube-system/antrea-controller-6d9b7c8f4d- cannot be checked: tolerations: invalid type")]
#[case::node_selector_not_a_map(json!({"nodeSelector": ["a"]}), "cannot be checked: nodeSelector: invalid type")]
fn malformed_controller_pods_are_rejected(#[case] fields: Value, #[case] message: &str) {
    let mut request = fixture("controller-pod-bare.json");
    for (key, value) in fields.as_object().unwrap() {
        request["object"]["spec"][key] = value.clone();
    }
    let error = verdict_of(&request, json!({})).unwrap_err();
    assert!(
        error.contains(message),
        "{error:?} does not contain {message:?}"
    );
}

#[test]
fn missing_object_is_rejected() {
    let mut request = fixture("controller-pod-bare.json");
    request.as_object_mut().unwrap().remove("object");
    assert_eq!(
        verdict_of(&request, json!({})).unwrap_err(),
        "Pod kube-system/(unnamed) cannot be checked: request.object is missing"
    );
}

#[rstest]
#[case::defaults(json!({}), true, None)]
#[case::unknown_key(json!({"secureNode": []}), false, Some("invalid settings: unknown field `secureNode`"))]
#[case::in_without_values(json!({"secureNodes": [{"key": "a", "operator": "In"}]}), false, Some("secureNodes: a In needs at least one value"))]
#[case::empty_controllers(json!({"controllers": []}), false, Some("controllers must name at least one controller"))]
fn settings_validation(
    #[case] settings: Value,
    #[case] valid: bool,
    #[case] message: Option<&str>,
) {
    policy_glue::questions::assert_settings_answer(validate_settings, &settings, valid, message);
}

#[rstest]
#[case::controller("antrea-controller-pod.json")]
#[case::tenant("tenant-pod.json")]
#[case::conflict("controller-pod-node-name.json")]
fn member_order_does_not_change_the_verdict(#[case] name: &str) {
    let request = fixture(name);
    let typed = evaluate(&policy_glue::test_support::payload_in_type_order(
        &request,
        &json!({}),
    ))
    .map_err(|r| r.to_string());
    assert_eq!(typed, verdict(name, json!({})));
}

mod scheduling;

#[test]
fn questions_ui_matches_the_settings() {
    use policy_glue::questions::{assert_form_matches, check_settings};
    let form = include_str!("../../questions-ui.yml");
    assert_form_matches::<settings::Settings>(form);
    // An enum option the settings do not know is noticed too.
    let drifted = form.replace("- validate\n", "- audit\n");
    assert!(check_settings::<settings::Settings>(&drifted).is_err());
}
