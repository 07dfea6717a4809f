//! The shipped manifests and generated packaging files: every manifest parses into Kubewarden's
//! CRD types (so a typo fails the build), its settings are accepted by its policy, and the
//! committed artifacthub-pkg.yml files are what `make artifacthub` generates.

mod common;

use common::{annotated, runner, workspace};
use std::process::Command;

use kubewarden_policy_sdk::crd::policies::admission_policy::AdmissionPolicy;
use kubewarden_policy_sdk::crd::policies::cluster_admission_policy::ClusterAdmissionPolicy;

const POLICIES: [&str; 2] = ["antrea-agent-status-updates", "antrea-hostpath-guard"];

#[test]
fn deploy_manifests_parse_into_kubewarden_crds() {
    for policy in POLICIES {
        let path = workspace().join(format!("deploy/{policy}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let manifest: ClusterAdmissionPolicy =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(manifest.metadata.name.as_deref(), Some(policy));
        assert!(
            manifest
                .spec
                .clone()
                .expect("spec")
                .module
                .starts_with("registry://"),
            "{}",
            manifest.spec.clone().expect("spec").module
        );
        assert!(!manifest.spec.clone().expect("spec").mutating);
    }
}

#[test]
fn status_update_manifest_restricts_the_webhook_to_its_usernames() {
    let text = std::fs::read_to_string(workspace().join("deploy/antrea-agent-status-updates.yaml"))
        .unwrap();
    let manifest: ClusterAdmissionPolicy = serde_norway::from_str(&text).unwrap();
    let usernames = manifest.spec.clone().expect("spec").settings.0["usernames"]
        .as_array()
        .unwrap()
        .clone();
    let conditions = manifest
        .spec
        .clone()
        .expect("spec")
        .match_conditions
        .unwrap();
    for username in usernames {
        let username = username.as_str().unwrap();
        assert!(
            conditions
                .iter()
                .any(|c| c.expression.contains(&format!("'{username}'"))),
            "{username} missing from matchConditions"
        );
    }
}

#[test]
fn deploy_settings_are_valid_for_their_policy() {
    let fixtures = [
        ("antrea-agent-status-updates", "pod-annotation-added.json"),
        ("antrea-hostpath-guard", "antrea-agent-daemonset.json"),
    ];
    for (policy, fixture) in fixtures {
        let Some(module) = annotated(policy) else {
            eprintln!("skipping {policy}: build it with `make` first");
            continue;
        };
        let text =
            std::fs::read_to_string(workspace().join(format!("deploy/{policy}.yaml"))).unwrap();
        let manifest: ClusterAdmissionPolicy = serde_norway::from_str(&text).unwrap();
        let settings =
            serde_json::to_string(&manifest.spec.clone().expect("spec").settings.0).unwrap();
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
        let response: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(response["allowed"], serde_json::json!(true), "{response}");
    }
}

#[test]
fn scaffolded_manifests_parse_into_kubewarden_crds() {
    for policy in POLICIES {
        let Some(module) = annotated(policy) else {
            continue;
        };
        let module = module.to_str().unwrap();
        let output = runner(&[
            "scaffold",
            "manifest",
            "-t",
            "ClusterAdmissionPolicy",
            module,
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let manifest: ClusterAdmissionPolicy = serde_norway::from_slice(&output.stdout).unwrap();
        assert_eq!(
            manifest.spec.clone().expect("spec").module,
            format!("registry://ghcr.io/antrea-kubewarden/policies/{policy}:v0.1.0")
        );
        assert!(!manifest
            .spec
            .clone()
            .expect("spec")
            .rules
            .unwrap()
            .is_empty());
        let output = runner(&[
            "scaffold",
            "manifest",
            "-t",
            "AdmissionPolicy",
            "--title",
            "x",
            "--settings-json",
            "{}",
            module,
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let manifest: AdmissionPolicy = serde_norway::from_slice(&output.stdout).unwrap();
        assert_eq!(manifest.metadata.name.as_deref(), Some("x"));
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

#[test]
fn committed_artifacthub_packages_are_current() {
    for policy in POLICIES {
        let folder = workspace().join(format!("policies/{policy}"));
        let committed = folder.join("artifacthub-pkg.yml");
        let output = Command::new(env!("CARGO_BIN_EXE_policy-runner"))
            .args([
                "scaffold",
                "artifacthub",
                "-m",
                "metadata.yml",
                "-u",
                "README.md",
                "--previous",
                "artifacthub-pkg.yml",
            ])
            .current_dir(&folder)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let generated = String::from_utf8(output.stdout).unwrap();
        let committed = std::fs::read_to_string(&committed).unwrap_or_default();
        assert!(
            generated == committed,
            "{policy}/artifacthub-pkg.yml is stale: run `make artifacthub`"
        );
        let package: serde_norway::Value = serde_norway::from_str(&generated).unwrap();
        assert_eq!(
            package["containersImages"][0]["image"].as_str(),
            Some(format!("ghcr.io/antrea-kubewarden/policies/{policy}:v0.1.0").as_str())
        );
        assert_eq!(
            package["maintainers"][0]["email"].as_str(),
            Some("antrea-kubewarden-policies@users.noreply.github.com")
        );
    }
}
