//! NodeRestriction for the agent: a token bound to a Node (its `node-name` claim) may update
//! only that Node and the Pods scheduled on it.

use std::collections::HashMap;

use json_scan::{Raw, ValueAt};

use crate::error::Rejection;
use crate::settings::NodeBinding;
use crate::update::RestrictedUpdate;
use crate::NODE_NAME_CLAIM;

/// The node-name claim's values, read from `userInfo.extra` as the API server sends it (a map of
/// string lists) without building the map: `Some(None)` when there is no claim, `None` for
/// any other shape (then left to serde).
fn node_name_claim(extra: Raw<'_>) -> Option<Option<Vec<String>>> {
    if extra.is_null() {
        return Some(None);
    }
    let mut claim = None;
    for member in extra.members().ok()? {
        let (name, values) = member.ok()?;
        let values = values
            .elements()
            .ok()?
            .into_iter()
            .map(|value| value.as_str())
            .collect::<Option<Vec<_>>>()?;
        if name == NODE_NAME_CLAIM
            && claim
                .replace(values.into_iter().map(|v| v.into_owned()).collect())
                .is_some()
        {
            return None;
        }
    }
    Some(claim)
}

impl RestrictedUpdate<'_> {
    /// The Node the token is bound to, if any: `None` when the claim is absent and the binding
    /// allows that.
    fn bound_node(
        &self,
        binding: NodeBinding,
        extra: Option<Raw<'_>>,
    ) -> Result<Option<String>, Rejection> {
        let malformed = |reason: String| Rejection::MalformedNodeClaim {
            who: self.who.clone(),
            reason,
        };
        let claim = match extra.map(node_name_claim) {
            None => None,
            Some(Some(claim)) => claim,
            // Not the API's shape: serde says what is wrong, or reads what it can.
            Some(None) => {
                let extra = extra
                    .expect("present")
                    .parse::<Option<HashMap<String, Vec<String>>>>()
                    .map_err(|e| malformed(format!("userInfo.extra: {e}")))?
                    .unwrap_or_default();
                extra.get(NODE_NAME_CLAIM).cloned()
            }
        };
        match claim.as_deref() {
            None | Some([]) if binding == NodeBinding::Required => {
                Err(Rejection::MissingNodeClaim {
                    who: self.who.clone(),
                })
            }
            None | Some([]) => Ok(None),
            Some([node]) if !node.is_empty() => Ok(Some(node.clone())),
            Some(values) => Err(malformed(format!(
                "expected one Node name, found {values:?}"
            ))),
        }
    }

    /// Rejects an update of another Node, or of a Pod not scheduled on the bound Node.
    pub(crate) fn check_node_binding(
        &self,
        binding: NodeBinding,
        extra: Option<Raw<'_>>,
    ) -> Result<(), Rejection> {
        if binding == NodeBinding::Disabled {
            return Ok(());
        }
        let Some(bound_node) = self.bound_node(binding, extra)? else {
            return Ok(());
        };
        if self.who.kind == "Node" {
            if self.old_metadata.string("name").as_deref() != Some(bound_node.as_str()) {
                return Err(Rejection::OtherNode {
                    who: self.who.clone(),
                    bound_node,
                });
            }
            return Ok(());
        }
        // Only the pod spec's members up to `nodeName` are read.
        let pod_node = self
            .old
            .get("spec")
            .and_then(|spec| ValueAt::from(spec).follow(&["nodeName"]).ok()?)
            .and_then(|node| node.raw().ok()?.parse::<String>().ok());
        match pod_node {
            Some(node) if node == bound_node => Ok(()),
            Some(node) if !node.is_empty() => Err(Rejection::PodOnOtherNode {
                who: self.who.clone(),
                bound_node,
                pod_node: node,
            }),
            _ => Err(Rejection::PodNotScheduled {
                who: self.who.clone(),
                bound_node,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::bound(r#"{"authentication.kubernetes.io/node-name": ["worker-1"], "authentication.kubernetes.io/pod-name": ["a"]}"#, Some(Some(vec!["worker-1"])))]
    #[case::no_claim(r#"{"authentication.kubernetes.io/pod-name": ["a"]}"#, Some(None))]
    #[case::null("null", Some(None))]
    #[case::empty_claim(r#"{"authentication.kubernetes.io/node-name": []}"#, Some(Some(vec![])))]
    #[case::not_a_list(r#"{"authentication.kubernetes.io/node-name": "worker-1"}"#, None)]
    #[case::other_member_malformed(
        r#"{"x": [1], "authentication.kubernetes.io/node-name": ["w"]}"#,
        None
    )]
    #[case::claim_twice(r#"{"authentication.kubernetes.io/node-name": ["a"], "authentication.kubernetes.io/node-name": ["b"]}"#, None)]
    fn claim_read_without_a_map(#[case] extra: &str, #[case] expected: Option<Option<Vec<&str>>>) {
        let raw = json_scan::Raw(extra.as_bytes());
        let expected =
            expected.map(|claim| claim.map(|v| v.into_iter().map(String::from).collect()));
        assert_eq!(node_name_claim(raw), expected);
    }
}
