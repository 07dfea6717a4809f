//! Differential: an arbitrary pod spec (JSON) in a controller Pod's CREATE, judged by the
//! shipped policy and held to the plain model of the scheduler's node filters
//! (`antrea_controller_placement::scheduling`): a mutated Pod schedules only on secure Nodes
//! and keeps every secure Node its own constraints selected, an accepted Pod already does, a
//! conflict leaves no secure Node. `mode: validate` must reject exactly what `mutate` mutates,
//! and both must accept the mutated Pod unchanged.
#![no_main]
use antrea_controller_placement::error::Rejection;
use antrea_controller_placement::{evaluate, scheduling};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(mut spec) = serde_json::from_slice::<Value>(data) else { return };
    let Some(fields) = spec.as_object_mut() else { return };
    fields.insert("serviceAccountName".into(), json!("antrea-controller"));
    let mutated = evaluate(&scheduling::controller_pod_payload(&spec, "mutate"));
    if let Err(counterexample) = scheduling::holds(&spec, &mutated) {
        panic!("{counterexample}");
    }
    let validated = evaluate(&scheduling::controller_pod_payload(&spec, "validate"));
    let agree = match (&mutated, &validated) {
        (Ok(Some(_)), Err(Rejection::NotOnSecureNodes { .. })) | (Ok(None), Ok(None)) => true,
        (Err(mutate), Err(validate)) => mutate == validate,
        _ => false,
    };
    assert!(agree, "mutate {mutated:?}, validate {validated:?} for {spec}");
    if let Ok(Some(pod)) = &mutated {
        for mode in ["mutate", "validate"] {
            let again = evaluate(&scheduling::controller_pod_payload(&pod["spec"], mode));
            assert!(matches!(again, Ok(None)), "{mode} on the mutated Pod: {again:?} for {pod}");
        }
    }
});
