//! Kubewarden policy: the Antrea Agent may change annotations of Pods and Nodes through their
//! status subresources, and nothing else.
//!
//! The waPC glue is kept thin: [`evaluate`] is a pure function of the validate payload.

pub mod compare;
pub mod error;
pub mod settings;

use std::borrow::Cow;
use std::collections::HashMap;

use json_scan::Raw;
use kubewarden_policy_sdk::{accept_request, protocol_version_guest, reject_request};
use serde_json::Value;
use wapc_guest::prelude::*;

use crate::compare::{raw_changed_fields, raw_equal, CompareError, RawObject};
use crate::error::Rejection;
use crate::settings::{Mode, NodeBinding, Settings};

/// The `userInfo.extra` key of a bound ServiceAccount token that names the Node of its Pod.
pub const NODE_NAME_CLAIM: &str = "authentication.kubernetes.io/node-name";

/// Server-managed metadata that changes on every write and carries no authority.
const SERVER_MANAGED_METADATA: [&str; 3] = ["managedFields", "resourceVersion", "generation"];

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

/// Like the SDK's `validate_settings`, but a settings document that does not deserialise (an
/// unknown key, a wrong type) is reported as invalid settings instead of a guest error.
pub fn validate_settings(payload: &[u8]) -> CallResult {
    use kubewarden_policy_sdk::settings::{SettingsValidationResponse, Validatable};
    let message = match serde_json::from_slice::<Settings>(payload) {
        Ok(settings) => settings.validate().err(),
        Err(e) => Some(format!("invalid settings: {e}")),
    };
    Ok(serde_json::to_vec(&SettingsValidationResponse {
        valid: message.is_none(),
        message,
    })?)
}

/// `accept_request()`'s answer, serialised once: most requests get it, and serialising it is a
/// tenth of the cost of deciding them.
fn accepted() -> CallResult {
    static ACCEPTED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    if let Some(response) = ACCEPTED.get() {
        return Ok(response.clone());
    }
    let response = accept_request()?;
    Ok(ACCEPTED.get_or_init(|| response).clone())
}

fn validate(payload: &[u8]) -> CallResult {
    match evaluate(payload) {
        Ok(()) => accepted(),
        Err(rejection) => reject_request(Some(rejection.to_string()), None, None, None),
    }
}

/// The part of the validate payload the verdict needs, as raw JSON borrowed from the payload.
struct Request<'a> {
    kind: Option<Raw<'a>>,
    operation: Option<Raw<'a>>,
    user_info: Option<Raw<'a>>,
    name: Option<Raw<'a>>,
    namespace: Option<Raw<'a>>,
    object: Option<Object<'a>>,
    old_object: Option<Object<'a>>,
    settings: Option<Raw<'a>>,
    /// The request's members from `object` on, not read yet: only a restricted subject's
    /// request needs its objects.
    objects: Option<json_scan::Members<'a>>,
}

/// `object` or `oldObject`, split into its members while it was read when it is an object.
struct Object<'a> {
    raw: Raw<'a>,
    split: Option<json_scan::Split<'a>>,
}

fn invalid(error: impl std::fmt::Display) -> Rejection {
    Rejection::InvalidPayload(error.to_string())
}

const REQUEST_MEMBERS: [&str; 5] = ["kind", "operation", "userInfo", "name", "namespace"];

/// Reads the payload's settings and the request's header (from both ends of the request, see
/// [`json_scan::ValidatePayload::header`]); the objects are read by [`Request::read_objects`].
fn parse_payload(payload: &[u8]) -> Result<Request<'_>, Rejection> {
    let header = match json_scan::ValidatePayload::read(payload).map_err(invalid)? {
        Some(validate) => validate
            .header(REQUEST_MEMBERS)
            .map_err(invalid)?
            .map(|header| (validate.settings, header)),
        None => None,
    };
    let Some((settings, header)) = header else {
        return parse_payload_in_one_pass(payload);
    };
    let [kind, operation, user_info, name, namespace] = header.members;
    Ok(Request {
        kind,
        operation,
        user_info,
        name,
        namespace,
        object: None,
        old_object: None,
        settings,
        objects: Some(header.objects),
    })
}

