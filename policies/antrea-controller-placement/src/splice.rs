//! A controller's object read and mutated without a tree of all of it: only the pod spec
//! members placement reads (`nodeName`, `nodeSelector`, `affinity`, `tolerations`) and the
//! metadata naming the object are parsed, and the mutated object is the request's own JSON
//! text with `affinity` and `tolerations` replaced. Building the whole Pod as a
//! `serde_json::Value` and serialising it back was 85% of the cost of mutating a 3 KB Pod.
//!
//! Only objects of the usual shape take this path (every member read here present at most
//! once, the pod spec an object); [`ObjectView::read`] answers `None` for any other, which the
//! policy then handles as a whole `Value`, as before.

use std::borrow::Cow;

use json_scan::Raw;
use serde_json::{Map, Value};

/// The pod spec members placement reads, in this order.
const SPEC_MEMBERS: [&str; 4] = ["nodeName", "nodeSelector", "affinity", "tolerations"];
/// The pod spec members a mutation changes.
const MUTATED: [&str; 2] = ["affinity", "tolerations"];

/// An object member by member, each wanted member with where its value is.
struct Found<'a, const N: usize> {
    values: [Option<Raw<'a>>; N],
}

impl<'a, const N: usize> Found<'a, N> {
    /// The members of `object` named in `names` (`null` kept); `None` when one is there twice
    /// or `object` is not an object.
    fn read(object: Raw<'a>, names: [&str; N]) -> Option<Self> {
        let mut values = [None; N];
        for member in object.members().ok()? {
            let (name, value) = member.ok()?;
            if let Some(index) = names.iter().position(|n| *n == name) {
                if values[index].replace(value).is_some() {
                    return None;
                }
            }
        }
        Some(Found { values })
    }
}

/// A Pod or Deployment: the path of raw values down to its pod spec, the spec members
/// placement reads, and the metadata that names it.
pub struct ObjectView<'a> {
    /// The object, then each value on the way to the pod spec, the pod spec last.
    path: Vec<Raw<'a>>,
    spec: [Option<Raw<'a>>; 4],
    /// `metadata.namespace`, `metadata.name`, `metadata.generateName` (strings, else empty).
    pub names: [String; 3],
}

fn string(raw: Option<Raw<'_>>) -> String {
    raw.and_then(|raw| raw.as_str())
        .map(Cow::into_owned)
        .unwrap_or_default()
}

impl<'a> ObjectView<'a> {
    /// `object` read along `spec_path`; `None` when it is not of the usual shape.
    pub fn read(object: Raw<'a>, spec_path: &[&str]) -> Option<Self> {
        let [metadata] = Found::read(object, ["metadata"])?.values;
        let names = match metadata.filter(|m| m.is_object()) {
            Some(metadata) => {
                let [namespace, name, generate_name] =
                    Found::read(metadata, ["namespace", "name", "generateName"])?.values;
                [string(namespace), string(name), string(generate_name)]
            }
            None => Default::default(),
        };
        let mut path = vec![object];
        for key in spec_path {
            let [value] = Found::read(*path.last()?, [*key])?.values;
            path.push(value.filter(|v| v.is_object())?);
        }
        let spec = Found::read(*path.last()?, SPEC_MEMBERS)?.values;
        Some(ObjectView { path, spec, names })
    }

    /// The pod spec as far as placement reads it: a `Value` of just those members.
    pub fn spec(&self) -> Result<Value, json_scan::ParseError> {
        let mut spec = Map::new();
        for (name, raw) in SPEC_MEMBERS.iter().zip(self.spec) {
            if let Some(raw) = raw {
                spec.insert(name.to_string(), raw.parse()?);
            }
        }
        Ok(Value::Object(spec))
    }

    /// The object's JSON with the pod spec's `affinity` and `tolerations` taken from `spec`
    /// (a mutated [`ObjectView::spec`]): replaced where the object has them, else added.
    pub fn mutated(&self, spec: &Value) -> Result<Vec<u8>, serde_json::Error> {
        let pod_spec = *self.path.last().expect("the object at least");
        let mut edits: Vec<(usize, usize, Vec<u8>)> = Vec::new();
        let mut added = Vec::new();
        for name in MUTATED {
            let Some(value) = spec.get(name) else {
                continue;
            };
            let text = serde_json::to_vec(value)?;
            let index = SPEC_MEMBERS.iter().position(|n| *n == name).expect("read");
            match self.spec[index] {
                Some(old) => {
                    let start = offset(pod_spec, old);
                    edits.push((start, start + old.0.len(), text));
                }
                None => {
                    added.push(b',');
                    serde_json::to_writer(&mut added, name)?;
                    added.push(b':');
                    added.extend(text);
                }
            }
        }
        if !added.is_empty() {
            // Before the closing brace; the leading comma goes when the spec had no member.
            let end = pod_spec.0.len() - 1;
            let empty = pod_spec.0[1..end].iter().all(u8::is_ascii_whitespace);
            edits.push((end, end, added[usize::from(empty)..].to_vec()));
        }
        edits.sort_by_key(|(start, _, _)| *start);
        let mut text = splice(pod_spec.0, &edits);
        // Each enclosing value with the edited one in its place, up to the object.
        for pair in self.path.windows(2).rev() {
            let (outer, inner) = (pair[0], pair[1]);
            let start = offset(outer, inner);
            text = splice(outer.0, &[(start, start + inner.0.len(), text)]);
        }
        Ok(text)
    }
}

