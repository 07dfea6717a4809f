//! Differential tests: the shipped [`crate::evaluate`] and the plain [`crate::reference`] give
//! the same verdict on requests generated from the fixtures, mutated, and reject alike: the
//! same kind of rejection, object, volumes, host paths and protected spellings. The path
//! rules are also compared on their own, on configurations the fixtures do not reach
//! (nested and root prefixes, several protected paths).

use policy_glue::test_support;
use proptest::prelude::*;

use crate::evaluate;
use crate::generators::{request, settings};
use crate::reference::{self, paths, Refusal};
use crate::settings::{Rules, Settings};

/// A path from a small vocabulary, so that protected paths, prefixes and host paths meet.
fn vocabulary_path() -> impl Strategy<Value = String> {
    let segment = prop::sample::select(vec![
        "a", "b", "run", "var", "proc", "1", "self", ".", "..", "",
    ]);
    (any::<bool>(), prop::collection::vec(segment, 0..4)).prop_map(|(relative, segments)| {
        let joined = segments.join("/");
        if relative {
            joined
        } else {
            format!("/{joined}")
        }
    })
}

fn absolute_path() -> impl Strategy<Value = String> {
    vocabulary_path().prop_map(|p| {
        if p.starts_with('/') {
            p
        } else {
            format!("/{p}")
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn evaluate_agrees_with_the_reference(request in request(), settings in settings(), typed in any::<bool>()) {
        let payload = test_support::payload(&request, &settings, typed);
        let agreed = test_support::verdicts_agree(evaluate(&payload), reference::verdict(&payload), Refusal::of);
        prop_assert!(agreed.is_ok(), "{}", agreed.unwrap_err());
    }

    #[test]
    fn path_rules_agree_with_the_reference(
        protected in prop::collection::vec(absolute_path(), 1..3),
        equivalent in prop::collection::vec(prop::collection::vec(absolute_path(), 2..4), 0..3),
        proc_indirection in any::<bool>(),
        host_path in vocabulary_path(),
    ) {
        let spellings = paths::spellings(&protected, &equivalent);
        let rules = Rules::from(Settings {
            protected_paths: protected,
            equivalent_paths: equivalent,
            proc_indirection,
            ..Settings::default()
        });
        let shipped: Vec<String> = rules.protected.iter().map(ToString::to_string).collect();
        prop_assert_eq!(&shipped, &spellings);
        prop_assert_eq!(
            rules.reached_by(&host_path).map(ToString::to_string),
            paths::reached(&spellings, proc_indirection, &host_path),
            "{}", host_path
        );
    }
}
