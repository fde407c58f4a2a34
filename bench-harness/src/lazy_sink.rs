//! A trace sink opened at its first record: a command that fails before writing a record (a
//! generator's bad parameter) leaves no file and prints nothing, not even the trace's header.
//!
//! Invariant: the output is created at most once, by the first `write_record` or `finish`, in
//! a format checked when the sink was made.

use std::io;
use std::path::PathBuf;

use gc_trace::open::{self, TraceFormat};
use gc_trace::{Record, TraceSink};

use crate::error::Error;

/// The sink of `path` (`-`: standard output), not created yet.
pub struct LazySink {
    path: PathBuf,
    sink: Option<Box<dyn TraceSink>>,
}

impl LazySink {
    /// A sink for `path`, whose name must say a trace format (`.gct`, `.gct.gz`, `.gctb`, `-`).
    pub fn new(path: PathBuf) -> Result<Self, Error> {
        if TraceFormat::for_output(&path).is_none() {
            return Err(Error::UnknownTraceFormat(path.display().to_string()));
        }
        Ok(LazySink { path, sink: None })
    }

    /// Whether the output exists (so that there is a file to clean up).
    pub fn is_created(&self) -> bool {
        self.sink.is_some()
    }

    fn sink(&mut self) -> io::Result<&mut dyn TraceSink> {
        let sink = match self.sink.take() {
            Some(sink) => sink,
            None => open::create_sink(&self.path)
                .expect("the format was checked in `new`")
                .map_err(|error| {
                    let path = self.path.display();
                    io::Error::new(error.kind(), format!("cannot create `{path}`: {error}"))
                })?,
        };
        Ok(&mut **self.sink.insert(sink))
    }
}

impl TraceSink for LazySink {
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        self.sink()?.write_record(record)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.sink()?.finish()
    }
}
