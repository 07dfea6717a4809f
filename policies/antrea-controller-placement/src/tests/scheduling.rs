//! The policy held to the scheduler model ([`crate::scheduling`]) on generated controller Pods:
//! a mutated Pod schedules only on secure Nodes, and on every secure Node the original Pod's
//! own constraints allowed; a Pod accepted unchanged already does; a rejected Pod could not be
//! placed on any secure Node. `mode: validate` rejects exactly the Pods `mutate` would mutate.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::error::Rejection;
use crate::evaluate;
use crate::scheduling::{controller_pod_payload, holds, ARCH, CONTROL_PLANE};

fn expression() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![CONTROL_PLANE, ARCH]),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        prop::sample::subsequence(vec!["", "x", "amd64", "arm64"], 1..3),
    )
        .prop_map(|(key, operator, values)| match operator {
            "Exists" | "DoesNotExist" => json!({"key": key, "operator": operator}),
            _ => json!({"key": key, "operator": operator, "values": values}),
        })
}

fn term() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(expression(), 0..3),
        prop::option::of(prop::sample::select(vec!["cp-1", "w-1"])),
    )
        .prop_map(|(expressions, field)| {
            let mut term = json!({});
            if !expressions.is_empty() {
                term["matchExpressions"] = json!(expressions);
            }
            if let Some(name) = field {
                term["matchFields"] =
                    json!([{"key": "metadata.name", "operator": "In", "values": [name]}]);
            }
            term
        })
}

fn toleration() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!({"key": CONTROL_PLANE, "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": CONTROL_PLANE, "effect": "NoSchedule"}),
        json!({"key": CONTROL_PLANE, "operator": "Equal", "value": "x"}),
        json!({"operator": "Exists"}),
        json!({"key": "other", "operator": "Exists"}),
    ])
}

fn pod_spec() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec![
            json!({ARCH: "amd64"}),
            json!({CONTROL_PLANE: ""}),
            json!({CONTROL_PLANE: "x", ARCH: "arm64"}),
        ])),
        prop::option::of(prop::collection::vec(term(), 1..3)),
        prop::collection::vec(toleration(), 0..3),
    )
        .prop_map(|(selector, terms, tolerations)| {
            let mut spec = json!({"serviceAccountName": "antrea-controller", "containers": [{"name": "c", "image": "i"}]});
            if let Some(selector) = selector {
                spec["nodeSelector"] = selector;
            }
            if let Some(terms) = terms {
                spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}});
            }
            if !tolerations.is_empty() {
                spec["tolerations"] = json!(tolerations);
            }
            spec
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn placement_agrees_with_the_scheduler_model(spec in pod_spec()) {
        let verdict = evaluate(&controller_pod_payload(&spec, "mutate"));
        if let Err(counterexample) = holds(&spec, &verdict) {
            return Err(TestCaseError::fail(counterexample));
        }
        if let Ok(Some(mutated)) = &verdict {
            // Complete and idempotent: the mutated Pod is accepted unchanged.
            prop_assert_eq!(evaluate(&controller_pod_payload(&mutated["spec"], "mutate")), Ok(None));
        }
        // Validate mode rejects, naming what is missing, exactly what mutate mode would mutate.
        let validated = evaluate(&controller_pod_payload(&spec, "validate"));
        let agree = match (&verdict, &validated) {
            (Ok(Some(_)), Err(Rejection::NotOnSecureNodes { .. })) | (Ok(None), Ok(None)) => true,
            (Err(mutate), Err(validate)) => mutate == validate,
            _ => false,
        };
        prop_assert!(agree, "mutate {:?}, validate {:?}", verdict, validated);
    }
}
