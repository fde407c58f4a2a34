//! The interpreter's errors: what went wrong, and the source line it went wrong at when known.
//!
//! Every failure a program can cause is an [`struct@Error`] (never a panic); the line is attached by the
//! innermost call or form that knows one, so the message names the closest source position.

use gclab::HeapError;
use thiserror::Error;

/// What went wrong.
#[derive(Debug, Error)]
pub enum ErrorKind {
    #[error("syntax error: {0}")]
    Syntax(String),
    #[error("unbound variable: {0}")]
    Unbound(String),
    #[error("wrong type: {procedure} expects {expected}, got {got}")]
    WrongType {
        procedure: String,
        expected: &'static str,
        got: String,
    },
    #[error("wrong number of arguments: {procedure} takes {expected}, got {got}")]
    Arity {
        procedure: String,
        expected: String,
        got: usize,
    },
    #[error("{0}")]
    User(String),
    #[error("{0}")]
    Runtime(String),
    #[error("recursion too deep: more than {0} nested calls")]
    TooDeep(usize),
    #[error("heap limit reached: {0}")]
    HeapLimit(HeapError),
    #[error("heap error: {0}")]
    Heap(HeapError),
    #[error("input/output error: {0}")]
    Io(String),
    /// `(exit code)`: not a failure, the way out.
    #[error("exit with status {0}")]
    Exit(i32),
    /// A `call/cc` escape in flight to the `call/cc` with this id; never shown to a user while the
    /// `call/cc` is still active.
    #[error("a continuation was called outside its extent (call/cc is escape-only)")]
    Escape(u64),
}

/// An error and the source line it happened at, when known.
#[derive(Debug, Error)]
#[error("{kind}")]
pub struct Error {
    pub kind: ErrorKind,
    pub line: Option<u32>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind, line: None }
    }

    pub fn at(kind: ErrorKind, line: u32) -> Self {
        Error {
            kind,
            line: Some(line),
        }
    }

    /// The same error, with `line` if it has none yet.
    pub fn or_line(mut self, line: u32) -> Self {
        if self.line.is_none()
            && line > 0
            && !matches!(self.kind, ErrorKind::Escape(_) | ErrorKind::Exit(_))
        {
            self.line = Some(line);
        }
        self
    }

    pub fn syntax(message: impl Into<String>, line: u32) -> Self {
        Error::at(ErrorKind::Syntax(message.into()), line)
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Runtime(message.into()))
    }

    pub fn wrong_type(procedure: &str, expected: &'static str, got: String) -> Self {
        Error::new(ErrorKind::WrongType {
            procedure: procedure.to_string(),
            expected,
            got,
        })
    }

    /// The full message: `FILE:LINE: message`, or `FILE: message` without a line.
    pub fn report(&self, file: &str) -> String {
        match self.line {
            Some(line) => format!("{file}:{line}: {}", self.kind),
            None => format!("{file}: {}", self.kind),
        }
    }
}

impl From<HeapError> for Error {
    fn from(error: HeapError) -> Self {
        match error {
            HeapError::OutOfMemory(_) | HeapError::ObjectTooLarge { .. } => {
                Error::new(ErrorKind::HeapLimit(error))
            }
            other => Error::new(ErrorKind::Heap(other)),
        }
    }
}
