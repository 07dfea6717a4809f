//! Walking an object's members in document order, and splitting an object into its members.

use std::borrow::Cow;

use crate::error::ScanError;
use crate::raw::Raw;
use crate::scan::{decode_string, same_bytes, skip_name, skip_value, skip_whitespace};
use crate::value_at::ValueAt;

/// The members of an object, walked in document order: as an iterator of `(name, value)`, or
/// with [`Members::next_key`] to decide per member whether to skip, split or follow its value.
#[derive(Debug, Clone)]
pub struct Members<'a> {
    bytes: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> Members<'a> {
    /// The members of the object whose opening brace is `bytes[open]`.
    pub fn new(bytes: &'a [u8], open: usize) -> Self {
        Members {
            bytes,
            at: open + 1,
            done: false,
        }
    }

    /// Where the walk is: the byte after the last separator read.
    pub fn position(&self) -> usize {
        self.at
    }

    /// The next member's name and where its value starts; read the value with
    /// [`Members::value`] or [`Members::value_at`] before asking for the next member.
    pub fn next_key(&mut self) -> Result<Option<(Cow<'a, str>, usize)>, ScanError> {
        let bytes = self.bytes;
        let at = skip_whitespace(bytes, self.at);
        match bytes.get(at) {
            Some(b'}') => {
                self.at = at;
                return Ok(None);
            }
            Some(b'"') => {}
            Some(_) => return Err(ScanError::Invalid(at)),
            None => return Err(ScanError::Eof),
        }
        let (key_end, plain) = skip_name(bytes, at)?;
        let name = if plain {
            // SAFETY: the name's bytes are all ASCII, so they are UTF-8.
            Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(&bytes[at + 1..key_end - 1]) })
        } else {
            decode_string(bytes, at, key_end)?
        };
        let colon = skip_whitespace(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            return Err(ScanError::Invalid(colon));
        }
        Ok(Some((name, skip_whitespace(bytes, colon + 1))))
    }

    /// Skips the value that starts at `start` and moves past the separator that follows.
    pub(crate) fn finish_value(&mut self, start: usize) -> Result<Raw<'a>, ScanError> {
        let end = skip_value(self.bytes, start)?;
        self.finish_value_at(start, end)
    }

    /// The value of the member whose name [`Members::next_key`] just returned.
    pub fn value(&mut self, start: usize) -> Result<Raw<'a>, ScanError> {
        self.finish_value(start)
    }

    /// The value of the member whose name [`Members::next_key`] just returned, split into its
    /// members as it is skipped (see [`Split`]); `like`, a split of a similar object, saves
    /// scanning the part of this one that is byte-identical to it. `None` (with the walk moved
    /// past the value) when the value is not an object.
    pub fn split_value(
        &mut self,
        start: usize,
        like: Option<&Split<'a>>,
    ) -> Result<(Raw<'a>, Option<Split<'a>>), ScanError> {
        if self.bytes.get(start) != Some(&b'{') {
            return self.finish_value(start).map(|raw| (raw, None));
        }
        let (split, end) = split_object(self.bytes, start, like)?;
        let raw = self.finish_value_at(start, end)?;
        Ok((raw, Some(split)))
    }

    /// The value of the member whose name [`Members::next_key`] just returned, without
    /// searching for its end; [`Members::value`] moves past it when the walk goes on.
    pub fn value_at(&self, start: usize) -> ValueAt<'a> {
        ValueAt::new(self.bytes, start)
    }

    /// Moves past the value `start..end` and the separator that follows.
    pub(crate) fn finish_value_at(
        &mut self,
        start: usize,
        end: usize,
    ) -> Result<Raw<'a>, ScanError> {
        let bytes = self.bytes;
        let at = skip_whitespace(bytes, end);
        match bytes.get(at) {
            Some(b',') => {
                let next = skip_whitespace(bytes, at + 1);
                if bytes.get(next) != Some(&b'"') {
                    return Err(ScanError::Invalid(next));
                }
                self.at = at + 1;
            }
            Some(b'}') => self.at = at,
            Some(_) => return Err(ScanError::Invalid(at)),
            None => return Err(ScanError::Eof),
        }
        Ok(Raw(&bytes[start..end]))
    }

    fn next_member(&mut self) -> Result<Option<(Cow<'a, str>, Raw<'a>)>, ScanError> {
        match self.next_key()? {
            None => Ok(None),
            Some((name, start)) => Ok(Some((name, self.finish_value(start)?))),
        }
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = Result<(Cow<'a, str>, Raw<'a>), ScanError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_member() {
            Ok(Some(member)) => Some(Ok(member)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// An object split into its members, in document order.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The whole object.
    pub raw: Raw<'a>,
    /// Each member's name, the offset of that name's opening quote in `raw`, and its value.
    pub members: Vec<(Cow<'a, str>, usize, Raw<'a>)>,
}

/// Splits the object at `start`; returns it and the index just past it. With `like`, a split of
/// a similar object, members are taken from `like` as soon as the rest of this object is
/// byte-identical to the rest of `like` from the same member on: an object compared with its
/// previous version is then scanned only up to its last change.
fn split_object<'a>(
    bytes: &'a [u8],
    start: usize,
    like: Option<&Split<'a>>,
) -> Result<(Split<'a>, usize), ScanError> {
    if bytes.get(start) != Some(&b'{') {
        return Err(ScanError::NotAnObject);
    }
    let mut inner = Members::new(bytes, start);
    let mut split = Vec::new();
    loop {
        let name_at = skip_whitespace(bytes, inner.at);
        if let Some(like) = like {
            if let Some((_, like_at, _)) = like.members.get(split.len()) {
                let rest = &like.raw.0[*like_at..];
                if bytes
                    .get(name_at..name_at + rest.len())
                    .is_some_and(|candidate| same_bytes(candidate, rest))
                {
                    let shift = |raw: &Raw<'_>| {
                        let offset = raw.0.as_ptr() as usize - like.raw.0.as_ptr() as usize;
                        let at = name_at + offset - like_at;
                        Raw(&bytes[at..at + raw.0.len()])
                    };
                    for (name, at, value) in &like.members[split.len()..] {
                        split.push((name.clone(), name_at + at - like_at - start, shift(value)));
                    }
                    let end = name_at + rest.len();
                    return Ok((
                        Split {
                            raw: Raw(&bytes[start..end]),
                            members: split,
                        },
                        end,
                    ));
                }
            }
        }
        let Some((name, value_start)) = inner.next_key()? else {
            break;
        };
        let value = inner.finish_value(value_start)?;
        split.push((name, name_at - start, value));
    }
    // `inner.at` is at the closing brace.
    let end = inner.at + 1;
    Ok((
        Split {
            raw: Raw(&bytes[start..end]),
            members: split,
        },
        end,
    ))
}

impl<'a> Raw<'a> {
    /// The members of this object, in document order, with where each name starts.
    pub fn split(&self) -> Result<Split<'a>, ScanError> {
        split_object(self.0, 0, None).map(|(split, _)| split)
    }

    /// Like [`Raw::split`], taking members from `like` (a split of a similar object) where the
    /// rest of this object is byte-identical to the rest of `like`.
    pub fn split_like(&self, like: &Split<'a>) -> Result<Split<'a>, ScanError> {
        split_object(self.0, 0, Some(like)).map(|(split, _)| split)
    }
}
