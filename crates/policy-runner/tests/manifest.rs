//! `run` on a YAML file of Kubewarden policies, as kwctl 1.35 runs it: the shipped manifests set
//! `spec.allowInsideAdmissionControllerNamespace`, a field of the CRD since Kubewarden 1.33 that
//! kwctl 1.35's parser does not know, so kwctl refuses them; the runner refuses them with kwctl's
//! message and exit code, and evaluates them once the field is removed.

mod common;

use common::{annotated, runner, test_guest, workspace};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Output;

const POLICIES: [&str; 3] = [
    "antrea-agent-status-updates",
    "antrea-hostpath-guard",
    "antrea-controller-placement",
];

const FIELD: &str = "allowInsideAdmissionControllerNamespace";

/// What kwctl 1.35.0 prints for a shipped manifest that sets the field (its policy-definition
/// parser is the Kubewarden SDK's ClusterAdmissionPolicySpec, `deny_unknown_fields`).
const KWCTL_REFUSAL: &str = "Error: cannot parse value into ClusterAdmissionPolicy: unknown field `allowInsideAdmissionControllerNamespace`, expected one of `backgroundAudit`, `failurePolicy`, `matchConditions`, `matchPolicy`, `mode`, `module`, `mutating`, `objectSelector`, `policyServer`, `rules`, `settings`, `sideEffects`, `timeoutSeconds`, `timeoutEvalSeconds`, `namespaceSelector`, `contextAwareResources`, `message`\n";

fn scratch(name: &str) -> PathBuf {
    let dir = workspace().join("target/policy-runner-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

fn run_manifest(request: &str, manifest: &str) -> Output {
    runner(&["run", "-r", request, manifest])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn shipped(policy: &str) -> String {
    std::fs::read_to_string(workspace().join(format!("deploy/{policy}.yaml"))).unwrap()
}

#[test]
fn shipped_manifests_with_the_field_are_refused_as_kwctl_refuses_them() {
    let request = "policies/antrea-hostpath-guard/test_data/pod-hostpath-run-alias.json";
    for policy in ["antrea-agent-status-updates", "antrea-hostpath-guard"] {
        assert!(
            shipped(policy).contains(FIELD),
            "{policy} no longer sets {FIELD}"
        );
        let output = run_manifest(request, &format!("deploy/{policy}.yaml"));
        assert_eq!(output.status.code(), Some(1), "{policy}");
        // The hostPath manifest's first policy is readable: nothing is evaluated all the same.
        assert_eq!(text(&output.stdout), "", "{policy}");
        assert_eq!(text(&output.stderr), KWCTL_REFUSAL, "{policy}");
    }
}

#[test]
fn the_manifest_is_read_before_the_request() {
    let output = run_manifest(
        "no-such-request.json",
        "deploy/antrea-agent-status-updates.yaml",
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stderr), KWCTL_REFUSAL);
}

/// The shipped manifest as kwctl can read it: the field's line removed, modules pointed at the
/// local build.
fn readable_copy(policy: &str) -> PathBuf {
    let mut manifest = String::new();
    for line in shipped(policy).lines() {
        if line.trim_start().starts_with(&format!("{FIELD}:")) {
            continue;
        }
        manifest.push_str(line);
        manifest.push('\n');
    }
    for module in POLICIES {
        let local = workspace().join(format!("policies/{module}/annotated-policy.wasm"));
        manifest = manifest.replace(
            &format!("registry://ghcr.io/antrea-kubewarden/policies/{module}:v0.1.0"),
            &format!("file://{}", local.display()),
        );
    }
    let path = scratch(&format!("{policy}.yaml"));
    std::fs::write(&path, manifest).unwrap();
    path
}

#[test]
fn shipped_manifests_without_the_field_are_evaluated() {
    let cases = [
        (
            "antrea-agent-status-updates",
            "pod-annotation-added.json",
            1,
        ),
        ("antrea-hostpath-guard", "pod-hostpath-run-alias.json", 2),
        (
            "antrea-controller-placement",
            "antrea-controller-pod.json",
            1,
        ),
    ];
    for (policy, request, policies) in cases {
        if annotated(policy).is_none() {
            eprintln!("skipped: policies/{policy}/annotated-policy.wasm is not built (make)");
            continue;
        }
        let manifest = readable_copy(policy);
        let request = format!("policies/{policy}/test_data/{request}");
        let output = run_manifest(&request, manifest.to_str().unwrap());
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(text(&output.stdout).lines().count(), policies, "{policy}");
    }
}

#[test]
fn a_custom_rejection_message_keeps_the_policys_own_as_a_cause() {
    let manifest = format!(
        "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {{name: custom}}\nspec:\n  module: file://{}\n  settings: {{behaviour: reject}}\n  message: refused by the cluster's policy\n",
        test_guest().display()
    );
    let manifest_path = scratch("custom-message.yaml");
    std::fs::write(&manifest_path, manifest).unwrap();
    let request = json!({
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "operation": "CREATE",
        "userInfo": {"username": "alice"},
    });
    let request_path = scratch("custom-message-request.json");
    std::fs::write(&request_path, request.to_string()).unwrap();
    let output = run_manifest(
        request_path.to_str().unwrap(),
        manifest_path.to_str().unwrap(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    // policy-evaluator's field order and null fields of a cause, as kwctl prints them.
    assert_eq!(
        text(&output.stdout),
        "{\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"allowed\":false,\"status\":{\"message\":\"refused by the cluster's policy\",\"details\":{\"causes\":[{\"reason\":null,\"message\":\"rejected by test guest\",\"field\":null}]},\"code\":403},\"auditAnnotations\":null,\"warnings\":null}\n"
    );
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(response["allowed"], json!(false));
}
