//! NodeRestriction for the agent: a token bound to a Node (its `node-name` claim) may update
//! only that Node and the Pods scheduled on it.

use std::collections::HashMap;

use json_scan::{Raw, ValueAt};

use crate::error::Rejection;
use crate::settings::NodeBinding;
use crate::update::RestrictedUpdate;
use crate::NODE_NAME_CLAIM;

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
        let extra: HashMap<String, Vec<String>> = match extra {
            None => HashMap::new(),
            Some(raw) => raw
                .parse::<Option<HashMap<String, Vec<String>>>>()
                .map_err(|e| malformed(format!("userInfo.extra: {e}")))?
                .unwrap_or_default(),
        };
        match extra.get(NODE_NAME_CLAIM).map(Vec::as_slice) {
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
