//! The Gatekeeper edition of antrea-hostpath-guard gives the Kubewarden policy's verdict: on
//! every fixture, on the tricky spellings, and on generated requests.

use antrea_hostpath_guard::{evaluate, generators};
use gatekeeper_parity::Template;
use proptest::prelude::*;
use serde_json::{json, Value};

const POLICY: &str = "antrea-hostpath-guard";

fn kubewarden(request: &Value, settings: &Value) -> Result<(), String> {
    gatekeeper_parity::kubewarden(evaluate, request, settings)
}

fn agree(template: &mut Template, request: &Value, settings: &Value) -> Result<(), String> {
    gatekeeper_parity::agree(template, evaluate, request, settings)
}

#[test]
fn every_fixture_gets_the_same_verdict() {
    let mut template = Template::load(POLICY);
    let settings = [
        json!({}),
        json!({"procIndirection": false, "checkPersistentVolumes": false}),
        json!({"exemptions": [{"namespace": "monitoring", "serviceAccountName": "node-exporter"}], "exemptGroups": ["system:masters"]}),
        json!({"protectedPaths": ["/srv/antrea"], "equivalentPaths": [["/srv", "/var/log"]]}),
    ];
    let mut compared = 0;
    for request in generators::fixtures() {
        for settings in &settings {
            agree(&mut template, &request, settings).unwrap_or_else(|e| {
                panic!("{} {settings}: {e}", request["object"]["metadata"]["name"])
            });
            compared += 1;
        }
    }
    assert!(compared >= 200, "{compared}");
}

#[test]
fn every_spelling_is_caught() {
    let mut template = Template::load(POLICY);
    let fixture = |path: &str| {
        let mut request: Value = serde_json::from_slice(
            &std::fs::read(gatekeeper_parity::workspace().join(format!(
                "policies/{POLICY}/test_data/pod-hostpath-root.json"
            )))
            .unwrap(),
        )
        .unwrap();
        request["object"]["spec"]["volumes"][1]["hostPath"]["path"] = json!(path);
        request
    };
    for path in [
        "/var/run/antrea",
        "//var/run/antrea",
        "/var//run/antrea",
        "/var/run/./antrea",
        "/var/log/../run/antrea",
        "/var/run/antrea/",
        "/var/run",
        "/var",
        "/",
        "/run",
        "/run/antrea",
        "var/run/antrea",
        "/proc",
        "/proc/1/root",
        "/proc/self/root",
        "/a/b/../../var/run/antrea",
        "/../../run",
    ] {
        let violations = template.violations(&fixture(path), &json!({}));
        assert_eq!(violations.len(), 1, "{path}: {violations:?}");
        assert!(kubewarden(&fixture(path), &json!({})).is_err(), "{path}");
    }
    for path in [
        "/var/log",
        "/run/antrea-x",
        "/var/run/antreax",
        "/proc/sys",
        "/var/lib/antrea",
        "/a/../var/log",
    ] {
        assert_eq!(
            template.violations(&fixture(path), &json!({})),
            Vec::<String>::new(),
            "{path}"
        );
        assert_eq!(kubewarden(&fixture(path), &json!({})), Ok(()), "{path}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn generated_requests_get_the_same_verdict(request in generators::request(), settings in generators::settings()) {
        thread_local! {
            static TEMPLATE: std::cell::RefCell<Template> = std::cell::RefCell::new(Template::load(POLICY));
        }
        let verdict = TEMPLATE.with_borrow_mut(|template| agree(template, &request, &settings));
        prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
    }
}
