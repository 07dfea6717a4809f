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
//! Speed comes from reading less and reading it faster: an object's members can be read from
//! its end ([`member_before`]), so that a caller (policy-glue's `Admission`) reads the members
//! after large ones without them; objects and arrays are skipped sixteen bytes at a time (WebAssembly SIMD when built for wasm32
//! with `simd128`, a scalar version elsewhere), with strings found by a prefix XOR of the quote
//! masks instead of a branch per string; unchanged bytes are compared sixteen at a time.
//!
//! The modules, from the bottom up:
//! - `scan`: skipping whitespace, strings and whole values (`scan::block` classifies sixteen
//!   bytes at once, SIMD or portable; `scan::container` matches brackets forwards and backwards);
//! - [`Raw`]: a value as the bytes that spell it, and picking named members from an object;
//! - [`Members`]: walking an object's members, and [`Split`]ting an object into them;
//! - [`ValueAt`]: a value known by where it starts, followed into without finding its end;
//! - `backward`: reading an object's members from its end.
//!
//! The crate knows nothing of its callers: the admission payload's framing is policy-glue's.

#![warn(missing_docs)]

mod backward;
mod error;
mod members;
mod raw;
mod scan;
mod value_at;

pub use error::{ParseError, ScanError, MAX_DEPTH};
pub use members::{Members, Split};
#[cfg(any(test, feature = "test-support"))]
pub mod arbitrary;
pub use backward::{member_before, skip_whitespace_back};
pub use raw::{Picked, PickedMembers, Raw};
pub use scan::{same_bytes, skip_value};
pub use value_at::ValueAt;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
