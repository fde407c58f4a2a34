//! What can be wrong with a trace, and where.
//!
//! A [`TraceError`] names the file, the position (a line of a text trace, a record and byte
//! offset of a binary one), the record as text, and the [`Problem`]. Every reader, the checker
//! and the replay report through it, so a user sees the same shape of message whatever found the
//! fault.

use std::borrow::Cow;
use std::fmt;
use std::io;

use thiserror::Error;

/// Where in a trace a problem is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// A line of a text trace (1-based).
    Line(u64),
    /// A record of a binary trace: its index (1-based, counting metadata) and byte offset.
    Record { index: u64, offset: u64 },
    /// The file as a whole (an unreadable file, a missing header).
    File,
}

/// A problem in a trace, at a place. Its details are boxed (and reached through `Deref`): a
/// reader returns `Result<Option<Record>, TraceError>` once a record, and a one-word error keeps
/// that result small enough not to be copied through memory on the replay's hot path.
#[derive(Debug)]
pub struct TraceError(Box<TraceErrorDetails>);

/// What a [`TraceError`] says.
#[derive(Debug)]
pub struct TraceErrorDetails {
    pub file: String,
    pub position: Position,
    /// The offending record as text (a text trace's line, shortened when long), when there is one.
    pub record: Option<String>,
    pub problem: Problem,
}

/// The longest record text an error quotes; longer lines are cut (a hostile line may be huge).
const QUOTE_LIMIT: usize = 120;

impl TraceError {
    #[cold]
    pub fn new(file: &str, position: Position, record: Option<&str>, problem: Problem) -> Self {
        TraceError(Box::new(TraceErrorDetails {
            file: file.to_owned(),
            position,
            record: record.map(quote),
            problem,
        }))
    }

    /// An error about the file as a whole.
    pub fn in_file(file: &str, problem: Problem) -> Self {
        Self::new(file, Position::File, None, problem)
    }
}

impl std::ops::Deref for TraceError {
    type Target = TraceErrorDetails;

    fn deref(&self) -> &TraceErrorDetails {
        &self.0
    }
}

/// The record as an error quotes it: cut when long, control characters escaped.
fn quote(text: &str) -> String {
    let text = text.trim_end_matches(['\r', '\n']);
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{}...", escape_controls(&text[..cut])),
        None => escape_controls(text).into_owned(),
    }
}

/// `text` with its control characters escaped (`\u{1b}`): a hostile trace's escape sequences,
/// quoted in an error, must not reach the user's terminal.
fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

impl fmt::Display for Position {
    /// `line 12`, `record 7 (byte 93)` or `the file`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, "line {line}"),
            Position::Record { index, offset } => write!(f, "record {index} (byte {offset})"),
            Position::File => f.write_str("the file"),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Line(line) => write!(f, "{}:{line}", self.file)?,
            Position::Record { index, offset } => {
                write!(f, "{}: record {index} (byte {offset})", self.file)?
            }
            Position::File => f.write_str(&self.file)?,
        }
        if let Some(record) = &self.record {
            write!(f, ": `{record}`")?;
        }
        write!(f, ": {}", escape_controls(&self.problem.to_string()))
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.problem)
    }
}

/// What is wrong.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Problem {
    #[error("cannot read the trace: {0}")]
    Io(#[from] io::Error),
    #[error("the trace is empty: it has no `gctrace 1` header")]
    MissingHeader,
    #[error("the header is not `gctrace 1`")]
    BadHeader,
    #[error(
        "this is a V8 heap snapshot (JSON), not a trace: `gclab import SNAPSHOT -o TRACE.gct` turns snapshots into a trace to replay"
    )]
    HeapSnapshot,
    #[error("unknown record `{0}`")]
    UnknownRecord(String),
    #[error("missing field {0}")]
    MissingField(&'static str),
    #[error("extra field `{0}`")]
    ExtraField(String),
    #[error("{field} `{text}` is not a decimal integer")]
    NotANumber { field: &'static str, text: String },
    #[error("{field} `{text}` is out of range (at most {max})")]
    OutOfRange {
        field: &'static str,
        text: String,
        max: u64,
    },
    #[error("SMI `{0}` is out of range (-2^30 <= N < 2^30)")]
    SmiOutOfRange(String),
    #[error("`{0}` is not a VALUE (an object id, `null`, or `iN` for a small integer)")]
    BadValue(String),
    #[error("metadata (`@`) after the first event")]
    MetadataAfterEvents,
    #[error("the line is longer than {0} bytes")]
    LineTooLong(usize),
    #[error("the line is not UTF-8")]
    NotUtf8,
    #[error("object {0} is not live: it was never allocated, or the trace declared it dead")]
    NotLive(u64),
    #[error("object {0} is already live: an id is reused only after `d` for it")]
    AlreadyLive(u64),
    #[error("slot {slot} is out of range: object {id} has {slots} slots")]
    SlotOutOfRange { id: u64, slot: u32, slots: u32 },
    #[error("the root count of object {0} would go below zero")]
    RootCountBelowZero(u64),
    #[error("the root count of object {0} would exceed 2^32 - 1")]
    RootCountOverflow(u64),
    #[error(
        "object {0} was already reclaimed: the trace touches an object after it became unreachable"
    )]
    Reclaimed(u64),
    #[error(
        "object {id} is too large: {slots} slots and {bytes} bytes exceed the 1 GiB object limit"
    )]
    ObjectTooLarge { id: u64, slots: u32, bytes: u32 },
    #[error("{0} type labels are more than the heap can name")]
    TooManyTypes(usize),
    #[error("not a binary gctrace (the file does not start with `GCTB`)")]
    NotBinary,
    #[error("binary gctrace version {0} is not supported (this gclab reads version 1)")]
    UnsupportedVersion(u64),
    #[error("the binary trace ends in the middle of a record")]
    Truncated,
    #[error("the binary trace has no end marker: it was cut short")]
    MissingEnd,
    #[error("the binary trace is corrupt: {0}")]
    Corrupt(String),
    #[error("heap limit reached: {0}")]
    HeapLimit(gc_core::OutOfMemory),
    /// The heap refused an operation the checker allowed: a bug in gclab, not in the trace.
    #[error("the heap refused the record: {0}")]
    Heap(gc_core::HeapError),
}

/// Shorthand for the checker's and the parsers' results, before a position is attached.
pub type ProblemResult<T> = Result<T, Problem>;
