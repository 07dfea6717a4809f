//! Semantic JSON comparison that names every changed field.
//!
//! Kubernetes clients serialise the same object in different ways: key order varies, and an
//! absent field, `null`, `{}` and `[]` all mean "nothing" (a Pod without labels is the normal
//! case). Two values are equal when they mean the same thing.

use std::borrow::Cow;

use json_scan::{Raw, ScanError};
use serde_json::Value;

/// Whether a value means "nothing".
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Object(map)) => map.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// Semantic equality of two optional values.
pub fn semantically_equal(old: Option<&Value>, new: Option<&Value>) -> bool {
    if is_empty(old) && is_empty(new) {
        return true;
    }
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => a
            .keys()
            .chain(b.keys())
            .all(|key| semantically_equal(a.get(key), b.get(key))),
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| semantically_equal(Some(x), Some(y)))
        }
        (Some(Value::Number(a)), Some(Value::Number(b))) => numbers_equal(a, b),
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Appends `key` to a field path, quoting keys that are not plain identifiers
/// (`metadata.labels["app.kubernetes.io/name"]`).
pub fn push_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::from(key)),
    }
}

/// The members of a JSON object as unparsed JSON, so equal subtrees are compared byte for byte
/// instead of being built into trees. Duplicate keys are an error: a client must not be able to
/// show one value to this policy and another to the API server.
///
/// The members are kept sorted by name (the order of a `BTreeMap`, which this replaced) and
/// found by binary search, names compared on their first byte before `memcmp`: building and
/// searching a `BTreeMap` of a Pod's members compared names byte by byte (wasi-libc's
/// `memcmp`) a thousand times per update.
#[derive(Default)]
pub struct RawObject<'a> {
    /// `(name, value, position in the document)`, sorted by name.
    members: Vec<(Cow<'a, str>, Raw<'a>, usize)>,
}

/// `str`'s order, decided by the first byte when it differs.
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

impl<'a> RawObject<'a> {
    fn from_members(
        members: impl Iterator<Item = Result<(Cow<'a, str>, Raw<'a>), CompareError>>,
    ) -> Result<Self, CompareError> {
        let mut members = members
            .enumerate()
            .map(|(index, member)| member.map(|(name, value)| (name, value, index)))
            .collect::<Result<Vec<_>, _>>()?;
        members.sort_unstable_by(|a, b| by_name(&a.0, &b.0).then(a.2.cmp(&b.2)));
        // The first name, in document order, that an earlier member already had.
        let repeated = members
            .windows(2)
            .filter(|pair| pair[0].0 == pair[1].0)
            .min_by_key(|pair| pair[1].2);
        if let Some(pair) = repeated {
            return Err(CompareError::DuplicateKey(pair[1].0.to_string()));
        }
        Ok(RawObject { members })
    }

    /// Splits an object into its members.
    pub fn parse(raw: Raw<'a>) -> Result<Self, CompareError> {
        Self::from_members(raw.members()?.map(|member| Ok(member?)))
    }

    /// The members of a split object (see [`json_scan::Split`]).
    pub fn from_split(split: json_scan::Split<'a>) -> Result<Self, CompareError> {
        Self::from_members(
            split
                .members
                .into_iter()
                .map(|(key, _, value)| Ok((key, value))),
        )
    }

    /// Splits two versions of an object: the old one is scanned only up to its last change.
    pub fn parse_pair(old: Raw<'a>, new: Raw<'a>) -> Result<(Self, Self), CompareError> {
        let new = new.split()?;
        let old = old.split_like(&new)?;
        Ok((RawObject::from_split(old)?, RawObject::from_split(new)?))
    }

    /// The member names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(name, _, _)| name.as_ref())
    }

    /// Every member name of `self` or `other`, in order, with its value in each: one walk of
    /// both sorted lists, where looking each name up in both would compare names ten times
    /// more often.
    pub fn union<'s>(
        &'s self,
        other: &'s RawObject<'a>,
    ) -> impl Iterator<Item = (&'s str, Option<Raw<'a>>, Option<Raw<'a>>)> + 's {
        let (mut mine, mut theirs) = (
            self.members.iter().peekable(),
            other.members.iter().peekable(),
        );
        std::iter::from_fn(move || {
            let order = match (mine.peek(), theirs.peek()) {
                (None, None) => return None,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(a), Some(b)) => by_name(&a.0, &b.0),
            };
            Some(match order {
                std::cmp::Ordering::Less => mine.next().map(|a| (a.0.as_ref(), Some(a.1), None))?,
                std::cmp::Ordering::Greater => {
                    theirs.next().map(|b| (b.0.as_ref(), None, Some(b.1)))?
                }
                std::cmp::Ordering::Equal => {
                    let (a, b) = (mine.next()?, theirs.next()?);
                    (a.0.as_ref(), Some(a.1), Some(b.1))
                }
            })
        })
    }

    /// Whether the object has a member `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A member, if present.
    pub fn get(&self, key: &str) -> Option<Raw<'a>> {
        self.members
            .binary_search_by(|(name, _, _)| by_name(name, key))
            .ok()
            .map(|index| self.members[index].1)
    }

    /// A member that must be an object; absent or `null` is empty.
    pub fn object(&self, key: &str) -> Result<RawObject<'a>, CompareError> {
        match self.get(key) {
            Some(raw) if !raw.is_null() => RawObject::parse(raw),
            _ => Ok(RawObject::default()),
        }
    }

    /// A member that should be a string.
    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key)?.parse().ok()
    }
}

