//! The waPC glue every policy of this repository shares, like kubewarden/policies'
//! `criteria_policy_base`: a policy is a pure `evaluate` function of the validate payload and a
//! `Settings` type, and [`register_policy!`] turns them into a Kubewarden module.
//!
//! ```ignore
//! policy_glue::register_policy!(evaluate: evaluate, settings: Settings);
//! ```

#![warn(missing_docs)]

use std::fmt::Display;

use kubewarden_policy_sdk::settings::{SettingsValidationResponse, Validatable};
use serde::de::DeserializeOwned;
use wapc_guest::CallResult;

#[cfg(feature = "test-support")]
pub mod questions;

#[doc(hidden)]
pub use kubewarden_policy_sdk;
#[doc(hidden)]
pub use wapc_guest;

/// What a policy answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Accept the request unchanged.
    Accept,
    /// Reject the request with this message.
    Reject(String),
    /// Accept the request with this object instead (a mutating policy); the host turns it into
    /// a JSONPatch.
    Mutate(serde_json::Value),
    /// [`Verdict::Mutate`] with the object given as its JSON text, which goes into the answer
    /// as it is: a policy that edits the request's object in place need not build a tree of
    /// it (and serialise it again) only to answer.
    MutateJson(Vec<u8>),
}

/// What an `evaluate` function returns, as a [`Verdict`].
pub trait IntoVerdict {
    /// The verdict.
    fn into_verdict(self) -> Verdict;
}

impl IntoVerdict for Verdict {
    fn into_verdict(self) -> Verdict {
        self
    }
}

/// A validating policy: `Ok(())` accepts, `Err` rejects with its message.
impl<E: Display> IntoVerdict for Result<(), E> {
    fn into_verdict(self) -> Verdict {
        match self {
            Ok(()) => Verdict::Accept,
            Err(rejection) => Verdict::Reject(rejection.to_string()),
        }
    }
}

/// A mutating policy: `Ok(None)` accepts unchanged, `Ok(Some(object))` mutates, `Err` rejects.
impl<E: Display> IntoVerdict for Result<Option<serde_json::Value>, E> {
    fn into_verdict(self) -> Verdict {
        match self {
            Ok(None) => Verdict::Accept,
            Ok(Some(object)) => Verdict::Mutate(object),
            Err(rejection) => Verdict::Reject(rejection.to_string()),
        }
    }
}

/// Like the SDK's `validate_settings`, but a settings document that does not deserialise (an
/// unknown key, a wrong type) is reported as invalid settings instead of a guest error, so
/// kwctl and policy-server say what is wrong with it.
pub fn validate_settings<S: DeserializeOwned + Validatable>(payload: &[u8]) -> CallResult {
    let message = match serde_json::from_slice::<S>(payload) {
        Ok(settings) => settings.validate().err(),
        Err(e) => Some(format!("invalid settings: {e}")),
    };
    Ok(serde_json::to_vec(&SettingsValidationResponse {
        valid: message.is_none(),
        message,
    })?)
}

/// `kubewarden_policy_sdk::accept_request()`'s answer, byte for byte, written out: policy-server
/// runs every request in a fresh instance, where serialising it (or a cache of it) would be
/// paid on every request.
pub const ACCEPTED: &[u8] = br#"{"accepted":true,"message":null,"code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#;

/// The answer that accepts the request unchanged.
pub fn accepted() -> CallResult {
    Ok(ACCEPTED.to_vec())
}

/// `kubewarden_policy_sdk::reject_request(Some(message), None, None, None)`'s answer, byte for
/// byte, without building and serialising a `ValidationResponse`: only the message needs
/// serde_json (its escapes).
pub fn rejected(message: &str) -> CallResult {
    const HEAD: &[u8] = br#"{"accepted":false,"message":"#;
    const TAIL: &[u8] =
        br#","code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#;
    let mut answer = Vec::with_capacity(HEAD.len() + message.len() + 2 + TAIL.len());
    answer.extend_from_slice(HEAD);
    serde_json::to_writer(&mut answer, message)?;
    answer.extend_from_slice(TAIL);
    Ok(answer)
}

/// `kubewarden_policy_sdk::mutate_request(object)`'s answer for an object given as JSON text.
pub fn mutated(object: &[u8]) -> CallResult {
    const HEAD: &[u8] = br#"{"accepted":true,"message":null,"code":null,"mutated_object":"#;
    const TAIL: &[u8] = br#","audit_annotations":null,"warnings":null}"#;
    Ok([HEAD, object, TAIL].concat())
}

