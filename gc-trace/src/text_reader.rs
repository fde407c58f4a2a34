//! Reads the text format of `shared/trace-format.md` (`gctrace 1`), one line at a time.
//!
//! The reader keeps one line in a reused buffer, so its memory does not grow with the file; a
//! line longer than [`MAX_LINE`] is an error rather than an allocation the file chose. It checks
//! each line's syntax (record kind, field count, number ranges); whether the records agree with
//! each other is the [`checker`](super::checker)'s job.

// A `Problem` has `String` variants, so one built eagerly by `ok_or` is dropped on every success:
// on the hot path that cost 14% more instructions in a binary replay (callgrind). Hence `ok_or_else`.
#![allow(clippy::unnecessary_lazy_evaluations)]

use std::io::{self, BufRead, Read};

use super::TraceSource;
use super::error::{Position, Problem, ProblemResult, TraceError};
use super::record::{GcRequest, MAX_ID, MAX_THINK_NANOS, Record, SMI_END, SMI_MIN, TraceValue};

/// The longest line the reader accepts, in bytes. Real records are a few dozen bytes; metadata
/// lines may carry a command line or a description.
pub const MAX_LINE: usize = 64 * 1024;

/// A text trace being read from `R`.
pub struct TextReader<R> {
    input: R,
    file: String,
    line: Vec<u8>,
    line_number: u64,
    /// A metadata value made of several fields, joined by single spaces.
    meta_value: String,
    seen_header: bool,
    consumed: u64,
    total: Option<u64>,
}

impl<R: BufRead> TextReader<R> {
    /// A reader of `input`, named `file` in errors; `total` is its length when known.
    pub fn new(file: &str, input: R, total: Option<u64>) -> Self {
        TextReader {
            input,
            file: file.to_owned(),
            line: Vec::new(),
            line_number: 0,
            meta_value: String::new(),
            seen_header: false,
            consumed: 0,
            total,
        }
    }

    /// Reads the next line into the buffer; `false` at the end of the input.
    fn read_line(&mut self) -> Result<bool, TraceError> {
        self.line.clear();
        let limit = MAX_LINE as u64 + 1;
        let read = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut self.line)
            .map_err(|error| self.error(Problem::Io(error)))?;
        if read == 0 {
            return Ok(false);
        }
        self.consumed += read as u64;
        self.line_number += 1;
        if self.line.len() > MAX_LINE {
            return Err(self.error(Problem::LineTooLong(MAX_LINE)));
        }
        Ok(true)
    }

    fn error(&self, problem: Problem) -> TraceError {
        let text = String::from_utf8_lossy(&self.line);
        let record = (!text.trim().is_empty()).then_some(text.as_ref());
        let position = match self.line_number {
            0 => Position::File,
            line => Position::Line(line),
        };
        TraceError::new(&self.file, position, record, problem)
    }

    /// The fields of the current line without its comment; empty for a blank line.
    fn fields(line: &str) -> impl Iterator<Item = &str> {
        let content = line.split('#').next().unwrap_or("");
        content
            .split([' ', '\t', '\r', '\n'])
            .filter(|field| !field.is_empty())
    }
}

impl<R: BufRead> TraceSource for TextReader<R> {
    fn next_record(&mut self) -> Result<Option<Record<'_>>, TraceError> {
        loop {
            if !self.read_line()? {
                return match self.seen_header {
                    true => Ok(None),
                    false => Err(TraceError::in_file(&self.file, Problem::MissingHeader)),
                };
            }
            if is_blank(&self.line) {
                continue;
            }
            if self.seen_header {
                break;
            }
            let header = std::str::from_utf8(&self.line).map(|line| Self::fields(line).take(3));
            if !header.is_ok_and(|fields| fields.eq(["gctrace", "1"])) {
                // A JSON object first: a heap snapshot given where a trace belongs.
                let problem = match self.line.trim_ascii_start().first() {
                    Some(b'{') => Problem::HeapSnapshot,
                    _ => Problem::BadHeader,
                };
                return Err(self.error(problem));
            }
            self.seen_header = true;
        }
        let Ok(line) = std::str::from_utf8(&self.line) else {
            return Err(self.error(Problem::NotUtf8));
        };
        parse_record(Self::fields(line), &mut self.meta_value)
            .map(Some)
            .map_err(|problem| {
                let position = Position::Line(self.line_number);
                TraceError::new(&self.file, position, Some(line), problem)
            })
    }

    fn error_at_last(&self, problem: Problem) -> TraceError {
        self.error(problem)
    }

    fn position(&self) -> Position {
        Position::Line(self.line_number)
    }

    fn progress(&self) -> (u64, Option<u64>) {
        (self.consumed, self.total)
    }
}

/// Whether a line holds no fields: only spaces, tabs, line ends and maybe a comment.
fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .is_none_or(|&b| b == b'#')
}

