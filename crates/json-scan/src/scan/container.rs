//! Whole objects and arrays skipped sixteen bytes at a time, forwards (to find a value's end)
//! and backwards (to find its start when a document is read from its end).

use super::backslashes_before;
use super::block::{classify, inside_strings};
use crate::error::{ScanError, MAX_DEPTH};

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

/// Index just past the object or array whose opening bracket is at `at`.
///
/// Sixteen bytes at a time, without a branch per string: the quotes of a block give, by a
/// prefix XOR, which of its bytes are inside strings, and only brackets outside strings are
/// followed, one by one. A block with a backslash is read byte by byte (escapes are rare in
/// Kubernetes objects).
pub(crate) fn skip_container(bytes: &[u8], at: usize) -> Result<usize, ScanError> {
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
pub(crate) fn container_start_back(bytes: &[u8], end: usize) -> Result<usize, ScanError> {
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
