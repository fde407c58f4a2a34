//! # gc-scheme: a Scheme interpreter on gclab's heap
//!
//! The reference client of the `gclab` embedding API: every Scheme value (pairs, vectors,
//! strings, symbols, closures, environments, records, flonums) is a gclab heap object, reached
//! only through handle scopes and persistent handles, so a collection may happen at any
//! allocation, on any collector. The language is the subset of R7RS-small enough to
//! run the R7RS benchmark programs unmodified.
//!
//! The pipeline: [`reader`] (text to data), [`compiler`] (data to a tree of nodes with every
//! variable resolved), [`machine`] (runs the nodes with proper tail calls), [`builtins`] (the
//! primitive procedures), [`printer`], and [`session`] (a whole run on a chosen collector).
#![forbid(unsafe_code)]

pub mod builtins;
pub mod compiler;
pub mod errors;
pub mod machine;
pub mod macros;
pub mod ports;
pub mod printer;
pub mod reader;
pub mod recording;
pub mod session;
pub mod values;

pub use errors::{Error, ErrorKind};
pub use machine::Input;
pub use recording::RecordingOutcome;
pub use session::{Outcome, Program, SharedBuffer, run, run_text};
