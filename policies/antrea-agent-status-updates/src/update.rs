//! A restricted subject's UPDATE of a Pod or Node: what changed, and whether it may.

use json_scan::Raw;
use policy_glue::payload::SplitObject;
use serde_json::Value;

use crate::compare::{self, raw_changed_fields, raw_equal, CompareError, RawObject};
use crate::error::{Rejection, Who};
use crate::settings::{Mode, Settings};

/// Server-managed metadata that changes on every write and carries no authority.
const SERVER_MANAGED_METADATA: [&str; 3] = ["managedFields", "resourceVersion", "generation"];

/// An UPDATE of a Pod or Node by a restricted subject. Both objects are split into their
/// top-level members once; subtrees are only parsed where old and new bytes differ.
pub struct RestrictedUpdate<'r> {
    /// Who updates what; the name is the stored object's when it has one.
    pub who: Who,
    pub(crate) old: RawObject<'r>,
    new: RawObject<'r>,
    pub(crate) old_metadata: RawObject<'r>,
    new_metadata: RawObject<'r>,
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

/// `object` or `oldObject` as members; absent, `null` or not an object is a rejection.
fn members<'r>(
    who: &Who,
    object: Option<SplitObject<'r>>,
    field: &'static str,
) -> Result<RawObject<'r>, Rejection> {
    let malformed = |reason: String| Rejection::MalformedObject {
        who: who.clone(),
        field,
        reason,
    };
    let SplitObject { raw, split } = object.ok_or_else(|| Rejection::MissingObject {
        who: who.clone(),
        field,
    })?;
    if !raw.is_object() {
        let value: Value = raw.parse().unwrap_or(Value::Null);
        return Err(malformed(format!("found {}", json_type(&value))));
    }
    match split {
        Some(split) => RawObject::from_split(split),
        None => RawObject::parse(raw),
    }
    .map_err(|e| malformed(e.to_string()))
}

impl<'r> RestrictedUpdate<'r> {
    /// Reads both versions of the object and their metadata.
    pub fn read(
        mut who: Who,
        object: Option<SplitObject<'r>>,
        old_object: Option<SplitObject<'r>>,
    ) -> Result<Self, Rejection> {
        let old = members(&who, old_object, "oldObject")?;
        let new = members(&who, object, "object")?;
        let malformed = |field: &'static str, e: CompareError| Rejection::MalformedObject {
            who: who.clone(),
            field,
            reason: format!("metadata: {e}"),
        };
        let (old_metadata, new_metadata) = match (old.get("metadata"), new.get("metadata")) {
            (Some(a), Some(b)) if a.is_object() && b.is_object() => {
                RawObject::parse_pair(a, b).map_err(|e| malformed("object", e))?
            }
            _ => (
                old.object("metadata")
                    .map_err(|e| malformed("oldObject", e))?,
                new.object("metadata").map_err(|e| malformed("object", e))?,
            ),
        };
        match (
            old_metadata.string("namespace"),
            old_metadata.string("name"),
        ) {
            (Some(ns), Some(name)) if !ns.is_empty() => who.name = format!("{ns}/{name}"),
            (_, Some(name)) => who.name = name,
            _ => {}
        }
        Ok(RestrictedUpdate {
            who,
            old,
            new,
            old_metadata,
            new_metadata,
        })
    }

    pub(crate) fn malformed(&self, reason: CompareError) -> Rejection {
        Rejection::MalformedObject {
            who: self.who.clone(),
            field: "object",
            reason: reason.to_string(),
        }
    }

    /// The verdict: node binding, annotation keys, then what else changed.
    pub fn check(self, settings: &Settings, extra: Option<Raw<'_>>) -> Result<(), Rejection> {
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
        let who = self.who;
        Err(match settings.mode {
            Mode::AnnotationsOnly => Rejection::ChangedBeyondAnnotations { who, fields },
            Mode::StatusAndLabels => Rejection::ChangedLabelsOrStatus { who, fields },
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
        for (key, old, new) in old.union(&new) {
            if !settings.annotation_key_allowed(key)
                && !raw_equal(old, new).map_err(|e| self.malformed(e))?
            {
                keys.push(key.to_string());
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        keys.sort();
        Err(Rejection::AnnotationKeysNotAllowed {
            who: self.who.clone(),
            keys,
        })
    }
}
