//! The payload read from both ends agrees with reading it whole.

use json_scan::{Raw, ScanError};
use rstest::rstest;

use super::Admission;

const SORTED_PAYLOAD: &str = r#"{"request":{"dryRun":false,"kind":{"kind":"Pod"},"name":"web-1","namespace":"a","object":{"b":"}\\\""},"oldObject":null,"operation":"UPDATE","options":{"x":"{"},"uid":"u","userInfo":{"username":"alice"}},"settings":{"k":"v\\"}}"#;
const TYPED_PAYLOAD: &str = r#"{"request":{"uid":"u","kind":{"kind":"Pod"},"name":"web-1","operation":"UPDATE","userInfo":{"username":"alice"},"object":{"b":1},"oldObject":{"b":2},"dryRun":false},"settings":null}"#;

/// The text of what an [`Admission`] read, for comparisons.
fn text(raw: Option<Raw<'_>>) -> Option<&str> {
    raw.map(|raw| std::str::from_utf8(raw.bytes()).unwrap())
}

#[rstest]
#[case::members_sorted_by_name(
    SORTED_PAYLOAD,
    Some(r#"{"k":"v\\"}"#),
    Some("\"a\""),
    Some(r#"{"b":"}\\\""}"#),
    None
)]
#[case::members_in_type_order(TYPED_PAYLOAD, None, None, Some(r#"{"b":1}"#), Some(r#"{"b":2}"#))]
fn admission_read_from_both_ends(
    #[case] payload: &str,
    #[case] settings: Option<&str>,
    #[case] namespace: Option<&str>,
    #[case] object: Option<&str>,
    #[case] old_object: Option<&str>,
) {
    let mut admission = Admission::read(
        payload.as_bytes(),
        ["kind", "operation", "userInfo", "namespace", "name"],
    )
    .unwrap();
    assert_eq!(text(admission.settings()), settings);
    assert_eq!(
        text(admission.get("kind").unwrap()),
        Some(r#"{"kind":"Pod"}"#)
    );
    assert_eq!(
        text(admission.get("operation").unwrap()),
        Some(r#""UPDATE""#)
    );
    assert_eq!(
        text(admission.get("userInfo").unwrap()),
        Some(r#"{"username":"alice"}"#)
    );
    assert_eq!(text(admission.get("namespace").unwrap()), namespace);
    assert_eq!(text(admission.get("name").unwrap()), Some(r#""web-1""#));
    let found = admission.object().unwrap().map(|o| o.raw().unwrap());
    assert_eq!(text(found), object);
    assert_eq!(text(admission.old_object().unwrap()), old_object);
}

#[rstest]
#[case::settings_first(
    r#"{"settings":{},"request":{"operation":"UPDATE","userInfo":{}}}"#,
    None
)]
#[case::no_operation(r#"{"request":{"object":{},"userInfo":{}},"settings":{}}"#, Some("{}"))]
#[case::member_between_objects(
    r#"{"request":{"object":{},"userInfo":{},"oldObject":{},"operation":"UPDATE"},"settings":{}}"#,
    Some("{}")
)]
fn other_shapes_are_read_too(#[case] payload: &str, #[case] object: Option<&str>) {
    let mut admission = Admission::read(payload.as_bytes(), ["operation", "userInfo"]).unwrap();
    let operation = text(admission.get("operation").unwrap()).map(str::to_string);
    let expected = serde_json::from_str::<serde_json::Value>(payload).unwrap()["request"]
        ["operation"]
        .as_str()
        .map(|op| format!("\"{op}\""));
    assert_eq!(operation, expected);
    assert_eq!(text(admission.get("userInfo").unwrap()), Some("{}"));
    let found = admission.object().unwrap().map(|o| o.raw().unwrap());
    assert_eq!(text(found), object);
    assert_eq!(text(admission.settings()), Some("{}"));
}

#[rstest]
#[case::before_the_objects(r#"{"request":{"operation":"CREATE","operation":"UPDATE","userInfo":{},"object":{}},"settings":{}}"#)]
#[case::at_both_ends(r#"{"request":{"operation":"CREATE","object":{},"operation":"UPDATE","userInfo":{}},"settings":{}}"#)]
#[case::object_twice(
    r#"{"request":{"object":{},"object":{},"operation":"UPDATE","userInfo":{}},"settings":{}}"#
)]
fn repeated_member_is_an_error(#[case] payload: &str) {
    let error = Admission::read(payload.as_bytes(), ["operation"]).and_then(|mut admission| {
        admission.get("operation")?;
        admission.old_object()
    });
    assert!(
        matches!(error, Err(ScanError::DuplicateKey(ref name)) if name == "operation" || name == "object"),
        "{error:?}"
    );
}

#[rstest]
#[case::no_request(r#"{"settings":{}}"#, ScanError::MissingMember("request"))]
#[case::request_not_an_object(r#"{"settings":{},"request":[]}"#, ScanError::NotAnObject)]
fn payload_without_a_request_is_an_error(#[case] payload: &str, #[case] expected: ScanError) {
    assert_eq!(
        Admission::read(payload.as_bytes(), ["kind"]).unwrap_err(),
        expected
    );
}

mod properties;