/// Where `inner` starts in `outer`, a value it lies within.
fn offset(outer: Raw<'_>, inner: Raw<'_>) -> usize {
    inner.0.as_ptr() as usize - outer.0.as_ptr() as usize
}

/// `bytes` with each `(start, end, replacement)` range replaced; the ranges are in order and
/// do not overlap.
fn splice(bytes: &[u8], edits: &[(usize, usize, Vec<u8>)]) -> Vec<u8> {
    let grown: usize = edits.iter().map(|(_, _, r)| r.len()).sum();
    let mut out = Vec::with_capacity(bytes.len() + grown);
    let mut at = 0;
    for (start, end, replacement) in edits {
        out.extend_from_slice(&bytes[at..*start]);
        out.extend_from_slice(replacement);
        at = *end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_glue::Verdict;
    use rstest::rstest;
    use serde_json::json;

    fn view_and_mutate(object: &Value, spec_path: &[&str], edit: Value) -> Value {
        let text = serde_json::to_vec(object).unwrap();
        let view = ObjectView::read(Raw::document(&text).unwrap(), spec_path).unwrap();
        let mut spec = view.spec().unwrap();
        for (name, value) in edit.as_object().unwrap() {
            spec[name] = value.clone();
        }
        serde_json::from_slice(&view.mutated(&spec).unwrap()).unwrap()
    }

    #[rstest]
    #[case::added_to_empty_spec(json!({"spec": {}}), json!({"tolerations": [1]}))]
    #[case::added_after_members(json!({"spec": {"containers": []}, "status": {}}), json!({"affinity": {"a": 1}, "tolerations": []}))]
    #[case::replaced(json!({"metadata": {"name": "x"}, "spec": {"affinity": {"b": 2}, "tolerations": [], "x": 1}}), json!({"affinity": {"a": 1}, "tolerations": [2]}))]
    #[case::replaced_null(json!({"spec": {"affinity": null}}), json!({"affinity": {"a": 1}}))]
    #[case::escaped_member_name(json!({"spec": {"toleration\u{73}": [0]}}), json!({"tolerations": [1]}))]
    fn mutated_text_is_the_edited_object(#[case] object: Value, #[case] edit: Value) {
        let mut expected = object.clone();
        for (name, value) in edit.as_object().unwrap() {
            expected["spec"][name] = value.clone();
        }
        assert_eq!(view_and_mutate(&object, &["spec"], edit), expected);
    }

    #[test]
    fn deployment_spec_is_found_through_its_template() {
        let object = json!({"spec": {"replicas": 1, "template": {"spec": {"nodeName": "n"}}}});
        let mut expected = object.clone();
        expected["spec"]["template"]["spec"]["tolerations"] = json!([1]);
        assert_eq!(
            view_and_mutate(
                &object,
                &["spec", "template", "spec"],
                json!({"tolerations": [1]})
            ),
            expected
        );
    }

    #[rstest]
    #[case::twice(r#"{"spec": {"affinity": {}, "affinity": null}}"#)]
    #[case::spec_twice(r#"{"spec": {}, "spec": {}}"#)]
    #[case::spec_not_an_object(r#"{"spec": []}"#)]
    #[case::no_spec(r#"{"metadata": {}}"#)]
    fn unusual_objects_are_left_to_the_value_path(#[case] text: &str) {
        assert!(ObjectView::read(Raw::document(text.as_bytes()).unwrap(), &["spec"]).is_none());
    }

    fn payload(object: &str) -> Vec<u8> {
        format!(
            r#"{{"request":{{"uid":"1","kind":{{"group":"","version":"v1","kind":"Pod"}},"namespace":"kube-system","operation":"CREATE","userInfo":{{"username":"u"}},"object":{object}}},"settings":{{}}}}"#
        )
        .into_bytes()
    }

    const CONTROLLER: &str = r#"{"metadata":{"name":"antrea-controller-x"},"spec":{"serviceAccountName":"antrea-controller","containers":[{"name":"c","image":"i"}],"tolerations":[{"key":"CriticalAddonsOnly","operator":"Exists"}]}}"#;

    #[test]
    fn answer_is_the_mutated_object_as_text() {
        let payload = payload(CONTROLLER);
        let Verdict::MutateJson(text) = crate::answer(&payload) else {
            panic!("a controller Pod is mutated");
        };
        let mutated: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(Some(mutated), crate::evaluate(&payload).unwrap());
        assert!(text.starts_with(br#"{"metadata":{"name":"antrea-controller-x"},"spec":{"#));
    }

    #[test]
    fn an_unusual_object_is_mutated_as_a_tree() {
        // `tolerations` twice: serde_json keeps the last, as the API server does.
        let twice = CONTROLLER.replace(
            r#""tolerations":"#,
            r#""tolerations":[{"key":"dropped"}],"tolerations":"#,
        );
        assert!(matches!(
            crate::answer(&payload(&twice)),
            Verdict::Mutate(_)
        ));
        assert_eq!(
            crate::evaluate(&payload(&twice)).unwrap(),
            crate::evaluate(&payload(CONTROLLER)).unwrap()
        );
    }
}