/// Why two documents cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Json(#[from] json_scan::ParseError),
    #[error("duplicate key {}", Value::from(.0.as_str()))]
    DuplicateKey(String),
}

fn object_or_empty(raw: Option<Raw<'_>>) -> Result<RawObject<'_>, CompareError> {
    match raw {
        Some(raw) if raw.is_object() => RawObject::parse(raw),
        _ => Ok(RawObject::default()),
    }
}

fn raw_is_empty(raw: Option<Raw<'_>>) -> bool {
    raw.is_none_or(|raw| raw.is_empty())
}

/// Semantic equality of raw JSON (see [`semantically_equal`]), byte-equal subtrees first.
pub fn raw_equal(old: Option<Raw<'_>>, new: Option<Raw<'_>>) -> Result<bool, CompareError> {
    if let (Some(a), Some(b)) = (old, new) {
        if a.same_bytes(&b) {
            return Ok(true);
        }
    }
    if raw_is_empty(old) && raw_is_empty(new) {
        return Ok(true);
    }
    let (Some(a), Some(b)) = (old, new) else {
        return Ok(false);
    };
    if a.is_object() && b.is_object() {
        let (a, b) = RawObject::parse_pair(a, b)?;
        for (_, a, b) in a.union(&b) {
            if !raw_equal(a, b)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if a.is_array() && b.is_array() {
        let (a, b) = (a.elements()?, b.elements()?);
        if a.len() != b.len() {
            return Ok(false);
        }
        for (x, y) in a.into_iter().zip(b) {
            if !raw_equal(Some(x), Some(y))? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if a.is_object() || a.is_array() || b.is_object() || b.is_array() {
        return Ok(false);
    }
    let a: Value = a.parse()?;
    let b: Value = b.parse()?;
    Ok(semantically_equal(Some(&a), Some(&b)))
}

/// Collects the paths of every field that differs semantically between `old` and `new`,
/// descending into objects (a new label is `metadata.labels.app`) and reporting lists whole.
/// It descends only where the bytes differ, so a Node's 600 unchanged images cost one
/// comparison of their bytes, and builds no tree.
pub fn raw_changed_fields(
    old: Option<Raw<'_>>,
    new: Option<Raw<'_>>,
    path: &str,
    out: &mut Vec<String>,
) -> Result<(), CompareError> {
    if let (Some(a), Some(b)) = (old, new) {
        if a.same_bytes(&b) {
            return Ok(());
        }
    }
    let old_is_object = old.is_some_and(|raw| raw.is_object());
    let new_is_object = new.is_some_and(|raw| raw.is_object());
    let descend = match (old_is_object, new_is_object) {
        (true, true) => true,
        (true, false) => raw_is_empty(new),
        (false, true) => raw_is_empty(old),
        (false, false) => false,
    };
    if descend {
        let (old, new) = match (old, new) {
            (Some(a), Some(b)) if a.is_object() && b.is_object() => RawObject::parse_pair(a, b)?,
            _ => (object_or_empty(old)?, object_or_empty(new)?),
        };
        raw_changed_members(&old, &new, path, &[], out)
    } else {
        if !raw_equal(old, new)? {
            out.push(if path.is_empty() {
                "(whole object)".to_string()
            } else {
                path.to_string()
            });
        }
        Ok(())
    }
}

/// Compares two objects member by member, leaving out the `skipped` keys.
pub fn raw_changed_members(
    old: &RawObject<'_>,
    new: &RawObject<'_>,
    path: &str,
    skipped: &[&str],
    out: &mut Vec<String>,
) -> Result<(), CompareError> {
    for (key, old, new) in old.union(new) {
        // Most members did not change: their path is not even spelled.
        let unchanged = matches!((old, new), (Some(a), Some(b)) if a.same_bytes(&b));
        if !unchanged && !skipped.contains(&key) {
            raw_changed_fields(old, new, &push_key(path, key), out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::key_order(json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1}))]
    #[case::absent_vs_empty_object(json!({}), json!({"labels": {}}))]
    #[case::absent_vs_null(json!({}), json!({"labels": null}))]
    #[case::absent_vs_empty_list(json!({}), json!({"finalizers": []}))]
    #[case::null_vs_empty_list(json!({"finalizers": null}), json!({"finalizers": []}))]
    #[case::integer_vs_float(json!({"n": 1}), json!({"n": 1.0}))]
    #[case::nested_empty(json!({"a": {"b": {}}}), json!({"a": null}))]
    fn equal(#[case] old: Value, #[case] new: Value) {
        assert_eq!(raw_diff(&old, &new), Vec::<String>::new());
    }

    #[rstest]
    #[case::label_added(json!({"metadata": {}}), json!({"metadata": {"labels": {"app": "x"}}}), &["metadata.labels.app"])]
    #[case::label_removed(json!({"metadata": {"labels": {"app": "x"}}}), json!({"metadata": {"labels": null}}), &["metadata.labels.app"])]
    #[case::dotted_key(json!({}), json!({"labels": {"app.kubernetes.io/name": "x"}}), &["labels[\"app.kubernetes.io/name\"]"])]
    #[case::finalizer_added(json!({"metadata": {}}), json!({"metadata": {"finalizers": ["x"]}}), &["metadata.finalizers"])]
    #[case::list_reordered(json!({"l": [1, 2]}), json!({"l": [2, 1]}), &["l"])]
    #[case::string_vs_number(json!({"n": "1"}), json!({"n": 1}), &["n"])]
    #[case::empty_string_is_not_absent(json!({}), json!({"s": ""}), &["s"])]
    #[case::object_replaced_by_scalar(json!({"a": {"b": 1}}), json!({"a": 1}), &["a"])]
    #[case::two_changes(json!({"a": 1, "b": 1}), json!({"a": 2, "b": 2}), &["a", "b"])]
    fn changed(#[case] old: Value, #[case] new: Value, #[case] expected: &[&str]) {
        assert_eq!(raw_diff(&old, &new), expected);
    }

    fn raw_diff(old: &Value, new: &Value) -> Vec<String> {
        let old = serde_json::to_vec(old).unwrap();
        let new = serde_json::to_vec(new).unwrap();
        let (old, new) = (Raw::document(&old).unwrap(), Raw::document(&new).unwrap());
        let mut out = Vec::new();
        raw_changed_fields(Some(old), Some(new), "", &mut out).unwrap();
        out.sort();
        out
    }

    #[rstest]
    #[case::whitespace_in_empty_object(r#"{"a": { }}"#, r#"{}"#)]
    #[case::escaped_key(r#"{"\u0061": 1}"#, r#"{"a": 1}"#)]
    #[case::escaped_string(r#"{"a": "\u0062"}"#, r#"{"a": "b"}"#)]
    #[case::nested_reordered(r#"{"a": [{"x": 1, "y": 2}]}"#, r#"{"a": [{"y": 2, "x": 1}]}"#)]
    fn raw_equal_despite_bytes(#[case] old: &str, #[case] new: &str) {
        let (old, new) = (
            Raw::document(old.as_bytes()).unwrap(),
            Raw::document(new.as_bytes()).unwrap(),
        );
        let mut out = Vec::new();
        raw_changed_fields(Some(old), Some(new), "", &mut out).unwrap();
        assert_eq!(out, Vec::<String>::new());
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let raw = Raw::document(br#"{"a": 1, "a": 2}"#).unwrap();
        let error = RawObject::parse(raw).err().unwrap().to_string();
        assert!(error.contains("duplicate key \"a\""), "{error}");
        // The first name repeated in document order, as a BTreeMap filled in order found it.
        let raw = Raw::document(br#"{"b": 1, "a": 1, "b": 2, "a": 2}"#).unwrap();
        let error = RawObject::parse(raw).err().unwrap().to_string();
        assert!(error.contains("duplicate key \"b\""), "{error}");
    }

    #[test]
    fn members_are_found_and_listed_in_name_order() {
        let raw = Raw::document(br#"{"spec": 1, "metadata": 2, "apiVersion": 3, "": 4, "m": 5}"#)
            .unwrap();
        let object = RawObject::parse(raw).unwrap();
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            ["", "apiVersion", "m", "metadata", "spec"]
        );
        for (key, value) in [("", "4"), ("m", "5"), ("metadata", "2"), ("spec", "1")] {
            assert_eq!(object.get(key).map(|raw| raw.0), Some(value.as_bytes()));
        }
        assert!(object.get("status").is_none() && !object.contains("metadat"));
        let other = RawObject::parse(Raw::document(br#"{"status": 6, "m": 7}"#).unwrap()).unwrap();
        let union: Vec<_> = object
            .union(&other)
            .map(|(key, a, b)| (key, a.map(|r| r.0), b.map(|r| r.0)))
            .collect();
        assert_eq!(
            union,
            [
                ("", Some(&b"4"[..]), None),
                ("apiVersion", Some(&b"3"[..]), None),
                ("m", Some(&b"5"[..]), Some(&b"7"[..])),
                ("metadata", Some(&b"2"[..]), None),
                ("spec", Some(&b"1"[..]), None),
                ("status", None, Some(&b"6"[..])),
            ]
        );
    }

    #[test]
    fn big_integers_compare_exactly() {
        assert!(!semantically_equal(
            Some(&json!(9_007_199_254_740_993u64)),
            Some(&json!(9_007_199_254_740_992u64))
        ));
    }
}
