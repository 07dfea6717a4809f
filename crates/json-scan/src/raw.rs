//! [`Raw`]: a value as the bytes that spell it, and picking members from it.

use std::borrow::Cow;

use crate::error::{ParseError, ScanError};
use crate::members::Members;
use crate::scan::{decode_string, same_bytes, skip_value, skip_whitespace};
use crate::value_at::ValueAt;

/// The values of picked members, in the order they were asked for.
pub type Picked<'a, const N: usize> = [Option<Raw<'a>>; N];

/// A JSON value as the bytes of the document that spell it (no surrounding whitespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a>(pub &'a [u8]);

impl<'a> Raw<'a> {
    /// The whole document, which must be one object or array. This costs nothing: members
    /// are checked as they are navigated, and skipped values by their brackets and strings.
    pub fn document(bytes: &'a [u8]) -> Result<Self, ScanError> {
        let start = skip_whitespace(bytes, 0);
        let mut end = bytes.len();
        while end > start && matches!(bytes[end - 1], b' ' | b'\n' | b'\r' | b'\t') {
            end -= 1;
        }
        match (
            bytes.get(start),
            end.checked_sub(1).and_then(|last| bytes.get(last)),
        ) {
            (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']')) if end - start >= 2 => {
                Ok(Raw(&bytes[start..end]))
            }
            (None, _) => Err(ScanError::Eof),
            (Some(b'{' | b'['), _) => Err(ScanError::Eof),
            _ => Err(ScanError::Invalid(start)),
        }
    }

    /// The bytes of the value.
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        self.0 == b"null"
    }

    /// Whether two values are spelled with the same bytes (see [`same_bytes`]).
    pub fn same_bytes(&self, other: &Raw<'_>) -> bool {
        same_bytes(self.0, other.0)
    }

    /// Whether the value is an object.
    pub fn is_object(&self) -> bool {
        self.0.first() == Some(&b'{')
    }

    /// Whether the value is an array.
    pub fn is_array(&self) -> bool {
        self.0.first() == Some(&b'[')
    }

    /// Whether the value means "nothing": `null`, `{}` or `[]`.
    pub fn is_empty(&self) -> bool {
        match self.0.first() {
            Some(b'n') => true,
            Some(b'{' | b'[') => skip_whitespace(self.0, 1) == self.0.len() - 1,
            _ => false,
        }
    }

    /// Parses the value with serde_json, which validates it. The error says what is wrong
    /// without serde_json's line and column, which would point into this value, not the document.
    pub fn parse<T: serde::Deserialize<'a>>(&self) -> Result<T, ParseError> {
        serde_json::from_slice(self.0).map_err(|e| {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            };
            ParseError(message)
        })
    }

    /// The value as a string, borrowed when it has no escapes; `None` when it is not a string.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        let bytes = self.0;
        if bytes.len() < 2 || bytes[0] != b'"' {
            return None;
        }
        decode_string(bytes, 0, bytes.len()).ok()
    }

    /// The members of an object, in document order.
    pub fn members(&self) -> Result<Members<'a>, ScanError> {
        if !self.is_object() {
            return Err(ScanError::NotAnObject);
        }
        Ok(Members::new(self.0, 0))
    }

    /// The elements of an array, in document order.
    pub fn elements(&self) -> Result<Vec<Raw<'a>>, ScanError> {
        if !self.is_array() {
            return Err(ScanError::Invalid(0));
        }
        let bytes = self.0;
        let mut elements = Vec::new();
        let mut at = skip_whitespace(bytes, 1);
        if bytes.get(at) == Some(&b']') {
            return Ok(elements);
        }
        loop {
            let start = skip_whitespace(bytes, at);
            let end = skip_value(bytes, start)?;
            elements.push(Raw(&bytes[start..end]));
            at = skip_whitespace(bytes, end);
            match bytes.get(at) {
                Some(b',') => at += 1,
                Some(b']') => return Ok(elements),
                Some(_) => return Err(ScanError::Invalid(at)),
                None => return Err(ScanError::Eof),
            }
        }
    }

    /// The value of the first member named `key`, if the value is an object that has one.
    pub fn get(&self, key: &str) -> Result<Option<Raw<'a>>, ScanError> {
        for member in self.members()? {
            let (name, value) = member?;
            if name == key {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// The values of the named members, in one pass over the object. A repeated member is an
    /// error: it could show one value to a policy and another to the API server. Members that
    /// are absent or `null` are `None`.
    pub fn pick<const N: usize>(&self, names: [&str; N]) -> Result<Picked<'a, N>, ScanError> {
        pick_members(self.members()?, names)
    }
}

impl<'a> From<Raw<'a>> for ValueAt<'a> {
    fn from(raw: Raw<'a>) -> Self {
        ValueAt::new(raw.0, 0)
    }
}

/// The named members of the object `members` walks; see [`Raw::pick`].
pub(crate) fn pick_members<'a, const N: usize>(
    mut members: Members<'a>,
    names: [&str; N],
) -> Result<Picked<'a, N>, ScanError> {
    let mut picked = PickedMembers::new(names);
    while let Some((name, start)) = members.next_key()? {
        let value = members.value(start)?;
        picked.record(&name, value)?;
    }
    Ok(picked.found)
}

/// Named members collected while an object is walked, each at most once.
#[derive(Debug, Clone)]
pub struct PickedMembers<'a, 'n, const N: usize> {
    names: [&'n str; N],
    /// The values found, in the order of `names`; `None` when absent or `null`.
    pub found: Picked<'a, N>,
    seen: [bool; N],
}

impl<'a, 'n, const N: usize> PickedMembers<'a, 'n, N> {
    /// Nothing picked yet.
    pub fn new(names: [&'n str; N]) -> Self {
        PickedMembers {
            names,
            found: [None; N],
            seen: [false; N],
        }
    }

    /// Keeps `value` if `name` is one of the names; a name seen twice is an error.
    pub fn record(&mut self, name: &str, value: Raw<'a>) -> Result<(), ScanError> {
        if let Some(index) = self.index(name) {
            if std::mem::replace(&mut self.seen[index], true) {
                return Err(ScanError::DuplicateKey(name.to_string()));
            }
            self.found[index] = Some(value).filter(|raw| !raw.is_null());
        }
        Ok(())
    }

    /// Where `name` is among the names.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    /// Whether `name` was seen (even as `null`).
    pub fn seen(&self, index: usize) -> bool {
        self.seen[index]
    }
}
