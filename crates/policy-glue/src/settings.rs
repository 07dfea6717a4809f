//! Settings, as every policy of this repository reads them: validated strictly when
//! policy-server loads the policy ([`validate_settings`]), and parsed from each request's
//! payload only as far as, and when, the verdict needs them ([`LazySettings`]).
//!
//! Nothing is cached across requests: policy-server evaluates every request in a fresh instance,
//! where such a cache never hits.

use std::borrow::Cow;
use std::rc::Rc;

use json_scan::Raw;
use kubewarden_policy_sdk::settings::{SettingsValidationResponse, Validatable};
use serde::de::DeserializeOwned;
use wapc_guest::CallResult;

use crate::request::RequestError;

/// Like the SDK's `validate_settings`, but a settings document that does not deserialise (an
/// unknown key, a wrong type) is reported as invalid settings instead of a guest error, so
/// kwctl and policy-server say what is wrong with it.
pub fn validate_settings<S: DeserializeOwned + Validatable>(payload: &[u8]) -> CallResult {
    let message = match serde_json::from_slice::<S>(payload) {
        Ok(settings) => settings.validate().err(),
        Err(e) => Some(format!("invalid settings: {e}")),
    };
    Ok(serde_json::to_vec(&SettingsValidationResponse {
        valid: message.is_none(),
        message,
    })?)
}

/// A request's settings, parsed on first use: most requests are decided before a policy needs
/// them, or need one member only ([`LazySettings::member`]).
///
/// `S` is what the settings deserialise to: the policy's `Settings`, or what it derives from
/// them (`#[serde(from = "Settings")]`), built once per request. Absent settings are
/// `S::default()`, as policy-server sends none when a policy is deployed without settings.
pub struct LazySettings<'a, S> {
    raw: Option<Raw<'a>>,
    parsed: Option<Rc<S>>,
}

impl<'a, S: DeserializeOwned + Default> LazySettings<'a, S> {
    /// The settings of a payload (`None`: absent or `null`), not parsed yet.
    pub fn new(raw: Option<Raw<'a>>) -> Self {
        LazySettings { raw, parsed: None }
    }

    /// The whole settings, parsed on first use.
    pub fn get(&mut self) -> Result<Rc<S>, RequestError> {
        if let Some(parsed) = &self.parsed {
            return Ok(parsed.clone());
        }
        let parsed = Rc::new(match self.raw {
            Some(raw) => raw
                .parse()
                .map_err(|e| RequestError::Settings(e.to_string()))?,
            None => S::default(),
        });
        self.parsed = Some(parsed.clone());
        Ok(parsed)
    }

    /// One member of the settings, parsed alone: `None` when it is absent or `null` (the
    /// caller's default applies) or the settings are. For what every request must know (who is
    /// restricted, which Pods are reviewed) before the rest of the settings matters.
    pub fn member<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, RequestError> {
        let [member] = self.members([name])?;
        parse_member(member, name)
    }

    /// Several members of the settings, found in one pass and not parsed (see
    /// [`parse_member`]); `None` when absent or `null`, or the settings are.
    pub fn members<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<[Option<Raw<'a>>; N], RequestError> {
        match self.raw {
            Some(raw) => raw
                .pick(names)
                .map_err(|e| RequestError::Settings(e.to_string())),
            None => Ok([None; N]),
        }
    }

    /// A member that is a list of strings, read without building owned strings (a string with
    /// escapes excepted): for the usernames a request is checked against. `None` when absent
    /// or `null`; anything but a list of strings is an error.
    pub fn member_strings(&self, name: &str) -> Result<Option<Vec<Cow<'a, str>>>, RequestError> {
        let [member] = self.members([name])?;
        let Some(list) = member else {
            return Ok(None);
        };
        let not_strings = || RequestError::Settings(format!("{name}: expected a list of strings"));
        list.elements()
            .map_err(|_| not_strings())?
            .into_iter()
            .map(|element| element.as_str().ok_or_else(not_strings))
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

/// A settings member found by [`LazySettings::members`], parsed; `name` names it in the error.
pub fn parse_member<T: DeserializeOwned>(
    member: Option<Raw<'_>>,
    name: &str,
) -> Result<Option<T>, RequestError> {
    member
        .map(|raw| raw.parse())
        .transpose()
        .map_err(|e| RequestError::Settings(format!("{name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Default, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        limit: u8,
    }

    impl Validatable for Settings {
        fn validate(&self) -> Result<(), String> {
            if self.limit == 0 {
                return Err("limit must be positive".to_string());
            }
            Ok(())
        }
    }

    fn settings_answer(json: &str) -> SettingsValidationResponse {
        serde_json::from_slice(&validate_settings::<Settings>(json.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn settings_are_answered_never_errors() {
        let valid = settings_answer(r#"{"limit": 1}"#);
        assert!(valid.valid && valid.message.is_none());
        let invalid = settings_answer(r#"{"limit": 0}"#);
        assert_eq!(invalid.message.as_deref(), Some("limit must be positive"));
        let unknown = settings_answer(r#"{"limit": 1, "limits": 2}"#);
        assert!(!unknown.valid);
        assert!(unknown
            .message
            .unwrap()
            .starts_with("invalid settings: unknown field `limits`"));
    }

    fn lazy(json: &str) -> LazySettings<'_, Settings> {
        LazySettings::new(Some(Raw::document(json.as_bytes()).unwrap()).filter(|r| !r.is_null()))
    }

    #[test]
    fn settings_are_parsed_when_asked() {
        assert_eq!(
            *lazy(r#"{"limit": 3}"#).get().unwrap(),
            Settings { limit: 3 }
        );
        assert_eq!(
            *LazySettings::<Settings>::new(None).get().unwrap(),
            Settings::default()
        );
        assert_eq!(lazy(r#"{"limit": 3}"#).member::<u8>("limit"), Ok(Some(3)));
        assert_eq!(lazy("{}").member::<u8>("limit"), Ok(None));
        assert_eq!(
            LazySettings::<Settings>::new(None).member::<u8>("limit"),
            Ok(None)
        );
    }

    #[test]
    fn unreadable_settings_are_a_request_error() {
        let error = lazy(r#"{"limit": 3, "limits": 4}"#).get().unwrap_err();
        assert!(error.to_string().starts_with(
            "cannot parse the admission request: invalid settings: unknown field `limits`"
        ));
        let error = lazy(r#"{"names": ["a", 1]}"#)
            .member_strings("names")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot parse the admission request: invalid settings: names: expected a list of strings"
        );
        let error = lazy(r#"{"limit": "3"}"#).member::<u8>("limit").unwrap_err();
        assert!(error.to_string().starts_with(
            "cannot parse the admission request: invalid settings: limit: invalid type"
        ));
    }
}
