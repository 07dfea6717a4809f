//! What the verdict reads of the request before it knows whether the subject is restricted.

use std::borrow::Cow;

use json_scan::Raw;
use policy_glue::{LazySettings, Request, RequestError};

use crate::settings::{default_usernames, Settings};

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
    pub fn read(request: &mut Request<'a>) -> Result<Self, RequestError> {
        let kind = request.kind()?;
        let operation = request.operation()?;
        let user = request.user_info()?;
        Ok(Header {
            kind: kind.kind,
            group: kind.group,
            operation,
            username: user.username,
            extra: user.extra,
        })
    }

    /// Whether the request is an UPDATE of a core Pod or Node, the only requests judged.
    pub fn is_update_of_pod_or_node(&self) -> bool {
        self.operation == "UPDATE"
            && self.group.is_empty()
            && matches!(self.kind.as_ref(), "Pod" | "Node")
    }
}

/// Whether `username` is restricted: only the settings' `usernames` are parsed, so that
/// unrestricted requests (every kubelet's heartbeat) never pay for the rest.
pub fn restricts(
    settings: &LazySettings<'_, Settings>,
    username: &str,
) -> Result<bool, RequestError> {
    Ok(match settings.member_strings("usernames")? {
        Some(usernames) => usernames.iter().any(|u| u == username),
        None => default_usernames().iter().any(|u| u == username),
    })
}
