//! Writes the text format of `shared/trace-format.md`: the `gctrace 1` header, then each record's
//! canonical line (single spaces, `\n` line ends). Comments are not records, so they are not
//! kept; everything else round-trips through the [`text_reader`](super::text_reader).

use std::io::{self, Write};

use super::TraceSink;
use super::record::Record;

pub struct TextWriter<W: Write> {
    out: W,
}

impl<W: Write> TextWriter<W> {
    /// A writer that has written the header to `out`.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"gctrace 1\n")?;
        Ok(TextWriter { out })
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// The writer's output (after [`TraceSink::finish`]).
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> TraceSink for TextWriter<W> {
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        writeln!(self.out, "{record}")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
