//! Why a document cannot be navigated, or a value cannot be parsed.

use thiserror::Error;

/// Deepest nesting accepted, like serde_json's recursion limit: deeper documents are an error,
/// so code that recurses over them cannot exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// Why a document cannot be navigated.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// The document ends inside a value.
    #[error("unexpected end of JSON input")]
    Eof,
    /// A byte that cannot stand where it is.
    #[error("invalid JSON at byte {0}")]
    Invalid(usize),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A string that is not valid JSON or UTF-8.
    #[error("invalid JSON string: {0}")]
    InvalidString(String),
    /// A value navigated as an object is not one.
    #[error("expected a JSON object")]
    NotAnObject,
    /// A member read twice: one value could be shown to a policy and another to the API server.
    #[error("duplicate field `{0}`")]
    DuplicateKey(String),
    /// A member the document must have.
    #[error("missing field `{0}`")]
    MissingMember(&'static str),
}

/// A value that does not have the expected shape.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct ParseError(pub String);
