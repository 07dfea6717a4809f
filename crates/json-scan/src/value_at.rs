//! A value known by where it starts: followed into, never searched for its end unless asked.

use crate::error::ScanError;
use crate::members::Members;
use crate::raw::{pick_members, Raw};
use crate::scan::skip_value;

/// A value known by where it starts in a document; its end is searched for only when asked, so
/// a policy can read the first members of a large object and stop.
#[derive(Debug, Clone, Copy)]
pub struct ValueAt<'a> {
    bytes: &'a [u8],
    start: usize,
}

impl<'a> ValueAt<'a> {
    /// The value that starts at `bytes[start]`.
    pub(crate) fn new(bytes: &'a [u8], start: usize) -> Self {
        ValueAt { bytes, start }
    }

    /// The members of the object that starts here.
    pub fn members(&self) -> Result<Members<'a>, ScanError> {
        if !self.is_object() {
            return Err(ScanError::NotAnObject);
        }
        Ok(Members::new(self.bytes, self.start))
    }

    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        self.bytes[self.start..].starts_with(b"null")
    }

    /// The whole value, found by skipping to its end.
    pub fn raw(&self) -> Result<Raw<'a>, ScanError> {
        let end = skip_value(self.bytes, self.start)?;
        Ok(Raw(&self.bytes[self.start..end]))
    }

    /// Whether the value is an object.
    pub fn is_object(&self) -> bool {
        self.bytes.get(self.start) == Some(&b'{')
    }

    /// Follows `path` through the first member of each name, reading each object only up to
    /// that member; `None` when a member on the path is absent or `null`.
    ///
    /// Members after the one followed are not read, so a repeated member is not noticed: the
    /// objects an admission payload carries were serialised by the API server from typed
    /// objects, and policy-server re-serialised them, so neither can repeat a member.
    pub fn follow(&self, path: &[&str]) -> Result<Option<ValueAt<'a>>, ScanError> {
        let bytes = self.bytes;
        let mut start = self.start;
        for key in path {
            if bytes.get(start) != Some(&b'{') {
                return Err(ScanError::NotAnObject);
            }
            let mut members = Members::new(bytes, start);
            let mut next = None;
            while let Some((name, value_start)) = members.next_key()? {
                if name == *key {
                    next = Some(value_start);
                    break;
                }
                members.finish_value(value_start)?;
            }
            match next {
                Some(value_start) if !bytes[value_start..].starts_with(b"null") => {
                    start = value_start
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(ValueAt { bytes, start }))
    }

    /// Follows `path` like [`ValueAt::follow`] and picks `names` from the object found there (see
    /// [`Raw::pick`]): intermediate objects are read only up to the member followed, so a deep pod
    /// spec is scanned once, not once per level. `None` when a member on the path is absent or
    /// `null`.
    pub fn pick_path<const N: usize>(
        &self,
        path: &[&str],
        names: [&str; N],
    ) -> Result<Option<[Option<Raw<'a>>; N]>, ScanError> {
        let Some(found) = self.follow(path)? else {
            return Ok(None);
        };
        if !found.is_object() {
            return Err(ScanError::NotAnObject);
        }
        pick_members(Members::new(self.bytes, found.start), names).map(Some)
    }
}
