//! Reading an object from its end: a member serialised after large ones costs only its own
//! bytes.
//!
//! Reading backwards is sound for a valid document: outside strings, every quote seen from the
//! end closes a string, and a quote is escaped exactly when an odd number of backslashes
//! precedes it. The payloads read this way come from policy-server, which serialised them from a
//! parsed document.

use std::borrow::Cow;

use crate::error::ScanError;
use crate::raw::Raw;
use crate::scan::{backslashes_before, container_start_back, decode_string};

/// The member of an object that ends just before `end`, the index of the `,` or `}` that
/// follows it, read backwards: its name, its value and the index of the `,` or `{` before it.
/// `None` when the object has no member there.
pub fn member_before(
    bytes: &[u8],
    end: usize,
) -> Result<Option<(Cow<'_, str>, Raw<'_>, usize)>, ScanError> {
    let value_end = skip_whitespace_back(bytes, end);
    match bytes.get(value_end.wrapping_sub(1)) {
        None => return Err(ScanError::Eof),
        Some(b'{') => return Ok(None),
        _ => {}
    }
    let value_start = value_start_back(bytes, value_end)?;
    let colon = skip_whitespace_back(bytes, value_start);
    if colon == 0 || bytes[colon - 1] != b':' {
        return Err(ScanError::Invalid(colon.saturating_sub(1)));
    }
    let key_end = skip_whitespace_back(bytes, colon - 1);
    if key_end == 0 || bytes[key_end - 1] != b'"' {
        return Err(ScanError::Invalid(key_end.saturating_sub(1)));
    }
    let key_start = string_start_back(bytes, key_end)?;
    let before = skip_whitespace_back(bytes, key_start);
    if before == 0 || !matches!(bytes[before - 1], b',' | b'{') {
        return Err(ScanError::Invalid(before.saturating_sub(1)));
    }
    Ok(Some((
        decode_string(bytes, key_start, key_end)?,
        Raw(&bytes[value_start..value_end]),
        before - 1,
    )))
}

/// Where the whitespace that ends just before `end` starts.
pub fn skip_whitespace_back(bytes: &[u8], mut end: usize) -> usize {
    while end > 0 && matches!(bytes[end - 1], b' ' | b'\n' | b'\r' | b'\t') {
        end -= 1;
    }
    end
}

/// Where the string that ends just before `end` (its closing quote is `bytes[end - 1]`) starts.
fn string_start_back(bytes: &[u8], end: usize) -> Result<usize, ScanError> {
    let mut search = end - 1;
    // Strings are short: a plain loop beats memrchr's setup.
    while let Some(quote) = bytes[..search].iter().rposition(|byte| *byte == b'"') {
        let backslashes = backslashes_before(bytes, quote);
        if backslashes.is_multiple_of(2) {
            return Ok(quote);
        }
        search = quote - backslashes;
    }
    Err(ScanError::Invalid(0))
}

/// Where the value that ends just before `end` starts.
fn value_start_back(bytes: &[u8], end: usize) -> Result<usize, ScanError> {
    match bytes.get(end.wrapping_sub(1)) {
        None => Err(ScanError::Eof),
        Some(b'"') => string_start_back(bytes, end),
        Some(b'}' | b']') => container_start_back(bytes, end),
        Some(_) => {
            let mut start = end;
            while start > 0
                && !matches!(
                    bytes[start - 1],
                    b',' | b':' | b'[' | b'{' | b' ' | b'\n' | b'\r' | b'\t'
                )
            {
                start -= 1;
            }
            Ok(start)
        }
    }
}

impl<'a> Raw<'a> {
    /// The last member of an object, read backwards from its closing brace: a member
    /// serialised after large ones costs only its own bytes. See the module documentation for
    /// why reading backwards is sound.
    pub fn last_member(&self) -> Result<Option<(Cow<'a, str>, Raw<'a>)>, ScanError> {
        if !self.is_object() {
            return Err(ScanError::NotAnObject);
        }
        Ok(member_before(self.0, self.0.len() - 1)?.map(|(name, value, _)| (name, value)))
    }
}
