//! The bulk parity suites' writer (`make gatekeeper-parity` runs it at scale): only requests
//! gator can review become cases, and what it writes is a gator verify suite per settings value
//! with the rule's constraint and the Kubewarden verdicts.

use gatekeeper_parity::bulk::{self, admission_review, Bucket, Expect};
use gatekeeper_parity::yaml;
use serde_json::{json, Value};

fn request(operation: &str, object: Value, old: Option<Value>) -> Value {
    let mut request = json!({"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "operation": operation, "namespace": "tenant-a", "name": "p", "object": object});
    if let Some(old) = old {
        request["oldObject"] = old;
    }
    request
}

#[test]
fn only_requests_gator_can_review_become_cases() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
    assert!(admission_review(&request("CREATE", pod.clone(), None)).is_some());
    assert!(admission_review(&request("UPDATE", pod.clone(), Some(Value::Null))).is_some());
    // gator refuses objects that do not decode, Gatekeeper a DELETE without its old object.
    assert!(admission_review(&request("CREATE", json!("oops"), None)).is_none());
    assert!(admission_review(&request("UPDATE", pod.clone(), Some(json!({"a": 1})))).is_none());
    assert!(admission_review(&request("DELETE", pod.clone(), None)).is_none());
    // A stored object needs a name, as every stored object has.
    let allowed = |_: &Value| Expect::Allowed;
    assert_eq!(
        bulk::cases("c", &request("CREATE", pod, None), true, allowed).len(),
        2
    );
    let unnamed = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}});
    assert_eq!(
        bulk::cases("c", &request("CREATE", unnamed, None), true, allowed).len(),
        1
    );
}

#[test]
fn rejections_are_classified_by_kind() {
    let kinds = [("cannot be checked", "cannot be checked")];
    let rejected = Err("Pod a/b cannot be checked: spec.volumes".to_string());
    assert_eq!(
        Expect::of(&rejected, &kinds),
        Expect::Rejected(Some("cannot be checked"))
    );
    assert_eq!(
        Expect::of(&Err("other".to_string()), &kinds),
        Expect::Rejected(None)
    );
    assert_eq!(Expect::of(&Ok(()), &kinds), Expect::Allowed);
}

#[test]
fn a_suite_per_settings_value_with_the_rules_constraint() {
    let rule = "antrea-hostpath-guard";
    let dir = std::env::temp_dir().join(format!("bulk-suites-test-{}", std::process::id()));
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
    let bucket = |parameters: Value, expect: Expect| Bucket {
        parameters,
        cases: bulk::cases("c", &request("CREATE", pod.clone(), None), true, |_| {
            expect.clone()
        }),
    };
    let buckets = [
        bucket(json!({}), Expect::Allowed),
        bucket(
            json!({"procIndirection": false}),
            Expect::Rejected(Some("x")),
        ),
    ];
    bulk::write(&dir, rule, &buckets).unwrap();
    let read = |path: &str| -> Value {
        serde_norway::from_str(&std::fs::read_to_string(dir.join(rule).join(path)).unwrap())
            .unwrap()
    };
    let sample = yaml(&format!("gatekeeper/{rule}/samples/{rule}/constraint.yaml"));
    let constraint = read("01/constraint.yaml");
    assert_eq!(constraint["kind"], sample["kind"]);
    assert_eq!(constraint["spec"]["match"], sample["spec"]["match"]);
    assert_eq!(
        constraint["spec"]["parameters"],
        json!({"procIndirection": false})
    );
    let suite = read("01/suite.yaml");
    let test = &suite["tests"][0];
    assert_eq!(test["template"], "../template.yaml");
    assert_eq!(
        test["cases"][0]["assertions"],
        json!([{"violations": "yes", "message": "x"}])
    );
    let review: Value = serde_json::from_slice(
        &std::fs::read(
            dir.join(rule)
                .join("01")
                .join(test["cases"][0]["object"].as_str().unwrap()),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(review["kind"], "AdmissionReview");
    assert_eq!(
        read("00/suite.yaml")["tests"][0]["cases"][1]["assertions"],
        json!([{"violations": "no"}])
    );
    assert!(dir.join(rule).join("template.yaml").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
