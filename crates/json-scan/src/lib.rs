//! Zero-copy navigation of JSON documents.
//!
//! Admission payloads are mostly bytes a policy does not need: container specs, statuses, a
//! Node's image list. Building them into trees (or even letting serde_json validate them on the
//! way past) dominates evaluation time. This crate walks the structure of the objects a policy
//! navigates, and skips every other value by matching brackets and string quotes only. Values a
//! policy reads are handed to serde_json as byte slices, which validates them fully.
//!
//! Skipped values are not validated beyond their brackets and strings: the payload comes from
//! policy-server, which serialised it from a parsed document.
//!
//! Speed comes from reading less and reading it faster: [`ValidatePayload`] reads a request from
//! both of its ends so that `object` and `oldObject` are read only by a policy that needs them;
//! objects and arrays are skipped sixteen bytes at a time (WebAssembly SIMD when built for wasm32
//! with `simd128`, a scalar version elsewhere), with strings found by a prefix XOR of the quote
//! masks instead of a branch per string; unchanged bytes are compared sixteen at a time.

use std::borrow::Cow;

use thiserror::Error;

/// Deepest nesting accepted, like serde_json's recursion limit: deeper documents are an error,
/// so code that recurses over them cannot exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// Why a document cannot be navigated.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    #[error("unexpected end of JSON input")]
    Eof,
    #[error("invalid JSON at byte {0}")]
    Invalid(usize),
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("invalid JSON string: {0}")]
    InvalidString(String),
    #[error("expected a JSON object")]
    NotAnObject,
    #[error("duplicate field `{0}`")]
    DuplicateKey(String),
    #[error("missing field `{0}`")]
    MissingMember(&'static str),
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
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
fn skip_string(bytes: &[u8], at: usize) -> Result<usize, ScanError> {
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
fn skip_name(bytes: &[u8], start: usize) -> Result<(usize, bool), ScanError> {
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

/// Which bytes of a 16-byte block are quotes, backslashes, opening brackets and closing
/// brackets (bit `i` for byte `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Classes {
    quotes: u16,
    backslashes: u16,
    opens: u16,
    closes: u16,
}

/// Sixteen bytes compared at once with WebAssembly SIMD, which policy-server's wasmtime runs.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn classify(block: &[u8; 16]) -> Classes {
    use core::arch::wasm32::*;
    // SAFETY: `block` is sixteen readable bytes, and `v128` loads need no alignment.
    let bytes = unsafe { (block.as_ptr() as *const v128).read_unaligned() };
    // `{` and `[` (and `}` and `]`) differ only in the 0x20 bit.
    let folded = v128_or(bytes, u8x16_splat(0x20));
    Classes {
        quotes: u8x16_bitmask(u8x16_eq(bytes, u8x16_splat(b'"'))),
        backslashes: u8x16_bitmask(u8x16_eq(bytes, u8x16_splat(b'\\'))),
        opens: u8x16_bitmask(u8x16_eq(folded, u8x16_splat(b'{'))),
        closes: u8x16_bitmask(u8x16_eq(folded, u8x16_splat(b'}'))),
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn classify(block: &[u8; 16]) -> Classes {
    let mut classes = Classes {
        quotes: 0,
        backslashes: 0,
        opens: 0,
        closes: 0,
    };
    for (i, byte) in block.iter().enumerate() {
        classes.quotes |= u16::from(*byte == b'"') << i;
        classes.backslashes |= u16::from(*byte == b'\\') << i;
        classes.opens |= u16::from(matches!(byte, b'{' | b'[')) << i;
        classes.closes |= u16::from(matches!(byte, b'}' | b']')) << i;
    }
    classes
}

/// Where a bracket-matching scan is: how deep, and whether inside a string.
struct ScanState {
    depth: usize,
    in_string: bool,
}

impl ScanState {
    fn open(&mut self) -> Result<(), ScanError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ScanError::TooDeep);
        }
        Ok(())
    }

    /// Closes a bracket; `true` when that closes the value scanned.
    fn close(&mut self) -> bool {
        self.depth -= 1;
        self.depth == 0
    }

    /// Reads `bytes[*at..end]` one byte at a time (going on past `end` to finish an escape);
    /// `Some(index just past the value)` when the value ends there.
    fn forward_bytes(
        &mut self,
        bytes: &[u8],
        at: &mut usize,
        end: usize,
    ) -> Result<Option<usize>, ScanError> {
        while *at < end {
            let byte = bytes[*at];
            if self.in_string {
                match byte {
                    b'\\' => *at += 1,
                    b'"' => self.in_string = false,
                    _ => {}
                }
            } else {
                match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.open()?,
                    b'}' | b']' if self.close() => return Ok(Some(*at + 1)),
                    _ => {}
                }
            }
            *at += 1;
        }
        Ok(None)
    }

    /// Reads `bytes[start..*at]` backwards one byte at a time; `Some(index of the opening
    /// bracket)` when the value starts there.
    fn backward_bytes(
        &mut self,
        bytes: &[u8],
        at: &mut usize,
        start: usize,
    ) -> Result<Option<usize>, ScanError> {
        while *at > start {
            *at -= 1;
            let byte = bytes[*at];
            if self.in_string {
                if byte == b'"' && backslashes_before(bytes, *at).is_multiple_of(2) {
                    self.in_string = false;
                }
            } else {
                match byte {
                    b'"' => self.in_string = true,
                    b'}' | b']' => self.open()?,
                    b'{' | b'[' if self.close() => return Ok(Some(*at)),
                    _ => {}
                }
            }
        }
        Ok(None)
    }
}

