//! The Gatekeeper edition of antrea-agent-status-updates gives the Kubewarden policy's verdict:
//! on every fixture, on Antrea's document's two bugs, and on generated requests.

use antrea_agent_status_updates::{evaluate, generators};
use gatekeeper_parity::Template;
use proptest::prelude::*;
use serde_json::{json, Value};

const POLICY: &str = "antrea-agent-status-updates";

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
        json!({"nodeBinding": "required"}),
        json!({"mode": "status-and-labels", "nodeBinding": "disabled"}),
        json!({"allowedAnnotationKeys": ["node.antrea.io/", "nodeportlocal.antrea.io"]}),
    ];
    let mut compared = 0;
    for request in generators::fixtures() {
        for settings in &settings {
            agree(&mut template, &request, settings)
                .unwrap_or_else(|e| panic!("{}: {e}", request["name"]));
            compared += 1;
        }
    }
    assert!(compared >= 100, "{compared}");
}

fn fixture(name: &str) -> Value {
    let path = gatekeeper_parity::workspace().join(format!("policies/{POLICY}/test_data/{name}"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn antreas_document_bug_pods_without_labels_can_be_annotated() {
    // The document's rule compares `labels` that are absent on both sides: undefined, so the
    // update is denied. Here absent means nothing, and annotating is allowed.
    let mut template = Template::load(POLICY);
    let request = fixture("pod-unlabeled-annotation-added.json");
    assert!(request["object"]["metadata"].get("labels").is_none());
    assert_eq!(
        template.violations(&request, &json!({})),
        Vec::<String>::new()
    );
    assert_eq!(kubewarden(&request, &json!({})), Ok(()));
}

#[test]
fn antreas_document_bug_finalizers_and_owner_references_are_denied() {
    let mut template = Template::load(POLICY);
    for (name, field) in [
        ("pod-finalizer-added.json", "metadata.finalizers"),
        (
            "node-owner-reference-added.json",
            "metadata.ownerReferences",
        ),
    ] {
        let violations = template.violations(&fixture(name), &json!({}));
        assert_eq!(violations.len(), 1, "{name}: {violations:?}");
        assert!(
            violations[0].contains(&format!("changed {field}")),
            "{violations:?}"
        );
        assert!(kubewarden(&fixture(name), &json!({})).is_err());
    }
}

#[test]
fn absent_old_object_is_a_violation_not_an_undefined() {
    // OPA hoists references out of `not`, regorus does not: the template binds with
    // object.get first, so both deny a request without oldObject.
    let mut template = Template::load(POLICY);
    let mut request = fixture("pod-annotation-added.json");
    request.as_object_mut().unwrap().remove("oldObject");
    let violations = template.violations(&request, &json!({}));
    assert!(
        violations
            .iter()
            .any(|v| v.contains("request.oldObject is missing")),
        "{violations:?}"
    );
    assert!(kubewarden(&request, &json!({})).is_err());
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