/// The Kubewarden validation response for a verdict.
pub fn respond(verdict: impl IntoVerdict) -> CallResult {
    match verdict.into_verdict() {
        Verdict::Accept => accepted(),
        Verdict::Reject(message) => rejected(&message),
        Verdict::Mutate(object) => kubewarden_policy_sdk::mutate_request(object),
        Verdict::MutateJson(object) => mutated(&object),
    }
}

/// Emits a policy's waPC entry point, `wapc_init`, registering `validate` (the policy's
/// `evaluate`, answered through [`respond`]), `validate_settings` (through
/// [`validate_settings`] with the policy's `Settings`) and `protocol_version`; and a public
/// `validate_settings` function for the policy's tests and fuzz targets.
#[macro_export]
macro_rules! register_policy {
    (evaluate: $evaluate:path, settings: $settings:ty $(,)?) => {
        // Exported from the WebAssembly module only: natively, several policies link into one
        // test or fuzz binary.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            $crate::wapc_guest::register_function("validate", |payload: &[u8]| {
                $crate::respond($evaluate(payload))
            });
            $crate::wapc_guest::register_function("validate_settings", validate_settings);
            $crate::wapc_guest::register_function(
                "protocol_version",
                $crate::kubewarden_policy_sdk::protocol_version_guest,
            );
        }

        /// Validates a settings document (see [`policy_glue::validate_settings`]).
        pub fn validate_settings(payload: &[u8]) -> $crate::wapc_guest::CallResult {
            $crate::validate_settings::<$settings>(payload)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::response::ValidationResponse;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        #[allow(dead_code)]
        limit: u8,
    }

    impl Validatable for Settings {
        fn validate(&self) -> Result<(), String> {
            if self.limit == 0 {
                return Err("limit must be positive".to_string());
            }
            Ok(())
        }
    }

    fn settings_answer(json: &str) -> SettingsValidationResponse {
        serde_json::from_slice(&validate_settings::<Settings>(json.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn settings_are_answered_never_errors() {
        let valid = settings_answer(r#"{"limit": 1}"#);
        assert!(valid.valid && valid.message.is_none());
        let invalid = settings_answer(r#"{"limit": 0}"#);
        assert_eq!(invalid.message.as_deref(), Some("limit must be positive"));
        let unknown = settings_answer(r#"{"limit": 1, "limits": 2}"#);
        assert!(!unknown.valid);
        assert!(unknown
            .message
            .unwrap()
            .starts_with("invalid settings: unknown field `limits`"));
    }

    fn answer(verdict: impl IntoVerdict) -> ValidationResponse {
        serde_json::from_slice(&respond(verdict).unwrap()).unwrap()
    }

    #[test]
    fn written_out_answers_are_the_sdks() {
        assert_eq!(
            accepted().unwrap(),
            kubewarden_policy_sdk::accept_request().unwrap()
        );
        for message in [
            "no",
            "",
            "quote \" backslash \\ newline \n tab \t \u{1} é ✓",
        ] {
            assert_eq!(
                rejected(message).unwrap(),
                kubewarden_policy_sdk::reject_request(Some(message.to_string()), None, None, None)
                    .unwrap()
            );
        }
    }

    #[test]
    fn mutation_as_text_is_the_sdks_answer() {
        let object = serde_json::json!({"spec": {"tolerations": [{"key": "k"}]}, "kind": "Pod"});
        let text = serde_json::to_vec(&object).unwrap();
        assert_eq!(
            mutated(&text).unwrap(),
            kubewarden_policy_sdk::mutate_request(object).unwrap()
        );
    }

    #[test]
    fn verdicts_become_responses() {
        let accepted = answer(Ok::<(), String>(()));
        assert!(accepted.accepted && accepted.message.is_none());
        assert_eq!(answer(Ok::<(), String>(())).accepted, accepted.accepted);
        let rejected = answer(Err::<(), _>("no"));
        assert!(!rejected.accepted);
        assert_eq!(rejected.message.as_deref(), Some("no"));
        let mutated = answer(Ok::<_, String>(Some(serde_json::json!({"a": 1}))));
        assert!(mutated.accepted);
        assert_eq!(mutated.mutated_object, Some(serde_json::json!({"a": 1})));
        assert!(answer(Ok::<Option<serde_json::Value>, String>(None))
            .mutated_object
            .is_none());
    }
}
