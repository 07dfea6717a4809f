//! The payload read the plain way, for the policies' reference implementations (feature
//! `reference`): serde_json values, every member parsed, nothing lazy. It shares nothing with
//! [`crate::payload`] and [`crate::request`], so a differential test that holds a policy to its
//! reference also holds the fast reader to this one.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The payload is not an admission request a reference can read (each reference states it as
/// its own refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// A JSON object.
pub type Object = Map<String, Value>;

/// A `validate` payload: the request as an object, its kind, and the settings.
pub struct PlainPayload<S> {
    /// `request`.
    pub request: Object,
    /// `settings`, or their defaults when absent or `null`.
    pub settings: S,
    /// `request.kind.group` (empty when absent).
    pub group: String,
    /// `request.kind.kind` (empty when absent).
    pub kind: String,
}

impl<S: DeserializeOwned + Default> PlainPayload<S> {
    /// Parses the whole payload.
    pub fn parse(payload: &[u8]) -> Result<Self, Unreadable> {
        let payload: Value = serde_json::from_slice(payload).map_err(|_| Unreadable)?;
        let Some(Value::Object(request)) = payload.get("request") else {
            return Err(Unreadable);
        };
        let settings = match payload.get("settings") {
            None | Some(Value::Null) => S::default(),
            Some(settings) => serde_json::from_value(settings.clone()).map_err(|_| Unreadable)?,
        };
        let Some(Value::Object(kind)) = request.get("kind") else {
            return Err(Unreadable);
        };
        let group = optional_string(kind.get("group"))?
            .unwrap_or_default()
            .to_string();
        let kind = optional_string(kind.get("kind"))?
            .unwrap_or_default()
            .to_string();
        Ok(PlainPayload {
            request: request.clone(),
            settings,
            group,
            kind,
        })
    }

    /// `request.operation`, which every request has.
    pub fn operation(&self) -> Result<&str, Unreadable> {
        optional_string(self.request.get("operation"))?.ok_or(Unreadable)
    }

    /// `request.<name>`, a string when present (`null` is absent).
    pub fn string(&self, name: &str) -> Result<Option<&str>, Unreadable> {
        optional_string(self.request.get(name))
    }
}

/// A member that must be a string when present (`null` is absent).
pub fn optional_string(value: Option<&Value>) -> Result<Option<&str>, Unreadable> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, Default, Debug, PartialEq)]
    struct Settings {
        #[serde(default)]
        limit: u8,
    }

    fn parse(payload: Value) -> Result<PlainPayload<Settings>, Unreadable> {
        PlainPayload::parse(&serde_json::to_vec(&payload).unwrap())
    }

    #[test]
    fn reads_kind_operation_and_settings() {
        let payload = parse(json!({"request": {"kind": {"group": "apps", "kind": "Deployment"}, "operation": "CREATE", "name": "web"}, "settings": {"limit": 2}})).unwrap();
        assert_eq!((&*payload.group, &*payload.kind), ("apps", "Deployment"));
        assert_eq!(payload.operation(), Ok("CREATE"));
        assert_eq!(payload.string("name"), Ok(Some("web")));
        assert_eq!(payload.settings, Settings { limit: 2 });
        let defaults = parse(json!({"request": {"kind": {}}})).unwrap();
        assert_eq!(defaults.settings, Settings::default());
        assert_eq!(defaults.operation(), Err(Unreadable));
    }

    #[test]
    fn unreadable_payloads() {
        for payload in [
            json!({}),
            json!({"request": []}),
            json!({"request": {}}),
            json!({"request": {"kind": {"kind": 1}}}),
            json!({"request": {"kind": {}}, "settings": {"limit": "x"}}),
        ] {
            assert_eq!(parse(payload.clone()).err(), Some(Unreadable), "{payload}");
        }
    }
}
