//! Differential tests: the shipped [`crate::evaluate`] and the plain [`crate::reference`] give
//! the same verdict on requests generated from the fixtures, mutated, and reject alike: the
//! same subject and object, the same kind of rejection, the same changed fields, annotation
//! keys and Nodes.

use policy_glue::test_support;
use proptest::prelude::*;

use crate::evaluate;
use crate::generators::{request, settings};
use crate::reference::{self, Refusal};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn evaluate_agrees_with_the_reference(request in request(), settings in settings(), typed in any::<bool>()) {
        let payload = test_support::payload(&request, &settings, typed);
        let agreed = test_support::verdicts_agree(evaluate(&payload), reference::verdict(&payload), Refusal::of);
        prop_assert!(agreed.is_ok(), "{}", agreed.unwrap_err());
    }
}
