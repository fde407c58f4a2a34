//! Opening trace files: readers chosen by the file's content, writers by its name.
//!
//! A file is read as binary when it starts with the binary magic, as gzip-compressed text when
//! it starts with gzip's magic, and as text otherwise, whatever its name; `-` is standard input
//! (text). A file is written as binary for `.gctb`, gzip-compressed text for `.gct.gz`, text for
//! `.gct`, and `-` is standard output (text). The reader's type is chosen at run time and handed
//! to a [`SourceVisitor`], so each replay loop is compiled for its reader.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use super::binary_reader::{self, MappedTrace};
use super::binary_writer::BinaryWriter;
use super::error::{Problem, TraceError};
use super::text_reader::TextReader;
use super::text_writer::TextWriter;
use super::{TraceSink, TraceSource};

/// The read buffer of text traces: large enough that reading is not a system call per line.
const READ_BUFFER: usize = 256 * 1024;

/// Code to run with a trace reader whose type was chosen at run time.
pub trait SourceVisitor {
    type Output;
    fn visit<S: TraceSource>(self, source: &mut S) -> Self::Output;
}

/// The formats gclab reads and writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    Text,
    GzipText,
    Binary,
}

impl TraceFormat {
    /// The format a file name asks for when writing: `.gctb`, `.gct.gz` or `.gct` (and `-`).
    pub fn for_output(path: &Path) -> Option<TraceFormat> {
        let name = path.to_string_lossy();
        if name == "-" || name.ends_with(".gct") {
            Some(TraceFormat::Text)
        } else if name.ends_with(".gct.gz") {
            Some(TraceFormat::GzipText)
        } else if name.ends_with(".gctb") {
            Some(TraceFormat::Binary)
        } else {
            None
        }
    }
}

/// Opens the trace at `path` and calls `visitor` with a reader of it.
pub fn with_source<V: SourceVisitor>(path: &Path, visitor: V) -> Result<V::Output, TraceError> {
    let name = path.display().to_string();
    let io_error = |error: io::Error| TraceError::in_file(&name, Problem::Io(error));
    if name == "-" {
        let stdin = io::stdin().lock();
        let mut reader = TextReader::new(&name, BufReader::with_capacity(READ_BUFFER, stdin), None);
        return Ok(visitor.visit(&mut reader));
    }
    let mut file = File::open(path).map_err(io_error)?;
    let length = file.metadata().map_err(io_error)?.len();
    let mut magic = [0u8; 4];
    let sniffed = read_prefix(&mut file, &mut magic).map_err(io_error)?;
    let magic = &magic[..sniffed];
    if binary_reader::is_binary(magic) {
        let mapped = MappedTrace::open(path)?;
        let mut reader = mapped.reader()?;
        return Ok(visitor.visit(&mut reader));
    }
    file.rewind().map_err(io_error)?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        let compressed = BufReader::with_capacity(READ_BUFFER, file);
        let decoder = MultiGzDecoder::new(compressed);
        let input = BufReader::with_capacity(READ_BUFFER, decoder);
        let mut reader = TextReader::new(&name, input, None);
        return Ok(visitor.visit(&mut reader));
    }
    let input = BufReader::with_capacity(READ_BUFFER, file);
    let mut reader = TextReader::new(&name, input, Some(length));
    Ok(visitor.visit(&mut reader))
}

/// Reads up to `buffer.len()` bytes; fewer only at the end of the file.
fn read_prefix(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            read => filled += read,
        }
    }
    Ok(filled)
}

/// A writer of `format` into `out`.
pub fn sink_for<'w, W: Write + 'w>(
    format: TraceFormat,
    out: W,
) -> io::Result<Box<dyn TraceSink + 'w>> {
    Ok(match format {
        TraceFormat::Text => Box::new(TextWriter::new(out)?),
        TraceFormat::GzipText => Box::new(GzipTextWriter(TextWriter::new(GzEncoder::new(
            out,
            Compression::default(),
        ))?)),
        TraceFormat::Binary => Box::new(BinaryWriter::new(out)?),
    })
}

/// A text writer into a gzip stream, whose end (the gzip trailer) is written by `finish`, where
/// an error can still be reported, rather than when it is dropped.
struct GzipTextWriter<W: Write>(TextWriter<GzEncoder<W>>);

impl<W: Write> TraceSink for GzipTextWriter<W> {
    fn write_record(&mut self, record: &super::Record<'_>) -> io::Result<()> {
        self.0.write_record(record)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.0.finish()?;
        let encoder = self.0.get_mut();
        encoder.try_finish()?;
        encoder.get_mut().flush()
    }
}

/// A writer of the file at `path`, in the format its name asks for (`-`: standard output).
/// `None` when the name asks for no format gclab knows.
pub fn create_sink(path: &Path) -> Option<io::Result<Box<dyn TraceSink>>> {
    let format = TraceFormat::for_output(path)?;
    if path.as_os_str() == "-" {
        return Some(sink_for(format, BufWriter::new(io::stdout())));
    }
    Some(File::create(path).and_then(|file| sink_for(format, BufWriter::new(file))))
}
