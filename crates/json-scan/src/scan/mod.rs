//! Scanning: whitespace, strings and whole values skipped by their quotes and brackets, without
//! building anything.
//!
//! Skipped values are not validated beyond their brackets and strings: the payload comes from
//! policy-server, which serialised it from a parsed document.

mod block;
mod container;

use std::borrow::Cow;

use crate::error::ScanError;

pub(crate) use container::container_start_back;
use container::skip_container;

pub(crate) fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Marks the bytes of `word` equal to `byte`; the lowest mark is exact (higher ones may be
/// false positives, which the caller never looks at).
#[inline(always)]
fn marks(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * byte as u64);
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Index just past the string whose opening quote is at `at`.
#[inline]
pub(crate) fn skip_string(bytes: &[u8], at: usize) -> Result<usize, ScanError> {
    let mut at = at + 1;
    loop {
        // Eight bytes at a time until a quote or a backslash (SWAR): strings are most of the
        // bytes of a Kubernetes object.
        while let Some(chunk) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let found = marks(word, b'"') | marks(word, b'\\');
            if found != 0 {
                at += (found.trailing_zeros() / 8) as usize;
                break;
            }
            at += 8;
        }
        match bytes.get(at) {
            Some(b'"') => return Ok(at + 1),
            // A backslash escapes the next byte (a `\uXXXX` escape has no quote in it).
            Some(b'\\') => at += 2,
            Some(_) => at += 1,
            None => return Err(ScanError::Eof),
        }
    }
}

/// Like [`skip_string`], for a member name: also whether the name is plain (ASCII without
/// escapes), which lets it be borrowed without another pass over its bytes. Every pass costs:
/// policy-server interrupts long evaluations with epoch checks on every loop iteration.
#[inline]
pub(crate) fn skip_name(bytes: &[u8], start: usize) -> Result<(usize, bool), ScanError> {
    let mut at = start + 1;
    let mut seen = 0u64;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = marks(word, b'"') | marks(word, b'\\');
        if found == 0 {
            seen |= word;
            at += 8;
            continue;
        }
        let before = (found.trailing_zeros() / 8) as usize;
        // The bytes before the quote or backslash (at most seven).
        seen |= word & ((1u64 << (8 * before)) - 1);
        at += before;
        if bytes[at] == b'"' {
            return Ok((at + 1, seen & HIGHS == 0));
        }
        return Ok((skip_string(bytes, start)?, false));
    }
    let end = skip_string(bytes, start)?;
    let plain = bytes[at..end - 1]
        .iter()
        .all(|byte| byte.is_ascii() && *byte != b'\\')
        && seen & HIGHS == 0;
    Ok((end, plain))
}

/// Whether two byte strings are equal, sixteen bytes at a time: the C library's `memcmp` that
/// slice equality calls compares one byte at a time on WebAssembly, and comparing an unchanged
/// pod spec with its previous version is most of the work of judging an update.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a_blocks, b_blocks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tails_equal = a_blocks.remainder() == b_blocks.remainder();
    tails_equal
        && a_blocks.zip(b_blocks).all(|(x, y)| {
            u128::from_ne_bytes(x.try_into().expect("sixteen bytes"))
                == u128::from_ne_bytes(y.try_into().expect("sixteen bytes"))
        })
}

/// How many backslashes immediately precede `bytes[at]`.
pub(crate) fn backslashes_before(bytes: &[u8], at: usize) -> usize {
    bytes[..at]
        .iter()
        .rev()
        .take_while(|byte| **byte == b'\\')
        .count()
}

/// Index just past the value that starts at `at` (after whitespace).
pub fn skip_value(bytes: &[u8], at: usize) -> Result<usize, ScanError> {
    let at = skip_whitespace(bytes, at);
    match bytes.get(at) {
        None => Err(ScanError::Eof),
        Some(b'"') => skip_string(bytes, at),
        Some(b'{' | b'[') => skip_container(bytes, at),
        Some(b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
            let mut end = at;
            while let Some(b) = bytes.get(end) {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    break;
                }
                end += 1;
            }
            Ok(end)
        }
        Some(_) => Err(ScanError::Invalid(at)),
    }
}

/// The text of the string `bytes[start..end]` (quotes included), borrowed when it has no escapes.
pub(crate) fn decode_string(
    bytes: &[u8],
    start: usize,
    end: usize,
) -> Result<Cow<'_, str>, ScanError> {
    let inner = &bytes[start + 1..end - 1];
    // Member names are short ASCII words: one plain loop beats memchr's and from_utf8's setup.
    if inner.iter().all(|byte| byte.is_ascii() && *byte != b'\\') {
        // SAFETY: every byte is ASCII, so the bytes are UTF-8.
        return Ok(Cow::Borrowed(unsafe {
            std::str::from_utf8_unchecked(inner)
        }));
    }
    if inner.contains(&b'\\') {
        serde_json::from_slice::<String>(&bytes[start..end])
            .map(Cow::Owned)
            .map_err(|e| ScanError::InvalidString(e.to_string()))
    } else {
        std::str::from_utf8(inner)
            .map(Cow::Borrowed)
            .map_err(|e| ScanError::InvalidString(e.to_string()))
    }
}
