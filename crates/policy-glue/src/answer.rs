//! What a policy answers, and its answers as Kubewarden validation responses.

use std::fmt::Display;

use wapc_guest::CallResult;

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

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::response::ValidationResponse;

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