impl Request<'_> {
    /// Reads `object` and `oldObject` once. Both are split into their members as they are read,
    /// and `oldObject` (after `object` in both of policy-server's orders) only up to its last
    /// change from `object`: a restricted update is mostly bytes that did not change.
    fn read_objects(&mut self) -> Result<(), Rejection> {
        let Some(mut members) = self.objects.take() else {
            return Ok(());
        };
        while let Some((member, start)) = members.next_key().map_err(invalid)? {
            let (slot, like) = match member.as_ref() {
                "object" => (&mut self.object, None),
                "oldObject" => (
                    &mut self.old_object,
                    self.object.as_ref().and_then(|o| o.split.as_ref()),
                ),
                // The members after the objects were read from the end.
                _ => break,
            };
            let (raw, split) = members.split_value(start, like).map_err(invalid)?;
            if slot.replace(Object { raw, split }).is_some() {
                return Err(invalid(format!("duplicate field `{member}`")));
            }
        }
        for object in [&mut self.object, &mut self.old_object] {
            if object.as_ref().is_some_and(|o| o.raw.is_null()) {
                *object = None;
            }
        }
        Ok(())
    }
}

fn parse_payload_in_one_pass(payload: &[u8]) -> Result<Request<'_>, Rejection> {
    let ([kind, operation, user_info, name, namespace, object, old_object], settings) =
        json_scan::validate_payload(
            payload,
            [
                "kind",
                "operation",
                "userInfo",
                "name",
                "namespace",
                "object",
                "oldObject",
            ],
        )
        .map_err(invalid)?;
    fn unsplit(raw: Raw<'_>) -> Object<'_> {
        Object { raw, split: None }
    }
    Ok(Request {
        kind,
        operation,
        user_info,
        name,
        namespace,
        object: object.map(unsplit),
        old_object: old_object.map(unsplit),
        settings,
        objects: None,
    })
}

/// A string member, borrowed when it has no escapes.
fn string<'a>(raw: Option<Raw<'a>>, field: &str) -> Result<Option<Cow<'a, str>>, Rejection> {
    match raw {
        None => Ok(None),
        Some(raw) => raw
            .as_str()
            .map(Some)
            .ok_or_else(|| invalid(format!("{field}: expected a string"))),
    }
}

/// Whether `username` is restricted, read straight from the raw settings so that unrestricted
/// requests never pay for parsing them.
fn restricts(settings: Option<Raw<'_>>, username: &str) -> Result<bool, Rejection> {
    let Some(settings) = settings else {
        return Ok(username == settings::DEFAULT_AGENT_USERNAME);
    };
    let [usernames] = settings
        .pick(["usernames"])
        .map_err(|e| invalid(format!("settings: {e}")))?;
    let Some(usernames) = usernames else {
        return Ok(username == settings::DEFAULT_AGENT_USERNAME);
    };
    for element in usernames
        .elements()
        .map_err(|e| invalid(format!("settings.usernames: {e}")))?
    {
        if element.as_str().as_deref() == Some(username) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Decides a validate payload: `Ok(())` accepts, `Err` says why the request is rejected.
///
/// `kind`, `operation`, `userInfo` and the settings decide every request from a subject the
/// settings do not restrict (every kubelet heartbeat) without reading either object.
pub fn evaluate(payload: &[u8]) -> Result<(), Rejection> {
    let mut request = parse_payload(payload)?;
    let kind = request
        .kind
        .ok_or_else(|| invalid("missing field `kind`"))?;
    let [group, kind_name] = kind
        .pick(["group", "kind"])
        .map_err(|e| invalid(format!("kind: {e}")))?;
    let operation = string(request.operation, "operation")?
        .ok_or_else(|| invalid("missing field `operation`"))?;
    let group = string(group, "kind.group")?.unwrap_or_default();
    let kind_name = string(kind_name, "kind.kind")?.unwrap_or_default();
    let [username, extra] = request
        .user_info
        .ok_or_else(|| invalid("missing field `userInfo`"))?
        .pick(["username", "extra"])
        .map_err(|e| invalid(format!("userInfo: {e}")))?;
    if operation != "UPDATE" || !group.is_empty() || !matches!(kind_name.as_ref(), "Pod" | "Node") {
        return Ok(());
    }
    let Some(username) = string(username, "userInfo.username")? else {
        return Ok(());
    };
    if !restricts(request.settings, &username)? {
        return Ok(());
    }
    request.read_objects()?;
    let settings: Settings = match request.settings {
        Some(raw) => raw.parse().map_err(|e| invalid(format!("settings: {e}")))?,
        None => Settings::default(),
    };
    let target = Target {
        subject: &username,
        kind: &kind_name,
        name: string(request.name, "name")?,
        namespace: string(request.namespace, "namespace")?,
    };
    RestrictedUpdate::parse(&target, request.object, request.old_object)?.check(&settings, extra)
}

/// Who updates what, for messages.
struct Target<'a> {
    subject: &'a str,
    kind: &'a str,
    name: Option<Cow<'a, str>>,
    namespace: Option<Cow<'a, str>>,
}

/// An UPDATE of a Pod or Node by a restricted subject. Both objects are split into their
/// top-level members once; subtrees are only parsed where old and new bytes differ.
struct RestrictedUpdate<'r> {
    subject: &'r str,
    kind: &'r str,
    name: String,
    old: RawObject<'r>,
    new: RawObject<'r>,
    old_metadata: RawObject<'r>,
    new_metadata: RawObject<'r>,
}

