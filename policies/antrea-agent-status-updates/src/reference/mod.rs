//! The policy's decision written the plain way: serde_json values, no json-scan, no laziness,
//! no byte comparisons. The differential tests (and the `status_updates_differential` fuzz
//! target) hold [`crate::evaluate`] to it, rejection by rejection ([`Refusal`]: who updates
//! what, the kind of rejection, the fields, annotation keys or Nodes it names): any divergence
//! of the fast path from the obvious reading of the rule is a failure.
//!
//! Its comparison and field naming are its own ([`diff`]), as is the reading of
//! `allowedAnnotationKeys`; only the settings type (the documented schema and its defaults)
//! and the shipped rejection type, which [`Refusal::of`] restates, come from the crate.

mod diff;
mod refusal;

pub use refusal::{Reason, Refusal};

use std::collections::{BTreeSet, HashMap};

use policy_glue::reference::{optional_string, PlainPayload};
use serde_json::{Map, Value};

use crate::error::Who;
use crate::settings::{Mode, NodeBinding, Settings};
use crate::NODE_NAME_CLAIM;

/// Metadata the API server changes on every write: never the subject's change.
const SERVER_MANAGED: [&str; 3] = ["managedFields", "resourceVersion", "generation"];

type Object = Map<String, Value>;

/// A member that must be a string when present (`null` is absent).
fn string(value: Option<&Value>) -> Result<Option<&str>, Refusal> {
    Ok(optional_string(value)?)
}

/// Whether the reference accepts the payload: `Err` says how it rejects it.
pub fn verdict(payload: &[u8]) -> Result<(), Refusal> {
    let payload = PlainPayload::<Settings>::parse(payload)?;
    let (request, settings) = (&payload.request, &payload.settings);
    let (group, kind) = (payload.group.as_str(), payload.kind.as_str());
    let operation = payload.operation()?;
    let user_info = request.get("userInfo").and_then(Value::as_object);
    let user_info = user_info.ok_or(Refusal::Unreadable)?;
    let username = string(user_info.get("username"))?;
    if operation != "UPDATE" || !group.is_empty() || !matches!(kind, "Pod" | "Node") {
        return Ok(());
    }
    let Some(username) = username.filter(|u| settings.usernames.iter().any(|r| r == u)) else {
        return Ok(());
    };
    let mut who = Who {
        subject: username.to_string(),
        kind: kind.to_string(),
        name: request_name(request)?,
    };
    let refuse = |who: &Who, reason| Refusal::Restricted(who.clone(), reason);
    let old = object(request, "oldObject").map_err(|reason| refuse(&who, reason))?;
    let new = object(request, "object").map_err(|reason| refuse(&who, reason))?;
    let old_metadata = metadata(old, "oldObject").map_err(|reason| refuse(&who, reason))?;
    let new_metadata = metadata(new, "object").map_err(|reason| refuse(&who, reason))?;
    if let Some(name) = object_name(&old_metadata) {
        who.name = name;
    }
    let update = Update {
        old,
        new,
        old_metadata,
        new_metadata,
    };
    update
        .judge(settings, kind, user_info.get("extra"))
        .map_err(|reason| refuse(&who, reason))
}

/// `namespace/name` of the request, for messages until the stored object says better.
fn request_name(request: &Object) -> Result<String, Refusal> {
    let name = string(request.get("name"))?.filter(|name| !name.is_empty());
    let namespace = string(request.get("namespace"))?.filter(|ns| !ns.is_empty());
    Ok(match (namespace, name) {
        (Some(namespace), Some(name)) => format!("{namespace}/{name}"),
        (Some(namespace), None) => format!("{namespace}/(unnamed)"),
        (None, Some(name)) => name.to_string(),
        (None, None) => "(unnamed)".to_string(),
    })
}

/// The stored object's own `namespace/name`, when it has a name.
fn object_name(metadata: &Object) -> Option<String> {
    let name = metadata.get("name")?.as_str()?;
    match metadata.get("namespace").and_then(Value::as_str) {
        Some(namespace) if !namespace.is_empty() => Some(format!("{namespace}/{name}")),
        _ => Some(name.to_string()),
    }
}

fn object<'r>(request: &'r Object, field: &'static str) -> Result<&'r Object, Reason> {
    match request.get(field) {
        None | Some(Value::Null) => Err(Reason::MissingObject(field)),
        Some(Value::Object(object)) => Ok(object),
        Some(_) => Err(Reason::MalformedObject(field)),
    }
}