/// How many backslashes immediately precede `bytes[at]`.
fn backslashes_before(bytes: &[u8], at: usize) -> usize {
    bytes[..at]
        .iter()
        .rev()
        .take_while(|byte| **byte == b'\\')
        .count()
}

/// The bytes of a block inside strings, from its quotes: a prefix XOR (going forwards) or a
/// suffix XOR (going backwards) marks the bytes after an odd number of quotes. `in_string` is
/// the state where the scan enters the block, and becomes the state where it leaves it.
fn inside_strings(quotes: u16, forwards: bool, in_string: &mut bool) -> u16 {
    let mut inside = quotes;
    if forwards {
        inside ^= inside << 1;
        inside ^= inside << 2;
        inside ^= inside << 4;
        inside ^= inside << 8;
    } else {
        inside ^= inside >> 1;
        inside ^= inside >> 2;
        inside ^= inside >> 4;
        inside ^= inside >> 8;
    }
    if *in_string {
        inside = !inside;
    }
    *in_string = inside & if forwards { 0x8000 } else { 0x0001 } != 0;
    inside
}

/// Index just past the object or array whose opening bracket is at `at`.
///
/// Sixteen bytes at a time, without a branch per string: the quotes of a block give, by a
/// prefix XOR, which of its bytes are inside strings, and only brackets outside strings are
/// followed, one by one. A block with a backslash is read byte by byte (escapes are rare in
/// Kubernetes objects).
fn skip_container(bytes: &[u8], at: usize) -> Result<usize, ScanError> {
    let mut state = ScanState {
        depth: 0,
        in_string: false,
    };
    let mut at = at;
    while let Some(block) = bytes.get(at..at + 16) {
        let classes = classify(block.try_into().expect("sixteen bytes"));
        if classes.backslashes != 0 {
            let block_end = at + 16;
            if let Some(end) = state.forward_bytes(bytes, &mut at, block_end)? {
                return Ok(end);
            }
            continue;
        }
        let inside = inside_strings(classes.quotes, true, &mut state.in_string);
        let closes = classes.closes & !inside;
        let mut brackets = (classes.opens & !inside) | closes;
        while brackets != 0 {
            let bit = brackets & brackets.wrapping_neg();
            if closes & bit == 0 {
                state.open()?;
            } else if state.close() {
                return Ok(at + bit.trailing_zeros() as usize + 1);
            }
            brackets ^= bit;
        }
        at += 16;
    }
    match state.forward_bytes(bytes, &mut at, bytes.len())? {
        Some(end) => Ok(end),
        None => Err(ScanError::Eof),
    }
}

/// Index of the opening bracket of the object or array whose closing bracket is
/// `bytes[end - 1]`: [`skip_container`] backwards.
fn container_start_back(bytes: &[u8], end: usize) -> Result<usize, ScanError> {
    let mut state = ScanState {
        depth: 0,
        in_string: false,
    };
    let mut at = end;
    while at >= 16 {
        let start = at - 16;
        let classes = classify(bytes[start..at].try_into().expect("sixteen bytes"));
        // A quote first in the block may be escaped by a backslash before it.
        let escaped_edge = classes.quotes & 1 != 0 && start > 0 && bytes[start - 1] == b'\\';
        if classes.backslashes != 0 || escaped_edge {
            if let Some(open) = state.backward_bytes(bytes, &mut at, start)? {
                return Ok(open);
            }
            continue;
        }
        let inside = inside_strings(classes.quotes, false, &mut state.in_string);
        let opens = classes.opens & !inside;
        let mut brackets = opens | (classes.closes & !inside);
        while brackets != 0 {
            let index = 15 - brackets.leading_zeros();
            let bit = 1u16 << index;
            if opens & bit == 0 {
                state.open()?;
            } else if state.close() {
                return Ok(start + index as usize);
            }
            brackets ^= bit;
        }
        at = start;
    }
    match state.backward_bytes(bytes, &mut at, 0)? {
        Some(open) => Ok(open),
        None => Err(ScanError::Invalid(0)),
    }
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

/// The values of picked members, in the order they were asked for.
pub type Picked<'a, const N: usize> = [Option<Raw<'a>>; N];

