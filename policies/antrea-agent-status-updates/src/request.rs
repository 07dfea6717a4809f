//! What the verdict reads of the request before it knows whether the subject is restricted.

use std::borrow::Cow;

use json_scan::{Admission, Raw};

use crate::error::Rejection;
use crate::settings;

/// The request members this policy reads.
pub const MEMBERS: [&str; 5] = ["kind", "operation", "userInfo", "name", "namespace"];

/// The payload this policy reads.
pub type Payload<'a> = Admission<'a, 'static, 5>;

/// A payload that cannot be read as an admission request.
pub fn invalid(error: impl std::fmt::Display) -> Rejection {
    Rejection::InvalidPayload(error.to_string())
}

/// A string member, borrowed when it has no escapes.
pub fn string<'a>(raw: Option<Raw<'a>>, field: &str) -> Result<Option<Cow<'a, str>>, Rejection> {
    match raw {
        None => Ok(None),
        Some(raw) => raw
            .as_str()
            .map(Some)
            .ok_or_else(|| invalid(format!("{field}: expected a string"))),
    }
}

/// The request's kind, operation and subject.
pub struct Header<'a> {
    /// `kind.kind`.
    pub kind: Cow<'a, str>,
    group: Cow<'a, str>,
    operation: Cow<'a, str>,
    /// `userInfo.username`.
    pub username: Option<Cow<'a, str>>,
    /// `userInfo.extra`, where a bound token's node-name claim is.
    pub extra: Option<Raw<'a>>,
}

impl<'a> Header<'a> {
    /// Reads the header; `kind`, `operation` and `userInfo` are required.
    pub fn read(admission: &mut Payload<'a>) -> Result<Self, Rejection> {
        let kind = admission
            .get("kind")?
            .ok_or_else(|| invalid("missing field `kind`"))?;
        let [group, kind_name] = kind
            .pick(["group", "kind"])
            .map_err(|e| invalid(format!("kind: {e}")))?;
        let operation = string(admission.get("operation")?, "operation")?
            .ok_or_else(|| invalid("missing field `operation`"))?;
        let group = string(group, "kind.group")?.unwrap_or_default();
        let kind = string(kind_name, "kind.kind")?.unwrap_or_default();
        let [username, extra] = admission
            .get("userInfo")?
            .ok_or_else(|| invalid("missing field `userInfo`"))?
            .pick(["username", "extra"])
            .map_err(|e| invalid(format!("userInfo: {e}")))?;
        Ok(Header {
            kind,
            group,
            operation,
            username: string(username, "userInfo.username")?,
            extra,
        })
    }

    /// Whether the request is an UPDATE of a core Pod or Node, the only requests judged.
    pub fn is_update_of_pod_or_node(&self) -> bool {
        self.operation == "UPDATE"
            && self.group.is_empty()
            && matches!(self.kind.as_ref(), "Pod" | "Node")
    }
}

/// Whether `username` is restricted, read straight from the raw settings so that unrestricted
/// requests never pay for parsing them.
pub fn restricts(settings: Option<Raw<'_>>, username: &str) -> Result<bool, Rejection> {
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

/// `namespace/name` from the request, for messages until the objects say better.
pub fn display_name(admission: &mut Payload<'_>) -> Result<String, Rejection> {
    let name = string(admission.get("name")?, "name")?;
    let namespace = string(admission.get("namespace")?, "namespace")?;
    Ok(match (namespace, name) {
        (Some(ns), Some(name)) if !ns.is_empty() => format!("{ns}/{name}"),
        (_, Some(name)) => name.to_string(),
        _ => "(unnamed)".to_string(),
    })
}
