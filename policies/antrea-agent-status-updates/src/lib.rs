//! Kubewarden policy: the Antrea Agent may change annotations of Pods and Nodes through their
//! status subresources, and nothing else.
//!
//! [`evaluate`] is a pure function of the validate payload; the waPC glue is `policy-glue`'s.
//! An UPDATE of a Pod or Node by a username the settings restrict is compared field by field
//! ([`update`]) and bound to the subject's own Node ([`node_binding`]); every other request is
//! accepted after reading only the request's header ([`request`]).

pub mod compare;
pub mod error;
pub mod node_binding;
#[cfg(any(test, feature = "reference"))]
pub mod reference;
pub mod request;
pub mod settings;
pub mod update;

use policy_glue::{LazySettings, Request};

use crate::error::{Rejection, Who};
use crate::request::Header;
use crate::settings::Settings;
use crate::update::RestrictedUpdate;

/// The `userInfo.extra` key of a bound ServiceAccount token that names the Node of its Pod.
pub const NODE_NAME_CLAIM: &str = "authentication.kubernetes.io/node-name";

policy_glue::register_policy!(evaluate: evaluate, settings: Settings);

/// Decides a validate payload: `Ok(())` accepts, `Err` says why the request is rejected.
///
/// `kind`, `operation`, `userInfo` and the settings decide every request from a subject the
/// settings do not restrict (every kubelet heartbeat) without reading either object.
pub fn evaluate(payload: &[u8]) -> Result<(), Rejection> {
    let mut request = Request::read(payload)?;
    let header = Header::read(&mut request)?;
    if !header.is_update_of_pod_or_node() {
        return Ok(());
    }
    let Some(subject) = header.username else {
        return Ok(());
    };
    let mut settings = LazySettings::<Settings>::new(request.settings());
    if !request::restricts(&settings, &subject)? {
        return Ok(());
    }
    let (object, old_object) = request.split_objects()?;
    let settings = settings.get()?;
    let who = Who {
        subject: subject.into_owned(),
        kind: header.kind.into_owned(),
        name: request.display_name()?,
    };
    RestrictedUpdate::read(who, object, old_object)?.check(&settings, header.extra)
}

#[cfg(test)]
mod differential;
#[cfg(any(test, feature = "test-support"))]
pub mod generators;
#[cfg(test)]
mod tests;
