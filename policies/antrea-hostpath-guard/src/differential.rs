//! Differential tests: the shipped [`crate::evaluate`] and the plain [`crate::reference`] give
//! the same verdict on requests generated from the fixtures, mutated.

use json_scan::test_support;
use proptest::prelude::*;

use crate::generators::{request, settings};
use crate::{evaluate, reference};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn evaluate_agrees_with_the_reference(request in request(), settings in settings(), typed in any::<bool>()) {
        let payload = test_support::payload(&request, &settings, typed);
        let shipped = evaluate(&payload).map_err(|r| r.to_string());
        let reference = reference::verdict(&payload);
        prop_assert_eq!(shipped.is_ok(), reference.is_ok(), "shipped {:?}, reference {:?}", shipped, reference);
    }
}