/// A value that does not have the expected shape.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct ParseError(pub String);

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

    /// The value as a [`ValueAt`], to navigate it without searching for ends.
    pub fn value_at(&self) -> ValueAt<'a> {
        ValueAt {
            bytes: self.0,
            start: 0,
        }
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
        key(bytes, 0, bytes.len()).ok()
    }

    /// The members of an object, in document order.
    pub fn members(&self) -> Result<Members<'a>, ScanError> {
        if !self.is_object() {
            return Err(ScanError::NotAnObject);
        }
        Ok(Members {
            bytes: self.0,
            at: 1,
            done: false,
        })
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
    pub fn pick<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<[Option<Raw<'a>>; N], ScanError> {
        pick_members(self.members()?, names)
    }

    /// Like [`Raw::pick`] on this object and, in the same pass, on its member `inner` (which
    /// must be an object): the inner object is walked once instead of being skipped and then
    /// walked again.
    pub fn pick_with_inner<const N: usize, const M: usize>(
        &self,
        names: [&str; N],
        inner: &str,
        inner_names: [&str; M],
    ) -> Result<(Picked<'a, N>, Option<Picked<'a, M>>), ScanError> {
        let mut found = [None; N];
        let mut inner_found = None;
        let mut members = self.members()?;
        while let Some((name, value_start)) = members.next_key()? {
            let value = if name == inner && members.bytes.get(value_start) == Some(&b'{') {
                if inner_found.is_some() {
                    return Err(ScanError::DuplicateKey(name.into_owned()));
                }
                let mut inner_members = Members {
                    bytes: members.bytes,
                    at: value_start + 1,
                    done: false,
                };
                let mut picked = [None; M];
                while let Some((inner_name, inner_start)) = inner_members.next_key()? {
                    let inner_value = inner_members.finish_value(inner_start)?;
                    if let Some(index) = inner_names.iter().position(|n| *n == inner_name) {
                        if picked[index].is_some() {
                            return Err(ScanError::DuplicateKey(inner_name.into_owned()));
                        }
                        picked[index] = Some(inner_value).filter(|raw| !raw.is_null());
                    }
                }
                inner_found = Some(picked);
                // `inner_members.at` is at the inner closing brace.
                members.finish_value_at(value_start, inner_members.at + 1)?
            } else {
                members.finish_value(value_start)?
            };
            if let Some(index) = names.iter().position(|n| *n == name) {
                if found[index].is_some() {
                    return Err(ScanError::DuplicateKey(name.into_owned()));
                }
                found[index] = Some(value);
            }
        }
        Ok((
            found.map(|value| value.filter(|raw: &Raw<'a>| !raw.is_null())),
            inner_found,
        ))
    }

    /// Follows `path` like [`Raw::pointer`] and picks `names` from the object found there, in a
    /// single pass: intermediate objects are read only up to the member followed (their ends are
    /// never searched for), so a deep pod spec is scanned once, not once per level. `None` when
    /// a member on the path is absent or `null`.
    ///
    /// Intermediate objects are not checked for repeated members after the one followed: the
    /// objects an admission payload carries were serialised by the API server from typed
    /// objects, which cannot repeat a member.
    pub fn pick_path<const N: usize>(
        &self,
        path: &[&str],
        names: [&str; N],
    ) -> Result<Option<[Option<Raw<'a>>; N]>, ScanError> {
        ValueAt {
            bytes: self.0,
            start: 0,
        }
        .pick_path(path, names)
    }

    /// Follows a path of member names; `None` when a member is absent or `null`.
    pub fn pointer(&self, path: &[&str]) -> Result<Option<Raw<'a>>, ScanError> {
        let mut current = *self;
        for key in path {
            if !current.is_object() {
                return Err(ScanError::NotAnObject);
            }
            match current.get(key)? {
                Some(value) if !value.is_null() => current = value,
                _ => return Ok(None),
            }
        }
        Ok(Some(current))
    }
}

fn pick_members<'a, const N: usize>(
    mut members: Members<'a>,
    names: [&str; N],
) -> Result<[Option<Raw<'a>>; N], ScanError> {
    let mut found = [None; N];
    while let Some((name, start)) = members.next_key()? {
        let value = members.finish_value(start)?;
        if let Some(index) = names.iter().position(|n| *n == name) {
            if found[index].is_some() {
                return Err(ScanError::DuplicateKey(name.into_owned()));
            }
            found[index] = Some(value);
        }
    }
    Ok(found.map(|value| value.filter(|raw: &Raw<'a>| !raw.is_null())))
}

/// A Kubewarden `validate` payload, `{"request": {…}, "settings": {…}}`, read in one pass: the
/// named members of `request`, and `settings` (`None` when absent or `null`).
pub fn validate_payload<'a, const M: usize>(
    payload: &'a [u8],
    request_members: [&str; M],
) -> Result<(Picked<'a, M>, Option<Raw<'a>>), ScanError> {
    let document = Raw::document(payload)?;
    let ([request, settings], members) =
        document.pick_with_inner(["request", "settings"], "request", request_members)?;
    match (request, members) {
        (Some(_), Some(members)) => Ok((members, settings)),
        (None, _) => Err(ScanError::MissingMember("request")),
        (Some(_), None) => Err(ScanError::NotAnObject),
    }
}

/// Iterator over the members of an object: `(name, value)`.
/// A Kubewarden `validate` payload as policy-server serialises it: `request` first and
/// `settings`, if any, last. The request is read from both ends, so that its large members,
/// `object` and `oldObject`, are read only by a policy that needs them.
///
/// Reading backwards is sound for a valid document: outside strings, every quote seen from the
/// end closes a string, and a quote is escaped exactly when an odd number of backslashes
/// precedes it. The payload comes from policy-server, which serialised it from a parsed
/// document: it is valid JSON, and no member is repeated.
#[derive(Debug, Clone, Copy)]
pub struct ValidatePayload<'a> {
    /// `settings`; `None` when absent or `null`.
    pub settings: Option<Raw<'a>>,
    bytes: &'a [u8],
    /// Index of the request's opening brace.
    request_start: usize,
    /// Index of the request's closing brace.
    request_end: usize,
}

/// The members of a request that a policy asked for, read without `object` and `oldObject`.
#[derive(Debug, Clone)]
pub struct Header<'a, const N: usize> {
    /// The values asked for, in the order asked; `None` when absent or `null`.
    pub members: Picked<'a, N>,
    /// The request's members from the first of `object` and `oldObject` on, unread.
    pub objects: Members<'a>,
    operation_seen: bool,
    user_info_seen: bool,
}

