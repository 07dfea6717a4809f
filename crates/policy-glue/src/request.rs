//! [`Request`]: what every policy reads of an admission request (its kind, operation, user,
//! namespace and name), with one reading of each member and one error for a request that
//! cannot be read ([`RequestError`]), which each policy's rejection wraps.

use std::borrow::Cow;
use std::fmt::Display;

use json_scan::{Raw, ScanError, ValueAt};
use thiserror::Error;

use crate::payload::{Admission, SplitObject};

/// The request members a policy may read; the objects are read through [`Request::object`].
const MEMBERS: [&str; 5] = ["kind", "name", "namespace", "operation", "userInfo"];

/// The object under review, as rejections name it: `Pod kube-system/antrea-agent-x2v9q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `kind.kind` of the request.
    pub kind: String,
    /// `namespace/name`, as [`display_name`] writes it.
    pub name: String,
}

impl Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// Why a request cannot be judged: the reasons every policy shares.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// A member of the request has the wrong shape or type.
    #[error("cannot parse the admission request: {0}")]
    Invalid(String),

    /// The payload's JSON cannot be navigated.
    #[error("cannot parse the admission request: {0}")]
    Scan(#[from] ScanError),

    /// The settings in the payload do not deserialise (policy-server sends only settings that
    /// passed `validate_settings`, so only a hand-made payload has them).
    #[error("cannot parse the admission request: invalid settings: {0}")]
    Settings(String),

    /// A CREATE or UPDATE without `object`.
    #[error("{0} cannot be checked: request.object is missing")]
    MissingObject(Target),

    /// An object whose fields the policy reads have the wrong type or shape.
    #[error("{target} cannot be checked: {reason}")]
    MalformedObject {
        /// The object.
        target: Target,
        /// What cannot be read, and why.
        reason: String,
    },
}

/// A member that should be a string is not; `field` names it.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{field}: expected a string")]
pub struct NotAString {
    /// Where the member is, e.g. `kind.kind` or `spec.serviceAccountName`.
    pub field: String,
}

impl From<NotAString> for RequestError {
    fn from(error: NotAString) -> Self {
        RequestError::Invalid(error.to_string())
    }
}

/// A string member, borrowed when it has no escapes; `None` when absent or `null`. `field`
/// names it in the error (formatted only then).
pub fn string<'a>(
    raw: Option<Raw<'a>>,
    field: impl Display,
) -> Result<Option<Cow<'a, str>>, NotAString> {
    raw.map(|raw| {
        raw.as_str().ok_or_else(|| NotAString {
            field: field.to_string(),
        })
    })
    .transpose()
}

/// `namespace/name` for messages: an empty or absent part is left out, and an object without
/// a name is `(unnamed)`.
pub fn display_name(namespace: Option<&str>, name: Option<&str>) -> String {
    let name = name.filter(|n| !n.is_empty()).unwrap_or("(unnamed)");
    match namespace.filter(|ns| !ns.is_empty()) {
        Some(namespace) => format!("{namespace}/{name}"),
        None => name.to_string(),
    }
}

/// `kind` of the request: its API group and kind (empty when absent).
pub struct GroupKind<'a> {
    /// `kind.group`: empty for the core group.
    pub group: Cow<'a, str>,
    /// `kind.kind`.
    pub kind: Cow<'a, str>,
}

/// `userInfo` of the request.
pub struct UserInfo<'a> {
    /// `userInfo.username`.
    pub username: Option<Cow<'a, str>>,
    groups: Option<Raw<'a>>,
    /// `userInfo.extra`, where a bound token's claims are.
    pub extra: Option<Raw<'a>>,
}

impl UserInfo<'_> {
    /// `userInfo.groups`, parsed only when asked.
    pub fn groups(&self) -> Result<Vec<String>, RequestError> {
        self.groups
            .map(|raw| raw.parse())
            .transpose()
            .map_err(|e| RequestError::Invalid(format!("userInfo.groups: {e}")))
            .map(Option::unwrap_or_default)
    }
}

/// An admission request, read no further than the verdict needs (see [`Admission`]): each
/// member is read when first asked for.
pub struct Request<'a> {
    admission: Admission<'a, 'static, 5>,
}

impl<'a> Request<'a> {
    /// Reads a `validate` payload up to the request's objects.
    pub fn read(payload: &'a [u8]) -> Result<Self, RequestError> {
        Ok(Request {
            admission: Admission::read(payload, MEMBERS)?,
        })
    }

