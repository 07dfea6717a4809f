use super::*;
use crate::scan::skip_value;
use rstest::rstest;

fn members(json: &str) -> Result<Vec<(String, String)>, ScanError> {
    Raw::document(json.as_bytes())?
        .members()?
        .map(|m| m.map(|(k, v)| (k.into_owned(), String::from_utf8(v.0.to_vec()).unwrap())))
        .collect()
}

#[test]
fn members_in_order_with_raw_values() {
    let found = members(
        r#" { "a" : 1 , "b": {"c": [1, "}", {"d": "\"]"}]}, "e\u0066": null, "g": "x\\" } "#,
    )
    .unwrap();
    assert_eq!(
        found,
        [
            ("a".to_string(), "1".to_string()),
            (
                "b".to_string(),
                r#"{"c": [1, "}", {"d": "\"]"}]}"#.to_string()
            ),
            ("ef".to_string(), "null".to_string()),
            ("g".to_string(), r#""x\\""#.to_string()),
        ]
    );
}

#[rstest]
#[case::empty("")]
#[case::truncated_object(r#"{"a": 1"#)]
#[case::truncated_string(r#"{"a": "x"#)]
#[case::missing_colon(r#"{"a" 1}"#)]
#[case::trailing_comma(r#"{"a": 1,}"#)]
#[case::trailing_garbage(r#"{"a": 1} x"#)]
#[case::bare_word("hello")]
#[case::unclosed_array("[1, 2")]
fn invalid(#[case] json: &str) {
    assert!(members(json).is_err(), "{json:?}");
}

#[rstest]
#[case::empty("", "", true)]
#[case::short_equal("abc", "abc", true)]
#[case::short_differs("abc", "abd", false)]
#[case::lengths_differ("abc", "abcd", false)]
#[case::blocks_equal(
    "0123456789abcdef0123456789abcdef-tail",
    "0123456789abcdef0123456789abcdef-tail",
    true
)]
#[case::block_differs(
    "0123456789abcdef0123456789abcdeX-tail",
    "0123456789abcdef0123456789abcdef-tail",
    false
)]
#[case::tail_differs(
    "0123456789abcdef0123456789abcdef-tail",
    "0123456789abcdef0123456789abcdef-taiX",
    false
)]
fn same_bytes_is_slice_equality(#[case] a: &str, #[case] b: &str, #[case] equal: bool) {
    assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), equal);
}

#[rstest]
#[case::short_plain(r#"{"a":1}"#, "a")]
#[case::long_plain(r#"{"requestSubResource":1}"#, "requestSubResource")]
#[case::escaped(r#"{"re\u0071uestKind":1}"#, "requestKind")]
#[case::escaped_late(r#"{"requestSubResourc\u0065":1}"#, "requestSubResource")]
#[case::non_ascii(r#"{"näme":1}"#, "näme")]
#[case::non_ascii_late(r#"{"requestSubResourcé":1}"#, "requestSubResourcé")]
fn member_names(#[case] json: &str, #[case] name: &str) {
    assert_eq!(members(json).unwrap()[0].0, name);
}

#[test]
fn too_deep() {
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(skip_value(deep.as_bytes(), 0), Err(ScanError::TooDeep));
    let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert_eq!(skip_value(fine.as_bytes(), 0), Ok(fine.len()));
}

#[rstest]
#[case::null("null", true)]
#[case::empty_object("{}", true)]
#[case::spaced_object("{ \n }", true)]
#[case::empty_array("[]", true)]
#[case::object(r#"{"a":1}"#, false)]
#[case::empty_string(r#""""#, false)]
#[case::zero("0", false)]
fn emptiness(#[case] json: &str, #[case] empty: bool) {
    assert_eq!(Raw(json.as_bytes()).is_empty(), empty);
}

#[test]
fn follow_and_elements() {
    let doc = Raw::document(br#"{"spec": {"template": {"spec": {"volumes": [{"name": "a"}, {"name": "b"}]}}}, "x": null}"#).unwrap();
    let doc = ValueAt::from(doc);
    let volumes = doc
        .follow(&["spec", "template", "spec", "volumes"])
        .unwrap()
        .unwrap();
    assert_eq!(volumes.raw().unwrap().elements().unwrap().len(), 2);
    assert_eq!(doc.follow(&["x", "y"]).unwrap().map(|v| v.raw()), None);
    assert_eq!(doc.follow(&["missing"]).unwrap().map(|v| v.raw()), None);
    assert!(doc
        .follow(&["spec", "template", "spec", "volumes", "0"])
        .is_err());
}

#[test]
fn pick_finds_members_once() {
    let doc = Raw::document(br#"{"a": 1, "b": null, "c": {"a": 2}}"#).unwrap();
    let [a, b, c, d] = doc.pick(["a", "b", "c", "d"]).unwrap();
    assert_eq!(a, Some(Raw(b"1")));
    assert_eq!(b, None);
    assert_eq!(c, Some(Raw(br#"{"a": 2}"#)));
    assert_eq!(d, None);
    let duplicated = Raw::document(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
    assert_eq!(
        duplicated.pick(["a"]),
        Err(ScanError::DuplicateKey("a".to_string()))
    );
    // Repeats of members nobody asked for do not matter.
    assert!(duplicated.pick(["b"]).is_ok());
}

#[test]
fn pick_path_follows_members() {
    let doc = ValueAt::from(Raw::document(br#"{"a": 1, "spec": {"x": [1, {"spec": 2}], "template": {"spec": {"volumes": [], "sa": "b"}}}}"#).unwrap());
    let [volumes, sa] = doc
        .pick_path(&["spec", "template", "spec"], ["volumes", "sa"])
        .unwrap()
        .unwrap();
    assert_eq!(volumes, Some(Raw(b"[]")));
    assert_eq!(sa, Some(Raw(br#""b""#)));
    assert_eq!(doc.pick_path(&["spec", "missing"], ["x"]).unwrap(), None);
    assert_eq!(
        doc.pick_path(&["a", "b"], ["x"]),
        Err(ScanError::NotAnObject)
    );
    let nulled = ValueAt::from(Raw::document(br#"{"spec": null}"#).unwrap());
    assert_eq!(nulled.pick_path(&["spec"], ["x"]).unwrap(), None);
}

#[rstest]
#[case::plain(r#""abc""#, Some("abc"))]
#[case::escaped(r#""a\u0062c""#, Some("abc"))]
#[case::number("12", None)]
fn strings(#[case] json: &str, #[case] expected: Option<&str>) {
    assert_eq!(Raw(json.as_bytes()).as_str().as_deref(), expected);
}

#[test]
fn agrees_with_serde_json_on_valid_documents() {
    let doc =
        r#"{"k\u00e9y": [1.5e3, -2, true, false, null, "a\nb", {"x": {}}], "n": {"m": "\\\""}}"#;
    let value: serde_json::Value = serde_json::from_str(doc).unwrap();
    let raw = Raw::document(doc.as_bytes()).unwrap();
    for member in raw.members().unwrap() {
        let (key, value_raw) = member.unwrap();
        let parsed: serde_json::Value = value_raw.parse().unwrap();
        assert_eq!(parsed, value[key.as_ref()]);
    }
}