fn is_object_member(name: &str) -> bool {
    name == "object" || name == "oldObject"
}

impl<'a> ValidatePayload<'a> {
    /// `None` when the payload has another shape, which [`validate_payload`] reads instead.
    pub fn read(payload: &'a [u8]) -> Result<Option<Self>, ScanError> {
        let document = Raw::document(payload)?;
        let bytes = document.0;
        let mut members = document.members()?;
        let request_start = match members.next_key()? {
            Some((name, start)) if name == "request" && bytes.get(start) == Some(&b'{') => start,
            _ => return Ok(None),
        };
        let Some((name, value, before)) = member_before(bytes, bytes.len() - 1)? else {
            return Ok(None);
        };
        let (settings, request_end) = match name.as_ref() {
            "settings" => (
                Some(value).filter(|raw| !raw.is_null()),
                skip_whitespace_back(bytes, before).wrapping_sub(1),
            ),
            // The request is the last member too: it ends where its value ends.
            "request" => (
                None,
                value.0.as_ptr() as usize - bytes.as_ptr() as usize + value.0.len() - 1,
            ),
            _ => return Ok(None),
        };
        if request_end <= request_start || bytes.get(request_end) != Some(&b'}') {
            return Ok(None);
        }
        Ok(Some(ValidatePayload {
            settings,
            bytes,
            request_start,
            request_end,
        }))
    }

    /// The named members of the request. They are read from its start up to `object` or
    /// `oldObject`, then from its end backwards, until `operation` and `userInfo` (which every
    /// request has) are read: policy-server serialises the request's members either in the
    /// order of its `AdmissionRequest` type (all of them before `object`) or sorted by name
    /// (`object`, `oldObject`, then `operation` … `userInfo`), so a member not read by then is
    /// absent. `None` when the request has another shape.
    pub fn header<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<Option<Header<'a, N>>, ScanError> {
        let (mut header, mut seen) = self.front(names)?;
        let (mut operation, mut user_info) = (header.operation_seen, header.user_info_seen);
        let bytes = &self.bytes[..=self.request_end];
        let mut end = self.request_end;
        while !(operation && user_info) {
            let Some((name, value, before)) = member_before(bytes, end)? else {
                break;
            };
            if before < header.objects.at || is_object_member(&name) {
                return Ok(None);
            }
            operation |= name == "operation";
            user_info |= name == "userInfo";
            record(names, &mut header.members, &mut seen, &name, value)?;
            end = before;
        }
        if !(operation && user_info) {
            return Ok(None);
        }
        Ok(Some(header))
    }

    /// The named members of the request that precede `object` and `oldObject`, read from its
    /// start: `kind`, `name` and `namespace` do in both of policy-server's orders (see
    /// [`ValidatePayload::header`]).
    pub fn leading<const N: usize>(&self, names: [&str; N]) -> Result<Header<'a, N>, ScanError> {
        self.front(names).map(|(header, _)| header)
    }

    fn front<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<(Header<'a, N>, [bool; N]), ScanError> {
        let mut found: Picked<'a, N> = [None; N];
        let mut seen = [false; N];
        let (mut operation_seen, mut user_info_seen) = (false, false);
        let mut members = Members {
            bytes: &self.bytes[..=self.request_end],
            at: self.request_start + 1,
            done: false,
        };
        let objects = loop {
            let before = members.clone();
            let Some((name, start)) = members.next_key()? else {
                break before;
            };
            if is_object_member(&name) {
                break before;
            }
            let value = members.finish_value(start)?;
            operation_seen |= name == "operation";
            user_info_seen |= name == "userInfo";
            record(names, &mut found, &mut seen, &name, value)?;
        };
        Ok((
            Header {
                members: found,
                objects,
                operation_seen,
                user_info_seen,
            },
            seen,
        ))
    }
}

