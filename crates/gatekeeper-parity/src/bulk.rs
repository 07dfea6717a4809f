//! The bulk parity suites: requests with the Kubewarden policy's verdicts, written as gator
//! verify suites (one per settings value, each its constraint's parameters) for gator's
//! engines to judge (`make gatekeeper-parity`, `judge/`).

use std::io;
use std::path::Path;

use serde_json::{json, Value};

use crate::{audited, stored, yaml, MessageKind};

/// What Gatekeeper must find in a case: nothing, or a violation (whose message matches the
/// regular expression, when the Kubewarden rejection's kind has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// No violation.
    Allowed,
    /// At least one violation (matching the expression).
    Rejected(Option<&'static str>),
}

impl Expect {
    /// The Kubewarden verdict as an expectation: a rejection's message is classified by the
    /// first of `kinds` (a fragment of the Kubewarden message, the expression Gatekeeper's
    /// message must match) whose fragment it contains.
    pub fn of(verdict: &Result<(), String>, kinds: &[MessageKind]) -> Expect {
        match verdict {
            Ok(()) => Expect::Allowed,
            Err(message) => Expect::Rejected(
                kinds
                    .iter()
                    .find(|(fragment, _)| message.contains(fragment))
                    .map(|(_, expression)| *expression),
            ),
        }
    }

    fn assertion(&self) -> Value {
        match self {
            Expect::Allowed => json!({"violations": "no"}),
            Expect::Rejected(None) => json!({"violations": "yes"}),
            Expect::Rejected(Some(message)) => json!({"violations": "yes", "message": message}),
        }
    }
}

/// One case: the document gator reviews (an AdmissionReview or a stored object) and what it
/// must find.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name in the suite.
    pub name: String,
    /// What gator reviews.
    pub document: Value,
    /// The Kubewarden policy's verdict.
    pub expect: Expect,
}

/// The request as an AdmissionReview gator can review, as the API server sends them: its
/// `object` a Kubernetes object (gator refuses a review whose objects do not decode), its
/// `oldObject` absent, null or one too, and one on DELETE (Gatekeeper refuses a DELETE
/// without it).
pub fn admission_review(request: &Value) -> Option<Value> {
    let decodes = |o: &Value| o["kind"].as_str().is_some_and(|k| !k.is_empty());
    let old = &request["oldObject"];
    let old_decodes = match request["operation"] == "DELETE" {
        true => decodes(old),
        false => old.is_null() || decodes(old),
    };
    (decodes(&request["object"]) && old_decodes).then(|| {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
    })
}

/// The reviews gator can make of a request, each with `verdict`'s expectation: the
/// AdmissionReview (the webhook's review) and, with `stored_too` and an object named as a
/// stored object is, that object (audit's review, which the Kubewarden policy judges as a
/// CREATE by audit's ServiceAccount). Empty when gator cannot review the request.
pub fn cases(
    name: &str,
    request: &Value,
    stored_too: bool,
    verdict: impl Fn(&Value) -> Expect,
) -> Vec<Case> {
    let Some(review) = admission_review(request) else {
        return Vec::new();
    };
    let mut cases = vec![Case {
        name: format!("{name}-review"),
        document: review,
        expect: verdict(request),
    }];
    let object = &request["object"];
    let named = object["metadata"]["name"]
        .as_str()
        .is_some_and(|n| !n.is_empty());
    if stored_too && named && object["apiVersion"].is_string() {
        cases.push(Case {
            name: format!("{name}-stored"),
            document: object.clone(),
            expect: verdict(&audited(stored(object))),
        });
    }
    cases
}

/// One constraint's parameters and the cases reviewed under it.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    /// The constraint's `spec.parameters` (the Kubewarden settings).
    pub parameters: Value,
    /// Its cases.
    pub cases: Vec<Case>,
}

/// Writes `dir/<rule>/`: the rule's template, then per bucket a folder with its constraint
/// (the rule's sample constraint with the bucket's parameters), one file per case and the
/// suite over them. Cases are JSON files, which `gator verify DIR/...` does not read as
/// suites (it parses every `.yaml` file it finds).
pub fn write(dir: &Path, rule: &str, buckets: &[Bucket]) -> io::Result<()> {
    let root = dir.join(rule);
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    std::fs::create_dir_all(&root)?;
    let template = crate::workspace().join(format!("gatekeeper/{rule}/template.yaml"));
    std::fs::copy(template, root.join("template.yaml"))?;
    let sample = yaml(&format!("gatekeeper/{rule}/samples/{rule}/constraint.yaml"));
    for (index, bucket) in buckets.iter().enumerate() {
        let folder = root.join(format!("{index:02}"));
        std::fs::create_dir_all(folder.join("cases"))?;
        let mut constraint = sample.clone();
        constraint["metadata"]["name"] = json!(format!("{rule}-{index:02}"));
        constraint["spec"]["parameters"] = bucket.parameters.clone();
        write_yaml(&folder.join("constraint.yaml"), &constraint)?;
        let mut cases = Vec::with_capacity(bucket.cases.len());
        for (number, case) in bucket.cases.iter().enumerate() {
            let file = format!("cases/{number:05}.json");
            std::fs::write(folder.join(&file), serde_json::to_vec(&case.document)?)?;
            cases.push(
                json!({"name": case.name, "object": file, "assertions": [case.expect.assertion()]}),
            );
        }
        let suite = json!({
            "kind": "Suite", "apiVersion": "test.gatekeeper.sh/v1alpha1",
            "metadata": {"name": format!("{rule}-{index:02}")},
            "tests": [{"name": format!("{rule}-{index:02}"), "template": "../template.yaml",
                       "constraint": "constraint.yaml", "cases": cases}],
        });
        write_yaml(&folder.join("suite.yaml"), &suite)?;
    }
    Ok(())
}

fn write_yaml(path: &Path, value: &Value) -> io::Result<()> {
    let text = serde_norway::to_string(value).map_err(io::Error::other)?;
    std::fs::write(path, text)
}
