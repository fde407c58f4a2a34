//! # gc-trace: gclab's allocation traces
//!
//! A trace is the life of one program's heap, one mutator operation a record: the text format of
//! `shared/trace-format.md` (`.gct`, `.gct.gz`), gclab's binary format (`.gctb`), and the
//! interfaces between readers, writers, the checker and a replay. A runtime that records its own
//! traces, or a tool that reads them, depends on this crate alone: the replay, the generators and
//! the `gclab` program live in `bench-harness`.
//!
//! A reader is a [`TraceSource`]: it yields borrowed [`Record`]s one at a time (memory does not
//! grow with the file) and checks each record's syntax. The [`checker`] then checks the records
//! against each other (ids live, slots in range, root counts), which is what makes a conversion or
//! a replay stop at the first inconsistent line. A writer is a [`TraceSink`].

pub mod binary_format;
pub mod binary_reader;
pub mod binary_writer;
pub mod checker;
pub mod error;
pub mod id_table;
pub mod open;
pub mod record;
pub mod text_reader;
pub mod text_writer;

pub use error::{Position, Problem, TraceError};
pub use record::{GcRequest, OwnedRecord, Record, TraceValue};

use std::io;

/// A stream of records read from somewhere.
pub trait TraceSource {
    /// The next record, or `None` after the last one. The header, comments and blank lines are
    /// consumed silently; a malformed record is an error naming its position.
    fn next_record(&mut self) -> Result<Option<Record<'_>>, TraceError>;

    /// An error about the record `next_record` returned last, for problems found after reading
    /// it (by the checker or the replay).
    fn error_at_last(&self, problem: Problem) -> TraceError;

    /// Where the record `next_record` returned last is.
    fn position(&self) -> Position;

    /// Bytes consumed so far, and the total when known (for a progress bar).
    fn progress(&self) -> (u64, Option<u64>);
}

/// Where records are written.
pub trait TraceSink {
    /// Writes one record. Metadata must come before the first event.
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()>;

    /// Writes whatever ends the trace and flushes.
    fn finish(&mut self) -> io::Result<()>;
}

/// Collects records in memory (tests, small generated traces).
impl TraceSink for Vec<OwnedRecord> {
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        self.push(OwnedRecord::from(*record));
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads records held in memory (tests, traces built by a program); positions are record
/// numbers, counted as lines.
#[derive(Clone, Debug)]
pub struct MemorySource<'r> {
    name: String,
    records: &'r [OwnedRecord],
    next: usize,
}

impl<'r> MemorySource<'r> {
    pub fn new(name: &str, records: &'r [OwnedRecord]) -> Self {
        MemorySource {
            name: name.to_owned(),
            records,
            next: 0,
        }
    }
}

impl TraceSource for MemorySource<'_> {
    fn next_record(&mut self) -> Result<Option<Record<'_>>, TraceError> {
        let record = self.records.get(self.next).map(OwnedRecord::borrow);
        self.next += usize::from(record.is_some());
        Ok(record)
    }

    fn error_at_last(&self, problem: Problem) -> TraceError {
        TraceError::new(&self.name, self.position(), None, problem)
    }

    fn position(&self) -> Position {
        Position::Line(self.next as u64)
    }

    fn progress(&self) -> (u64, Option<u64>) {
        (self.next as u64, Some(self.records.len() as u64))
    }
}