/// Parses one record from its fields (at least one). `meta_value` holds a metadata value that
/// spans several fields.
fn parse_record<'a>(
    mut fields: impl Iterator<Item = &'a str>,
    meta_value: &'a mut String,
) -> ProblemResult<Record<'a>> {
    let kind = fields
        .next()
        .ok_or_else(|| Problem::MissingField("record"))?;
    let mut fields = Fields(fields);
    let record = match kind {
        "@" => {
            let key = fields.next("KEY")?;
            meta_value.clear();
            for (index, field) in fields.0.by_ref().enumerate() {
                if index > 0 {
                    meta_value.push(' ');
                }
                meta_value.push_str(field);
            }
            return Ok(Record::Meta {
                key,
                value: meta_value.as_str(),
            });
        }
        "a" => {
            let id = fields.id()?;
            let slots = fields.number("SLOTS", u64::from(u32::MAX))? as u32;
            let bytes = fields.number("BYTES", u64::from(u32::MAX))? as u32;
            let type_label = fields.0.next();
            Record::Alloc {
                id,
                slots,
                bytes,
                type_label,
            }
        }
        "w" => Record::Write {
            id: fields.id()?,
            slot: fields.slot()?,
            value: parse_value(fields.next("VALUE")?)?,
        },
        "r" => Record::Read {
            id: fields.id()?,
            slot: fields.slot()?,
        },
        "+" => Record::AddRoot { id: fields.id()? },
        "-" => Record::DropRoot { id: fields.id()? },
        "gc" => match fields.0.next() {
            None => Record::Gc(GcRequest::Full),
            Some("minor") => Record::Gc(GcRequest::Minor),
            Some(other) => return Err(Problem::ExtraField(other.to_owned())),
        },
        "t" => Record::Think {
            nanos: fields.number("NANOS", MAX_THINK_NANOS)?,
        },
        "e" => Record::External {
            id: fields.id()?,
            bytes: fields.number("BYTES", u64::MAX)?,
        },
        "d" => Record::Dead { id: fields.id()? },
        other => return Err(Problem::UnknownRecord(other.to_owned())),
    };
    match fields.0.next() {
        Some(extra) => Err(Problem::ExtraField(extra.to_owned())),
        None => Ok(record),
    }
}

/// The remaining fields of a record, taken one named field at a time.
struct Fields<I>(I);

impl<'a, I: Iterator<Item = &'a str>> Fields<I> {
    fn next(&mut self, name: &'static str) -> ProblemResult<&'a str> {
        self.0.next().ok_or_else(|| Problem::MissingField(name))
    }

    fn number(&mut self, name: &'static str, max: u64) -> ProblemResult<u64> {
        parse_number(self.next(name)?, name, max)
    }

    fn id(&mut self) -> ProblemResult<u64> {
        self.number("ID", MAX_ID)
    }

    fn slot(&mut self) -> ProblemResult<u32> {
        Ok(self.number("SLOT", u64::from(u32::MAX))? as u32)
    }
}

/// A decimal integer in `0..=max`, read in one pass (this is the text reader's hot loop).
fn parse_number(text: &str, field: &'static str, max: u64) -> ProblemResult<u64> {
    let mut value: u64 = 0;
    let mut overflow = false;
    for byte in text.bytes() {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(Problem::NotANumber {
                field,
                text: text.to_owned(),
            });
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(next) => value = next,
            None => overflow = true,
        }
    }
    if text.is_empty() {
        return Err(Problem::NotANumber {
            field,
            text: text.to_owned(),
        });
    }
    match !overflow && value <= max {
        true => Ok(value),
        false => Err(Problem::OutOfRange {
            field,
            text: text.to_owned(),
            max,
        }),
    }
}

/// A `VALUE`: `null`, `iN`, or an object id.
fn parse_value(text: &str) -> ProblemResult<TraceValue> {
    if text == "null" {
        return Ok(TraceValue::Null);
    }
    if let Some(number) = text.strip_prefix('i') {
        let digits = number.strip_prefix('-').unwrap_or(number);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Problem::BadValue(text.to_owned()));
        }
        return match number.parse::<i64>() {
            Ok(n) if (SMI_MIN..SMI_END).contains(&n) => Ok(TraceValue::Smi(n as i32)),
            _ => Err(Problem::SmiOutOfRange(text.to_owned())),
        };
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_number(text, "VALUE", MAX_ID).map(TraceValue::Object);
    }
    Err(Problem::BadValue(text.to_owned()))
}

/// Reads a whole text trace from memory (tests, small traces).
pub fn from_str<'a>(file: &str, text: &'a str) -> TextReader<io::Cursor<&'a [u8]>> {
    TextReader::new(
        file,
        io::Cursor::new(text.as_bytes()),
        Some(text.len() as u64),
    )
}