/// An object's `metadata`; absent or `null` is empty.
fn metadata(object: &Object, field: &'static str) -> Result<Object, Reason> {
    match object.get("metadata") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(metadata)) => Ok(metadata.clone()),
        Some(_) => Err(Reason::MalformedObject(field)),
    }
}

/// Both versions of the object under review.
struct Update<'r> {
    old: &'r Object,
    new: &'r Object,
    old_metadata: Object,
    new_metadata: Object,
}

impl Update<'_> {
    /// Node binding first, then the annotation keys, then everything else that changed.
    fn judge(&self, settings: &Settings, kind: &str, extra: Option<&Value>) -> Result<(), Reason> {
        self.node_binding(settings.node_binding, kind, extra)?;
        self.annotation_keys(&settings.allowed_annotation_keys)?;
        let mut fields = Vec::new();
        match settings.mode {
            Mode::AnnotationsOnly => {
                diff::changed_members(self.old, self.new, "", &["metadata"], &mut fields);
                let skipped = [&["annotations"][..], &SERVER_MANAGED[..]].concat();
                let (a, b) = (&self.old_metadata, &self.new_metadata);
                diff::changed_members(a, b, "metadata", &skipped, &mut fields);
            }
            Mode::StatusAndLabels => {
                let (a, b) = (self.old.get("status"), self.new.get("status"));
                diff::changed(a, b, "status", &mut fields);
                let (a, b) = (
                    self.old_metadata.get("labels"),
                    self.new_metadata.get("labels"),
                );
                diff::changed(a, b, "metadata.labels", &mut fields);
            }
        }
        fields.sort();
        match (fields.is_empty(), settings.mode) {
            (true, _) => Ok(()),
            (false, Mode::AnnotationsOnly) => Err(Reason::ChangedBeyondAnnotations(fields)),
            (false, Mode::StatusAndLabels) => Err(Reason::ChangedLabelsOrStatus(fields)),
        }
    }

    /// A token bound to a Node (its node-name claim) may update only that Node and its Pods.
    fn node_binding(
        &self,
        binding: NodeBinding,
        kind: &str,
        extra: Option<&Value>,
    ) -> Result<(), Reason> {
        if binding == NodeBinding::Disabled {
            return Ok(());
        }
        // `userInfo.extra` is a map of string lists (map[string][]string in the API).
        let extra: HashMap<String, Vec<String>> = match extra {
            None | Some(Value::Null) => HashMap::new(),
            Some(extra) => {
                serde_json::from_value(extra.clone()).map_err(|_| Reason::MalformedNodeClaim)?
            }
        };
        let bound_node = match extra
            .get(NODE_NAME_CLAIM)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            [] if binding == NodeBinding::Required => return Err(Reason::MissingNodeClaim),
            [] => return Ok(()),
            [node] if !node.is_empty() => node.clone(),
            _ => return Err(Reason::MalformedNodeClaim),
        };
        if kind == "Node" {
            return match self.old_metadata.get("name").and_then(Value::as_str) {
                Some(name) if name == bound_node => Ok(()),
                _ => Err(Reason::OtherNode { bound_node }),
            };
        }
        let pod_node = self.old.get("spec").and_then(|spec| spec.get("nodeName"));
        match pod_node.and_then(Value::as_str).unwrap_or_default() {
            node if node == bound_node => Ok(()),
            "" => Err(Reason::PodNotScheduled { bound_node }),
            node => Err(Reason::PodOnOtherNode {
                bound_node,
                pod_node: node.to_string(),
            }),
        }
    }

    /// With `allowedAnnotationKeys`, every changed annotation must be one of them (a key, or a
    /// prefix ending in `/`).
    fn annotation_keys(&self, allowed: &[String]) -> Result<(), Reason> {
        if allowed.is_empty() {
            return Ok(());
        }
        let annotations = |metadata: &Object| match metadata.get("annotations") {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(annotations)) => Ok(annotations.clone()),
            Some(_) => Err(Reason::MalformedObject("object")),
        };
        let (old, new) = (
            annotations(&self.old_metadata)?,
            annotations(&self.new_metadata)?,
        );
        let permitted = |key: &str| {
            allowed
                .iter()
                .any(|a| key == a || (a.ends_with('/') && key.starts_with(a.as_str())))
        };
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let refused: Vec<String> = keys
            .into_iter()
            .filter(|key| !permitted(key) && !diff::same(old.get(*key), new.get(*key)))
            .cloned()
            .collect();
        match refused.is_empty() {
            true => Ok(()),
            false => Err(Reason::AnnotationKeysNotAllowed(refused)),
        }
    }
}