impl<'r> RestrictedUpdate<'r> {
    fn parse(
        target: &'r Target<'r>,
        object: Option<Object<'r>>,
        old_object: Option<Object<'r>>,
    ) -> Result<Self, Rejection> {
        let (subject, kind) = (target.subject, target.kind);
        let fallback_name = match (&target.namespace, &target.name) {
            (Some(ns), Some(name)) if !ns.is_empty() => format!("{ns}/{name}"),
            (_, Some(name)) => name.to_string(),
            _ => "(unnamed)".to_string(),
        };
        let malformed = |field: &'static str, reason: String| Rejection::MalformedObject {
            subject: subject.to_string(),
            kind: kind.to_string(),
            name: fallback_name.clone(),
            field,
            reason,
        };
        let parse =
            |object: Option<Object<'r>>, field: &'static str| -> Result<RawObject<'r>, Rejection> {
                let Object { raw, split } = object.ok_or_else(|| Rejection::MissingObject {
                    subject: subject.to_string(),
                    kind: kind.to_string(),
                    name: fallback_name.clone(),
                    field,
                })?;
                if raw.is_object() {
                    match split {
                        Some(split) => RawObject::from_split(split),
                        None => RawObject::parse(raw),
                    }
                    .map_err(|e| malformed(field, e.to_string()))
                } else {
                    let value: Value = raw.parse().unwrap_or(Value::Null);
                    Err(malformed(field, format!("found {}", json_type(&value))))
                }
            };
        let old = parse(old_object, "oldObject")?;
        let new = parse(object, "object")?;
        let (old_metadata, new_metadata) = match (old.get("metadata"), new.get("metadata")) {
            (Some(a), Some(b)) if a.is_object() && b.is_object() => RawObject::parse_pair(a, b)
                .map_err(|e| malformed("object", format!("metadata: {e}")))?,
            _ => (
                old.object("metadata")
                    .map_err(|e| malformed("oldObject", format!("metadata: {e}")))?,
                new.object("metadata")
                    .map_err(|e| malformed("object", format!("metadata: {e}")))?,
            ),
        };
        let name = match (
            old_metadata.string("namespace"),
            old_metadata.string("name"),
        ) {
            (Some(ns), Some(name)) if !ns.is_empty() => format!("{ns}/{name}"),
            (_, Some(name)) => name,
            _ => fallback_name.clone(),
        };
        Ok(RestrictedUpdate {
            subject,
            kind,
            name,
            old,
            new,
            old_metadata,
            new_metadata,
        })
    }

    fn malformed(&self, reason: CompareError) -> Rejection {
        Rejection::MalformedObject {
            subject: self.subject.to_string(),
            kind: self.kind.to_string(),
            name: self.name.clone(),
            field: "object",
            reason: reason.to_string(),
        }
    }

    fn check(self, settings: &Settings, extra: Option<Raw<'_>>) -> Result<(), Rejection> {
        self.check_node_binding(settings.node_binding, extra)?;
        self.check_annotation_keys(settings)?;
        let mut fields = Vec::new();
        let compared = match settings.mode {
            Mode::AnnotationsOnly => self.changed_beyond_annotations(&mut fields),
            Mode::StatusAndLabels => self.changed_status_or_labels(&mut fields),
        };
        compared.map_err(|e| self.malformed(e))?;
        if fields.is_empty() {
            return Ok(());
        }
        fields.sort();
        let (subject, kind, name) = (self.subject.to_string(), self.kind.to_string(), self.name);
        Err(match settings.mode {
            Mode::AnnotationsOnly => Rejection::ChangedBeyondAnnotations {
                subject,
                kind,
                name,
                fields,
            },
            Mode::StatusAndLabels => Rejection::ChangedLabelsOrStatus {
                subject,
                kind,
                name,
                fields,
            },
        })
    }

    fn changed_beyond_annotations(&self, fields: &mut Vec<String>) -> Result<(), CompareError> {
        let metadata_is_object = |object: &RawObject<'_>| {
            object
                .get("metadata")
                .is_none_or(|raw| raw.is_object() || raw.is_null())
        };
        if metadata_is_object(&self.old) && metadata_is_object(&self.new) {
            compare::raw_changed_members(&self.old, &self.new, "", &["metadata"], fields)?;
            let mut skipped = vec!["annotations"];
            skipped.extend(SERVER_MANAGED_METADATA);
            compare::raw_changed_members(
                &self.old_metadata,
                &self.new_metadata,
                "metadata",
                &skipped,
                fields,
            )
        } else {
            compare::raw_changed_members(&self.old, &self.new, "", &[], fields)
        }
    }

    fn changed_status_or_labels(&self, fields: &mut Vec<String>) -> Result<(), CompareError> {
        raw_changed_fields(
            self.old.get("status"),
            self.new.get("status"),
            "status",
            fields,
        )?;
        raw_changed_fields(
            self.old_metadata.get("labels"),
            self.new_metadata.get("labels"),
            "metadata.labels",
            fields,
        )
    }

    fn check_node_binding(
        &self,
        binding: NodeBinding,
        extra: Option<Raw<'_>>,
    ) -> Result<(), Rejection> {
        if binding == NodeBinding::Disabled {
            return Ok(());
        }
        let malformed = |reason: String| Rejection::MalformedNodeClaim {
            subject: self.subject.to_string(),
            kind: self.kind.to_string(),
            name: self.name.clone(),
            reason,
        };
        let extra: HashMap<String, Vec<String>> = match extra {
            None => HashMap::new(),
            Some(raw) => raw
                .parse::<Option<HashMap<String, Vec<String>>>>()
                .map_err(|e| malformed(format!("userInfo.extra: {e}")))?
                .unwrap_or_default(),
        };
        let bound_node = match extra.get(NODE_NAME_CLAIM).map(Vec::as_slice) {
            None | Some([]) => {
                if binding == NodeBinding::Required {
                    return Err(Rejection::MissingNodeClaim {
                        subject: self.subject.to_string(),
                        kind: self.kind.to_string(),
                        name: self.name.clone(),
                    });
                }
                return Ok(());
            }
            Some([node]) if !node.is_empty() => node.as_str(),
            Some(values) => {
                return Err(malformed(format!(
                    "expected one Node name, found {values:?}"
                )))
            }
        };
        if self.kind == "Node" {
            if self.old_metadata.string("name").as_deref() != Some(bound_node) {
                return Err(Rejection::OtherNode {
                    subject: self.subject.to_string(),
                    bound_node: bound_node.to_string(),
                    name: self.name.clone(),
                });
            }
            return Ok(());
        }
        // Only the pod spec's members up to `nodeName` are read.
        let pod_node = self
            .old
            .get("spec")
            .and_then(|spec| spec.value_at().follow(&["nodeName"]).ok()?)
            .and_then(|node| node.raw().ok()?.parse::<String>().ok());
        match pod_node {
            Some(node) if node == bound_node => Ok(()),
            Some(node) if !node.is_empty() => Err(Rejection::PodOnOtherNode {
                subject: self.subject.to_string(),
                bound_node: bound_node.to_string(),
                name: self.name.clone(),
                pod_node: node,
            }),
            _ => Err(Rejection::PodNotScheduled {
                subject: self.subject.to_string(),
                bound_node: bound_node.to_string(),
                name: self.name.clone(),
            }),
        }
    }

    fn check_annotation_keys(&self, settings: &Settings) -> Result<(), Rejection> {
        if settings.allowed_annotation_keys.is_empty() {
            return Ok(());
        }
        let old = self
            .old_metadata
            .object("annotations")
            .map_err(|e| self.malformed(e))?;
        let new = self
            .new_metadata
            .object("annotations")
            .map_err(|e| self.malformed(e))?;
        let mut keys = Vec::new();
        for key in old
            .0
            .keys()
            .chain(new.0.keys().filter(|key| !old.0.contains_key(*key)))
        {
            if !settings.annotation_key_allowed(key)
                && !raw_equal(old.get(key), new.get(key)).map_err(|e| self.malformed(e))?
            {
                keys.push(key.to_string());
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        keys.sort();
        Err(Rejection::AnnotationKeysNotAllowed {
            subject: self.subject.to_string(),
            kind: self.kind.to_string(),
            name: self.name.clone(),
            keys,
        })
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