/// Keeps `value` if `name` is one of `names`; a name seen twice is an error.
fn record<'a, const N: usize>(
    names: [&str; N],
    found: &mut Picked<'a, N>,
    seen: &mut [bool; N],
    name: &str,
    value: Raw<'a>,
) -> Result<(), ScanError> {
    if let Some(index) = names.iter().position(|n| *n == name) {
        if std::mem::replace(&mut seen[index], true) {
            return Err(ScanError::DuplicateKey(name.to_string()));
        }
        found[index] = Some(value).filter(|raw| !raw.is_null());
    }
    Ok(())
}

/// The members of an `AdmissionRequest` in the order of policy-evaluator's type.
const ADMISSION_REQUEST_ORDER: [&str; 15] = [
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
];

/// A `validate` payload with the request's members in the order of policy-evaluator's
/// `AdmissionRequest` type, as policy-server sends it when serde_json preserves member order
/// (`serde_json::json!` sorts them by name, the other order policy-server sends): for tests
/// that a policy decides the same in both.
pub fn payload_in_type_order(request: &serde_json::Value, settings: &serde_json::Value) -> Vec<u8> {
    let members: Vec<String> = ADMISSION_REQUEST_ORDER
        .iter()
        .filter_map(|key| {
            let value = request.get(*key)?;
            Some(format!("{}:{value}", serde_json::Value::from(*key)))
        })
        .collect();
    format!(
        r#"{{"request":{{{}}},"settings":{settings}}}"#,
        members.join(",")
    )
    .into_bytes()
}

/// The member of an object that ends just before `end`, the index of the `,` or `}` that
/// follows it, read backwards: its name, its value and the index of the `,` or `{` before it.
/// `None` when the object has no member there.
fn member_before(
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
        key(bytes, key_start, key_end)?,
        Raw(&bytes[value_start..value_end]),
        before - 1,
    )))
}

fn skip_whitespace_back(bytes: &[u8], mut end: usize) -> usize {
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
    /// serialised after large ones costs only its own bytes. See [`ValidatePayload`] for why
    /// reading backwards is sound.
    pub fn last_member(&self) -> Result<Option<(Cow<'a, str>, Raw<'a>)>, ScanError> {
        if !self.is_object() {
            return Err(ScanError::NotAnObject);
        }
        Ok(member_before(self.0, self.0.len() - 1)?.map(|(name, value, _)| (name, value)))
    }
}

/// A value known by where it starts in a document; its end is searched for only when asked, so
/// a policy can read the first members of a large object and stop.
#[derive(Debug, Clone, Copy)]
pub struct ValueAt<'a> {
    bytes: &'a [u8],
    start: usize,
}

impl<'a> ValueAt<'a> {
    /// The members of the object that starts here.
    pub fn members(&self) -> Result<Members<'a>, ScanError> {
        if !self.is_object() {
            return Err(ScanError::NotAnObject);
        }
        Ok(Members {
            bytes: self.bytes,
            at: self.start + 1,
            done: false,
        })
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
            let mut members = Members {
                bytes,
                at: start + 1,
                done: false,
            };
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

    /// Like [`Raw::pick_path`], from this value.
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
        pick_members(
            Members {
                bytes: self.bytes,
                at: found.start + 1,
                done: false,
            },
            names,
        )
        .map(Some)
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
    let mut inner = Members {
        bytes,
        at: start + 1,
        done: false,
    };
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

#[derive(Debug, Clone)]
pub struct Members<'a> {
    bytes: &'a [u8],
    at: usize,
    done: bool,
}

fn key(bytes: &[u8], start: usize, end: usize) -> Result<Cow<'_, str>, ScanError> {
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

