//! TEMP shim until the binary branch merges.
use super::TraceSource;
use super::error::{Position, Problem, TraceError};
use super::record::Record;
use std::path::Path;
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(b"GCTB")
}
pub struct MappedTrace;
impl MappedTrace {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        Err(TraceError::in_file(
            &path.display().to_string(),
            Problem::NotBinary,
        ))
    }
    pub fn reader(&self) -> Result<BinaryReader<'_>, TraceError> {
        Err(TraceError::in_file("", Problem::NotBinary))
    }
}
pub struct BinaryReader<'a>(&'a [u8]);
impl TraceSource for BinaryReader<'_> {
    fn next_record(&mut self) -> Result<Option<Record<'_>>, TraceError> {
        Ok(None)
    }
    fn error_at_last(&self, problem: Problem) -> TraceError {
        TraceError::in_file("", problem)
    }
    fn position(&self) -> Position {
        Position::File
    }
    fn progress(&self) -> (u64, Option<u64>) {
        (0, None)
    }
}
