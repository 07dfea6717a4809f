//! The shipped manifests and generated packaging files: every manifest validates against
//! Kubewarden's real CRD schemas (unknown fields and wrong types fail), its settings are accepted
//! by its policy, the Kubewarden namespace is covered without a lock-out path, and `scaffold
//! artifacthub` writes the committed artifacthub-pkg.yml files (but for `createdAt`).

mod common;

use common::crd::{crd_dir, violations};
use common::{annotated, runner, workspace};
use serde_json::{json, Value};
use std::process::Command;

const POLICIES: [&str; 3] = [
    "antrea-agent-status-updates",
    "antrea-hostpath-guard",
    "antrea-controller-placement",
];

/// Every document of `deploy/<policy>.yaml`.
fn manifests(policy: &str) -> Vec<Value> {
    let path = workspace().join(format!("deploy/{policy}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|document| {
            <Value as serde::Deserialize>::deserialize(document)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

#[test]
fn deploy_manifests_validate_against_kubewarden_crds() {
    for policy in POLICIES {
        let metadata: Value = serde_norway::from_str(
            &std::fs::read_to_string(workspace().join(format!("policies/{policy}/metadata.yml")))
                .unwrap(),
        )
        .unwrap();
        for manifest in manifests(policy) {
            let errors = violations(&manifest);
            assert!(errors.is_empty(), "deploy/{policy}.yaml: {errors:#?}");
            assert_eq!(manifest["apiVersion"], "policies.kubewarden.io/v1");
            assert_eq!(
                manifest["spec"]["module"],
                format!("registry://ghcr.io/antrea-kubewarden/policies/{policy}:v0.1.0")
            );
            assert_eq!(
                manifest["spec"]["mutating"], metadata["mutating"],
                "{policy}"
            );
            assert!(
                manifest["spec"]["timeoutSeconds"].is_u64(),
                "{policy}: timeoutSeconds"
            );
        }
    }
}

#[test]
fn schema_check_refuses_unknown_fields_and_wrong_types() {
    let manifest = manifests("antrea-hostpath-guard").remove(0);
    let broken = |path: &str, value: Value| {
        let mut copy = manifest.clone();
        *copy
            .pointer_mut(path.rsplit_once('/').unwrap().0)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .entry(path.rsplit_once('/').unwrap().1)
            .or_insert(Value::Null) = value;
        violations(&copy)
    };
    assert!(!broken("/spec/failurePolicyy", json!("Fail")).is_empty());
    assert!(!broken("/spec/timeoutSeconds", json!("5")).is_empty());
    assert!(!broken(
        "/spec/allowInsideAdmissionControllerNamespace",
        json!("yes")
    )
    .is_empty());
    assert!(!broken("/spec/rules", json!([{"operations": "CREATE"}])).is_empty());
    assert!(!broken("/spex", json!({})).is_empty());
    assert!(broken("/spec/timeoutSeconds", json!(7)).is_empty());
}

/// The vendored CRDs are Kubewarden v1.35.0's, byte for byte: `SHA256SUMS` was taken from the
/// release's CRDs when they were vendored, and lists every file of the folder.
#[test]
fn vendored_crds_are_kubewardens() {
    use sha2::{Digest, Sha256};
    let sums = std::fs::read_to_string(crd_dir().join("SHA256SUMS")).unwrap();
    let mut listed: Vec<&str> = Vec::new();
    for line in sums.lines() {
        let (sum, file) = line.split_once("  ").expect("`<sha256>  <file>` lines");
        let bytes = std::fs::read(crd_dir().join(file)).unwrap();
        assert_eq!(
            format!("{:x}", Sha256::digest(&bytes)),
            sum,
            "{file} was edited"
        );
        listed.push(file);
    }
    let mut files: Vec<String> = std::fs::read_dir(crd_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    listed.sort();
    assert_eq!(files, listed, "every vendored CRD has its checksum");
    assert_eq!(listed.len(), 5);
}

#[test]
fn the_kubewarden_namespace_is_covered_without_a_lock_out() {
    let inside = |m: &Value| m["spec"]["allowInsideAdmissionControllerNamespace"] == json!(true);
    // The agent's requests only (matchConditions): safe to send from every namespace.
    let status = manifests("antrea-agent-status-updates").remove(0);
    assert!(inside(&status) && status["spec"]["failurePolicy"] == "Fail");
    // Everywhere else fails closed; Kubewarden's own namespace fails open, so that
    // policy-server's Pods are admitted even while policy-server is down.
    let hostpath = manifests("antrea-hostpath-guard");
    assert_eq!(hostpath.len(), 2);
    assert!(!inside(&hostpath[0]) && hostpath[0]["spec"]["failurePolicy"] == "Fail");
    assert!(inside(&hostpath[1]) && hostpath[1]["spec"]["failurePolicy"] == "Ignore");
    assert_eq!(
        hostpath[1]["spec"]["namespaceSelector"]["matchExpressions"],
        json!([{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["kubewarden"]}])
    );
    // Kept in step: the same rules and settings in both.
    assert_eq!(hostpath[0]["spec"]["rules"], hostpath[1]["spec"]["rules"]);
    assert_eq!(
        hostpath[0]["spec"]["settings"],
        hostpath[1]["spec"]["settings"]
    );
    // The controller runs in kube-system: only that namespace reaches the placement policy.
    let placement = manifests("antrea-controller-placement").remove(0);
    assert_eq!(
        placement["spec"]["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["kube-system"])
    );
}

#[test]
fn status_update_manifest_restricts_the_webhook_to_its_usernames() {
    let manifest = manifests("antrea-agent-status-updates").remove(0);
    let conditions = manifest["spec"]["matchConditions"].as_array().unwrap();
    for username in manifest["spec"]["settings"]["usernames"]
        .as_array()
        .unwrap()
    {
        let username = username.as_str().unwrap();
        assert!(
            conditions.iter().any(|c| c["expression"]
                .as_str()
                .unwrap()
                .contains(&format!("'{username}'"))),
            "{username} missing from matchConditions"
        );
    }
}

#[test]
fn deploy_settings_are_valid_for_their_policy() {
    let fixtures = [
        ("antrea-agent-status-updates", "pod-annotation-added.json"),
        ("antrea-hostpath-guard", "antrea-agent-daemonset.json"),
        ("antrea-controller-placement", "antrea-controller-pod.json"),
    ];
    for (policy, fixture) in fixtures {
        let Some(module) = annotated(policy) else {
            eprintln!("skipping {policy}: build it with `make` first");
            continue;
        };
        for manifest in manifests(policy) {
            let settings = serde_json::to_string(&manifest["spec"]["settings"]).unwrap();
            let request = workspace().join(format!("policies/{policy}/test_data/{fixture}"));
            let output = runner(&[
                "run",
                "-r",
                request.to_str().unwrap(),
                "--settings-json",
                &settings,
                module.to_str().unwrap(),
            ]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let response: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(response["allowed"], json!(true), "{response}");
        }
    }
}

#[test]
fn scaffolded_manifests_validate_against_kubewarden_crds() {
    for policy in POLICIES {
        let Some(module) = annotated(policy) else {
            continue;
        };
        let module = module.to_str().unwrap();
        for kind in ["ClusterAdmissionPolicy", "AdmissionPolicy"] {
            let output = runner(&["scaffold", "manifest", "-t", kind, "--title", "x", module]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let manifest: Value = serde_norway::from_slice(&output.stdout).unwrap();
            let errors = violations(&manifest);
            assert!(errors.is_empty(), "{policy} {kind}: {errors:#?}");
            assert_eq!(manifest["kind"], kind);
            assert_eq!(manifest["metadata"]["name"], "x");
            assert_eq!(
                manifest["spec"]["module"],
                format!("registry://ghcr.io/antrea-kubewarden/policies/{policy}:v0.1.0")
            );
            assert!(!manifest["spec"]["rules"].as_array().unwrap().is_empty());
        }
    }
}

#[test]
fn unknown_manifest_type_is_an_error() {
    let Some(module) = annotated(POLICIES[0]) else {
        return;
    };
    let output = runner(&[
        "scaffold",
        "manifest",
        "-t",
        "Policy",
        module.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr)
        .starts_with("Error: unsupported manifest type Policy"));
}

/// `scaffold artifacthub` writes what `make artifacthub` (`cargo xtask artifacthub`, which
/// checks that the committed packages are current) commits, but for `createdAt`: the runner
/// writes the current time, as kwctl does, where the xtask keeps the committed one.
#[test]
fn scaffold_artifacthub_is_the_committed_package_but_for_created_at() {
    for policy in POLICIES {
        let folder = workspace().join(format!("policies/{policy}"));
        let output = Command::new(env!("CARGO_BIN_EXE_policy-runner"))
            .args([
                "scaffold",
                "artifacthub",
                "-m",
                "metadata.yml",
                "-u",
                "README.md",
                "-q",
                "questions-ui.yml",
            ])
            .current_dir(&folder)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut generated: Value = serde_norway::from_slice(&output.stdout).unwrap();
        let committed = std::fs::read_to_string(folder.join("artifacthub-pkg.yml")).unwrap();
        let committed: Value = serde_norway::from_str(&committed).unwrap();
        assert!(generated["createdAt"].is_string());
        generated["createdAt"] = committed["createdAt"].clone();
        assert!(
            generated == committed,
            "{policy}/artifacthub-pkg.yml is stale: run `make artifacthub`"
        );
    }
}