impl<'a> Members<'a> {
    /// The next member's name and where its value starts; `None` at the closing brace.
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
            key(bytes, at, key_end)?
        };
        let colon = skip_whitespace(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            return Err(ScanError::Invalid(colon));
        }
        Ok(Some((name, skip_whitespace(bytes, colon + 1))))
    }

    /// Skips the value that starts at `start` and moves past the separator that follows.
    fn finish_value(&mut self, start: usize) -> Result<Raw<'a>, ScanError> {
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
        ValueAt {
            bytes: self.bytes,
            start,
        }
    }

    /// Moves past the value `start..end` and the separator that follows.
    fn finish_value_at(&mut self, start: usize, end: usize) -> Result<Raw<'a>, ScanError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn members(json: &str) -> Result<Vec<(String, String)>, ScanError> {
        Raw::document(json.as_bytes())?
            .members()?
            .map(|m| m.map(|(k, v)| (k.into_owned(), String::from_utf8(v.0.to_vec()).unwrap())))
            .collect()
    }

    #[test]
    fn members_in_order_with_raw_values() {
        let found = members(
            r#" { "a" : 1 , "b": {"c": [1, "}", {"d": "\"]"}]}, "e\u0066": null, "g": "x\\" } "#,
        )
        .unwrap();
        assert_eq!(
            found,
            [
                ("a".to_string(), "1".to_string()),
                (
                    "b".to_string(),
                    r#"{"c": [1, "}", {"d": "\"]"}]}"#.to_string()
                ),
                ("ef".to_string(), "null".to_string()),
                ("g".to_string(), r#""x\\""#.to_string()),
            ]
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::truncated_object(r#"{"a": 1"#)]
    #[case::truncated_string(r#"{"a": "x"#)]
    #[case::missing_colon(r#"{"a" 1}"#)]
    #[case::trailing_comma(r#"{"a": 1,}"#)]
    #[case::trailing_garbage(r#"{"a": 1} x"#)]
    #[case::bare_word("hello")]
    #[case::unclosed_array("[1, 2")]
    fn invalid(#[case] json: &str) {
        assert!(members(json).is_err(), "{json:?}");
    }

    const SORTED_PAYLOAD: &str = r#"{"request":{"dryRun":false,"kind":{"kind":"Pod"},"name":"web-1","namespace":"a","object":{"b":"}\\\""},"oldObject":null,"operation":"UPDATE","options":{"x":"{"},"uid":"u","userInfo":{"username":"alice"}},"settings":{"k":"v\\"}}"#;
    const TYPED_PAYLOAD: &str = r#"{"request":{"uid":"u","kind":{"kind":"Pod"},"name":"web-1","operation":"UPDATE","userInfo":{"username":"alice"},"object":{"b":1},"oldObject":{"b":2},"dryRun":false},"settings":null}"#;

    #[rstest]
    #[case::members_sorted_by_name(SORTED_PAYLOAD, Some(r#"{"k":"v\\"}"#), Some("\"a\""))]
    #[case::members_in_type_order(TYPED_PAYLOAD, None, None)]
    fn validate_payload_read_from_both_ends(
        #[case] payload: &str,
        #[case] settings: Option<&str>,
        #[case] namespace: Option<&str>,
    ) {
        let payload = ValidatePayload::read(payload.as_bytes()).unwrap().unwrap();
        assert_eq!(
            payload.settings.map(|raw| raw.0),
            settings.map(str::as_bytes)
        );
        let header = payload
            .header(["kind", "operation", "userInfo", "namespace", "name"])
            .unwrap()
            .unwrap();
        let [kind, operation, user_info, ns, name] = header.members.map(|m| m.map(|raw| raw.0));
        assert_eq!(kind, Some(br#"{"kind":"Pod"}"#.as_slice()));
        assert_eq!(operation, Some(br#""UPDATE""#.as_slice()));
        assert_eq!(user_info, Some(br#"{"username":"alice"}"#.as_slice()));
        assert_eq!(ns, namespace.map(str::as_bytes));
        assert_eq!(name, Some(br#""web-1""#.as_slice()));
        let mut objects = header.objects;
        let (first, _) = objects.next_key().unwrap().unwrap();
        assert_eq!(first, "object");
    }

    #[rstest]
    #[case::settings_first(r#"{"settings":{},"request":{"operation":"UPDATE","userInfo":{}}}"#)]
    #[case::no_operation(r#"{"request":{"object":{},"userInfo":{}},"settings":{}}"#)]
    #[case::member_between_objects(r#"{"request":{"object":{},"userInfo":{},"oldObject":{},"operation":"UPDATE"},"settings":{}}"#)]
    fn other_shapes_are_read_in_one_pass(#[case] payload: &str) {
        let header = ValidatePayload::read(payload.as_bytes())
            .unwrap()
            .map(|p| p.header(["operation"]).unwrap());
        assert!(matches!(header, None | Some(None)), "{header:?}");
    }

    #[test]
    fn repeated_header_member_is_an_error() {
        let payload = br#"{"request":{"operation":"CREATE","operation":"UPDATE","userInfo":{},"object":{}},"settings":{}}"#;
        let payload = ValidatePayload::read(payload).unwrap().unwrap();
        assert_eq!(
            payload.header(["operation"]).unwrap_err(),
            ScanError::DuplicateKey("operation".to_string())
        );
    }

    #[rstest]
    #[case::empty("", "", true)]
    #[case::short_equal("abc", "abc", true)]
    #[case::short_differs("abc", "abd", false)]
    #[case::lengths_differ("abc", "abcd", false)]
    #[case::blocks_equal(
        "0123456789abcdef0123456789abcdef-tail",
        "0123456789abcdef0123456789abcdef-tail",
        true
    )]
    #[case::block_differs(
        "0123456789abcdef0123456789abcdeX-tail",
        "0123456789abcdef0123456789abcdef-tail",
        false
    )]
    #[case::tail_differs(
        "0123456789abcdef0123456789abcdef-tail",
        "0123456789abcdef0123456789abcdef-taiX",
        false
    )]
    fn same_bytes_is_slice_equality(#[case] a: &str, #[case] b: &str, #[case] equal: bool) {
        assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), equal);
    }

    #[rstest]
    #[case::short_plain(r#"{"a":1}"#, "a")]
    #[case::long_plain(r#"{"requestSubResource":1}"#, "requestSubResource")]
    #[case::escaped(r#"{"re\u0071uestKind":1}"#, "requestKind")]
    #[case::escaped_late(r#"{"requestSubResourc\u0065":1}"#, "requestSubResource")]
    #[case::non_ascii(r#"{"näme":1}"#, "näme")]
    #[case::non_ascii_late(r#"{"requestSubResourcé":1}"#, "requestSubResourcé")]
    fn member_names(#[case] json: &str, #[case] name: &str) {
        assert_eq!(members(json).unwrap()[0].0, name);
    }

    #[test]
    fn too_deep() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(skip_value(deep.as_bytes(), 0), Err(ScanError::TooDeep));
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(skip_value(fine.as_bytes(), 0), Ok(fine.len()));
    }

    #[rstest]
    #[case::null("null", true)]
    #[case::empty_object("{}", true)]
    #[case::spaced_object("{ \n }", true)]
    #[case::empty_array("[]", true)]
    #[case::object(r#"{"a":1}"#, false)]
    #[case::empty_string(r#""""#, false)]
    #[case::zero("0", false)]
    fn emptiness(#[case] json: &str, #[case] empty: bool) {
        assert_eq!(Raw(json.as_bytes()).is_empty(), empty);
    }

    #[test]
    fn pointer_and_elements() {
        let doc = Raw::document(br#"{"spec": {"template": {"spec": {"volumes": [{"name": "a"}, {"name": "b"}]}}}, "x": null}"#).unwrap();
        let volumes = doc
            .pointer(&["spec", "template", "spec", "volumes"])
            .unwrap()
            .unwrap();
        assert_eq!(volumes.elements().unwrap().len(), 2);
        assert_eq!(doc.pointer(&["x", "y"]).unwrap(), None);
        assert_eq!(doc.pointer(&["missing"]).unwrap(), None);
        assert!(doc
            .pointer(&["spec", "template", "spec", "volumes", "0"])
            .is_err());
    }

    #[test]
    fn pick_finds_members_once() {
        let doc = Raw::document(br#"{"a": 1, "b": null, "c": {"a": 2}}"#).unwrap();
        let [a, b, c, d] = doc.pick(["a", "b", "c", "d"]).unwrap();
        assert_eq!(a, Some(Raw(b"1")));
        assert_eq!(b, None);
        assert_eq!(c, Some(Raw(br#"{"a": 2}"#)));
        assert_eq!(d, None);
        let duplicated = Raw::document(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(
            duplicated.pick(["a"]),
            Err(ScanError::DuplicateKey("a".to_string()))
        );
        // Repeats of members nobody asked for do not matter.
        assert!(duplicated.pick(["b"]).is_ok());
    }

    #[test]
    fn pick_path_follows_members() {
        let doc = Raw::document(br#"{"a": 1, "spec": {"x": [1, {"spec": 2}], "template": {"spec": {"volumes": [], "sa": "b"}}}}"#).unwrap();
        let [volumes, sa] = doc
            .pick_path(&["spec", "template", "spec"], ["volumes", "sa"])
            .unwrap()
            .unwrap();
        assert_eq!(volumes, Some(Raw(b"[]")));
        assert_eq!(sa, Some(Raw(br#""b""#)));
        assert_eq!(doc.pick_path(&["spec", "missing"], ["x"]).unwrap(), None);
        assert_eq!(
            doc.pick_path(&["a", "b"], ["x"]),
            Err(ScanError::NotAnObject)
        );
        let nulled = Raw::document(br#"{"spec": null}"#).unwrap();
        assert_eq!(nulled.pick_path(&["spec"], ["x"]).unwrap(), None);
    }

    #[test]
    fn pick_with_inner_walks_once() {
        let doc = Raw::document(br#"{"request": {"kind": {"k": 1}, "object": {"big": [1, 2]}, "x": null}, "settings": {"a": 1}}"#).unwrap();
        let ([request, settings], inner) = doc
            .pick_with_inner(["request", "settings"], "request", ["kind", "object", "x"])
            .unwrap();
        let [kind, object, x] = inner.unwrap();
        assert_eq!(kind, Some(Raw(br#"{"k": 1}"#)));
        assert_eq!(object, Some(Raw(br#"{"big": [1, 2]}"#)));
        assert_eq!(x, None);
        assert_eq!(settings, Some(Raw(br#"{"a": 1}"#)));
        assert!(request.unwrap().bytes().starts_with(b"{\"kind\""));
        let duplicated = Raw::document(br#"{"request": {"kind": 1, "kind": 2}}"#).unwrap();
        assert!(duplicated
            .pick_with_inner(["request"], "request", ["kind"])
            .is_err());
        let truncated = Raw::document(br#"{"request": {"kind": 1, "object": {"a": }"#);
        assert!(
            truncated.is_err()
                || truncated
                    .unwrap()
                    .pick_with_inner(["request"], "request", ["kind"])
                    .is_err()
        );
    }

    #[rstest]
    #[case::plain(r#""abc""#, Some("abc"))]
    #[case::escaped(r#""a\u0062c""#, Some("abc"))]
    #[case::number("12", None)]
    fn strings(#[case] json: &str, #[case] expected: Option<&str>) {
        assert_eq!(Raw(json.as_bytes()).as_str().as_deref(), expected);
    }

    #[test]
    fn agrees_with_serde_json_on_valid_documents() {
        let doc = r#"{"k\u00e9y": [1.5e3, -2, true, false, null, "a\nb", {"x": {}}], "n": {"m": "\\\""}}"#;
        let value: serde_json::Value = serde_json::from_str(doc).unwrap();
        let raw = Raw::document(doc.as_bytes()).unwrap();
        for member in raw.members().unwrap() {
            let (key, value_raw) = member.unwrap();
            let parsed: serde_json::Value = value_raw.parse().unwrap();
            assert_eq!(parsed, value[key.as_ref()]);
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "(\\PC|[\"\\\\\u{0}-\u{1f}]){0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map("(\\PC|[\"\\\\]){0,6}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn members_agree_with_serde_json(members in prop::collection::btree_map("(\\PC|[\"\\\\]){0,6}", json_value(), 0..6), pretty in any::<bool>()) {
            let object = Value::Object(members.into_iter().collect());
            let text = if pretty { serde_json::to_vec_pretty(&object) } else { serde_json::to_vec(&object) }.unwrap();
            // Compare with serde_json's own reading of the same text (its float printing does not
            // always round-trip, which is not what is tested here).
            let object: Value = serde_json::from_slice(&text).unwrap();
            let raw = Raw::document(&text).unwrap();
            prop_assert_eq!(skip_value(&text, 0).unwrap(), text.len());
            let mut seen = 0;
            for member in raw.members().unwrap() {
                let (key, value) = member.unwrap();
                let parsed: Value = serde_json::from_slice(value.bytes()).unwrap();
                prop_assert_eq!(&parsed, &object[key.as_ref()]);
                seen += 1;
            }
            prop_assert_eq!(seen, object.as_object().unwrap().len());
        }

        #[test]
        fn backwards_reading_agrees_with_forwards(members in prop::collection::btree_map("(\\PC|[\"\\\\]){0,6}", json_value(), 1..6), pretty in any::<bool>()) {
            let object = Value::Object(members.into_iter().collect());
            let text = if pretty { serde_json::to_vec_pretty(&object) } else { serde_json::to_vec(&object) }.unwrap();
            let raw = Raw::document(&text).unwrap();
            let forwards: Vec<_> = raw.members().unwrap().map(|m| m.unwrap()).collect();
            prop_assert_eq!(raw.last_member().unwrap(), forwards.last().cloned());
        }

        #[test]
        fn containers_are_matched_both_ways(value in json_value(), text in "(\\PC|[\"\\\\{}\\[\\]]){0,40}", pretty in any::<bool>()) {
            // A container after and before other members, with strings that cross the blocks.
            let container = Value::from(vec![Value::from(text.clone()), value, Value::from(text)]);
            let container = if pretty { serde_json::to_string_pretty(&container) } else { serde_json::to_string(&container) }.unwrap();
            let prefix = format!(r#"{{"{}":"#, "\\\"".repeat(container.len() % 7));
            let document = format!("{prefix}{container},\"next\":[]}}");
            let bytes = document.as_bytes();
            let end = prefix.len() + container.len();
            prop_assert_eq!(skip_value(bytes, prefix.len()).unwrap(), end);
            prop_assert_eq!(container_start_back(bytes, end).unwrap(), prefix.len());
        }

        #[test]
        fn split_like_agrees_with_split(old in json_value(), new in json_value(), shared in prop::collection::btree_map("[a-z]{1,4}", json_value(), 0..4)) {
            // Two objects that share their last members, as two versions of an object do.
            let object = |first: Value| {
                let mut map = serde_json::Map::new();
                map.insert("0".to_string(), first);
                map.extend(shared.clone());
                serde_json::to_vec(&Value::Object(map)).unwrap()
            };
            let (old, new) = (object(old), object(new));
            let like = Raw::document(&new).unwrap().split().unwrap();
            let old = Raw::document(&old).unwrap();
            let split = old.split().unwrap();
            let split_like = old.split_like(&like).unwrap();
            prop_assert_eq!(split.raw, split_like.raw);
            prop_assert_eq!(split.members, split_like.members);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(raw) = Raw::document(&bytes) {
                let _ = raw.pick(["a", "b"]);
                let _ = raw.pick_with_inner(["a"], "b", ["c"]);
                let _ = raw.pick_path(&["a", "b"], ["c"]);
                let _ = raw.elements();
            }
            let _ = skip_value(&bytes, 0);
            if let Ok(Some(payload)) = ValidatePayload::read(&bytes) {
                let _ = payload.header(["kind", "operation"]);
            }
            if let Ok(raw) = Raw::document(&bytes) {
                let _ = raw.last_member();
                let _ = raw.split();
            }
        }
    }
}