    /// The payload's settings; `None` when absent or `null`.
    pub fn settings(&self) -> Option<Raw<'a>> {
        self.admission.settings()
    }

    fn required(&mut self, name: &'static str) -> Result<Raw<'a>, RequestError> {
        self.admission
            .get(name)?
            .ok_or_else(|| RequestError::Invalid(format!("missing field `{name}`")))
    }

    /// `kind`, which every request has.
    pub fn kind(&mut self) -> Result<GroupKind<'a>, RequestError> {
        let [group, kind] = self
            .required("kind")?
            .pick(["group", "kind"])
            .map_err(|e| RequestError::Invalid(format!("kind: {e}")))?;
        Ok(GroupKind {
            group: string(group, "kind.group")?.unwrap_or_default(),
            kind: string(kind, "kind.kind")?.unwrap_or_default(),
        })
    }

    /// `operation`, which every request has.
    pub fn operation(&mut self) -> Result<Cow<'a, str>, RequestError> {
        let operation = self.required("operation")?;
        Ok(string(Some(operation), "operation")?.unwrap_or_default())
    }

    /// `namespace`; `None` when absent or `null`.
    pub fn namespace(&mut self) -> Result<Option<Cow<'a, str>>, RequestError> {
        Ok(string(self.admission.get("namespace")?, "namespace")?)
    }

    /// `name`; `None` when absent or `null` (a Pod created with `generateName` has none yet).
    pub fn name(&mut self) -> Result<Option<Cow<'a, str>>, RequestError> {
        Ok(string(self.admission.get("name")?, "name")?)
    }

    /// `namespace/name` of the request, for messages (see [`display_name`]).
    pub fn display_name(&mut self) -> Result<String, RequestError> {
        let namespace = self.namespace()?;
        let name = self.name()?;
        Ok(display_name(namespace.as_deref(), name.as_deref()))
    }

    /// `userInfo`, which every request has.
    pub fn user_info(&mut self) -> Result<UserInfo<'a>, RequestError> {
        let [username, groups, extra] = self
            .required("userInfo")?
            .pick(["username", "groups", "extra"])
            .map_err(|e| RequestError::Invalid(format!("userInfo: {e}")))?;
        Ok(UserInfo {
            username: string(username, "userInfo.username")?,
            groups,
            extra,
        })
    }

    /// The request's `object`, found without reading it; `None` when absent or `null`.
    pub fn object(&mut self) -> Result<Option<ValueAt<'a>>, RequestError> {
        Ok(self.admission.object()?)
    }

    /// The request's `oldObject`; `None` when absent or `null`.
    pub fn old_object(&mut self) -> Result<Option<Raw<'a>>, RequestError> {
        Ok(self.admission.old_object()?)
    }

    /// `object` and `oldObject`, split into their members (see [`Admission::split_objects`]).
    pub fn split_objects(
        &mut self,
    ) -> Result<(Option<SplitObject<'a>>, Option<SplitObject<'a>>), RequestError> {
        Ok(self.admission.split_objects()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::both(Some("ns"), Some("web"), "ns/web")]
    #[case::cluster_scoped(None, Some("node-1"), "node-1")]
    #[case::empty_namespace(Some(""), Some("node-1"), "node-1")]
    #[case::unnamed(Some("ns"), None, "ns/(unnamed)")]
    #[case::empty_name(Some("ns"), Some(""), "ns/(unnamed)")]
    #[case::nothing(None, None, "(unnamed)")]
    fn display_names(
        #[case] namespace: Option<&str>,
        #[case] name: Option<&str>,
        #[case] expected: &str,
    ) {
        assert_eq!(display_name(namespace, name), expected);
    }

    fn request(json: &str) -> Request<'_> {
        Request::read(json.as_bytes()).unwrap()
    }

    #[test]
    fn members_are_read_once_each() {
        let mut request = request(
            r#"{"request":{"kind":{"group":"apps","kind":"Deployment"},"name":"web","namespace":"ns","operation":"CREATE","userInfo":{"username":"alice","groups":["g"]}}}"#,
        );
        let kind = request.kind().unwrap();
        assert_eq!((&*kind.group, &*kind.kind), ("apps", "Deployment"));
        assert_eq!(request.operation().unwrap(), "CREATE");
        assert_eq!(request.display_name().unwrap(), "ns/web");
        let user = request.user_info().unwrap();
        assert_eq!(user.username.as_deref(), Some("alice"));
        assert_eq!(user.groups().unwrap(), ["g"]);
        assert!(request.object().unwrap().is_none());
    }

    #[rstest]
    #[case::no_kind(
        r#"{"request":{"operation":"CREATE"}}"#,
        "cannot parse the admission request: missing field `kind`"
    )]
    #[case::kind_not_a_string(
        r#"{"request":{"kind":{"kind":1}}}"#,
        "cannot parse the admission request: kind.kind: expected a string"
    )]
    #[case::kind_not_an_object(
        r#"{"request":{"kind":"Pod"}}"#,
        "cannot parse the admission request: kind: expected a JSON object"
    )]
    fn unreadable_kind(#[case] json: &str, #[case] expected: &str) {
        let error = request(json).kind().err().unwrap();
        assert_eq!(error.to_string(), expected);
    }

    #[rstest]
    #[case::no_operation(
        r#"{"request":{}}"#,
        "cannot parse the admission request: missing field `operation`"
    )]
    #[case::operation_not_a_string(
        r#"{"request":{"operation":1}}"#,
        "cannot parse the admission request: operation: expected a string"
    )]
    fn unreadable_operation(#[case] json: &str, #[case] expected: &str) {
        let error = request(json).operation().unwrap_err();
        assert_eq!(error.to_string(), expected);
    }

    #[rstest]
    #[case::no_user(
        r#"{"request":{}}"#,
        "cannot parse the admission request: missing field `userInfo`"
    )]
    #[case::username_not_a_string(
        r#"{"request":{"userInfo":{"username":[]}}}"#,
        "cannot parse the admission request: userInfo.username: expected a string"
    )]
    fn unreadable_user(#[case] json: &str, #[case] expected: &str) {
        let error = request(json).user_info().err().unwrap();
        assert_eq!(error.to_string(), expected);
    }

    #[test]
    fn groups_of_the_wrong_type_are_an_error() {
        let mut request = request(r#"{"request":{"userInfo":{"groups":"g"}}}"#);
        let error = request.user_info().unwrap().groups().unwrap_err();
        assert!(error
            .to_string()
            .starts_with("cannot parse the admission request: userInfo.groups: "));
    }
}
