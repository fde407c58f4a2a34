//! Writes gclab's binary trace format (`.gctb`, layout in [`super::binary_format`]).
//!
//! The writer keeps the two pieces of state the encoding depends on: the previous id (ids are
//! stored as deltas against it) and the table of type labels defined so far (a label's text is
//! written once, later uses name its index). It checks every record against the text format's
//! ranges before encoding it, so a file it wrote always reads back, and converts to text, without
//! loss; a record it refuses leaves the output untouched.
//!
//! Besides [`TraceSink::write_record`], the writer has one method per frequent event
//! ([`BinaryWriter::write_alloc_labelled`], [`BinaryWriter::write_write`],
//! [`BinaryWriter::write_id_record`]) for a producer that writes tens of millions of them (a
//! heap recorder): no [`Record`] is built and only the checks the event can fail are made. They
//! write the same bytes `write_record` writes for the same record, and keep the same invariant.

use std::io::{self, Write};

use hashbrown::HashMap;

use super::TraceSink;
use super::binary_format::{
    MAGIC, VERSION, id_delta, is_field, is_meta_value, op, put_varint, zigzag,
};
use super::record::{GcRequest, MAX_ID, MAX_THINK_NANOS, Record, SMI_END, SMI_MIN, TraceValue};

/// How many encoded bytes are collected before they go to the output in one `write_all`: a
/// record is a few bytes, and an unbuffered `File` would make each one a system call.
const FLUSH_AT: usize = 64 * 1024;

/// A [`TraceSink`] that encodes records in the binary format. Call [`TraceSink::finish`] at the
/// end: without its end marker the file reads as cut short.
#[derive(Debug)]
pub struct BinaryWriter<W: Write> {
    out: W,
    buffer: Vec<u8>,
    previous_id: u64,
    labels: HashMap<String, u64>,
    seen_event: bool,
    finished: bool,
}

impl<W: Write> BinaryWriter<W> {
    /// Writes the header (magic and version) to `out`.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut header = MAGIC.to_vec();
        put_varint(&mut header, VERSION);
        out.write_all(&header)?;
        Ok(BinaryWriter {
            out,
            buffer: Vec::with_capacity(FLUSH_AT + 64),
            previous_id: 0,
            labels: HashMap::new(),
            seen_event: false,
            finished: false,
        })
    }

    /// The output, after [`TraceSink::finish`] (before it, buffered records are lost).
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Encodes `record`; `label_index` is its label's index if the label has one already.
    fn encode(&mut self, record: &Record<'_>, label_index: Option<u64>) {
        let opcode = self.opcode(record, label_index);
        self.buffer.push(opcode);
        match *record {
            Record::Meta { key, value } => {
                self.put_text(key);
                self.put_text(value);
            }
            Record::Alloc {
                id,
                slots,
                bytes,
                type_label,
            } => {
                self.put_id(id);
                put_varint(&mut self.buffer, slots.into());
                put_varint(&mut self.buffer, bytes.into());
                if let Some(label) = type_label {
                    self.put_label(label, label_index);
                }
            }
            Record::Write { id, slot, value } => {
                self.put_id(id);
                put_varint(&mut self.buffer, slot.into());
                match value {
                    TraceValue::Null => {}
                    TraceValue::Smi(n) => put_varint(&mut self.buffer, zigzag(n.into())),
                    TraceValue::Object(target) => self.put_id(target),
                }
            }
            Record::Read { id, slot } => {
                self.put_id(id);
                put_varint(&mut self.buffer, slot.into());
            }
            Record::AddRoot { id } | Record::DropRoot { id } | Record::Dead { id } => {
                self.put_id(id);
            }
            Record::Gc(_) => {}
            Record::Think { nanos } => put_varint(&mut self.buffer, nanos),
            Record::External { id, bytes } => {
                self.put_id(id);
                put_varint(&mut self.buffer, bytes);
            }
        }
    }

    fn opcode(&self, record: &Record<'_>, label_index: Option<u64>) -> u8 {
        match *record {
            Record::Meta { .. } => op::META,
            Record::Alloc {
                type_label: None, ..
            } => op::ALLOC,
            Record::Alloc {
                type_label: Some(_),
                ..
            } => match label_index {
                Some(_) => op::ALLOC_LABEL,
                None => op::ALLOC_NEW_LABEL,
            },
            Record::Write { value, .. } => match value {
                TraceValue::Null => op::WRITE_NULL,
                TraceValue::Smi(_) => op::WRITE_SMI,
                TraceValue::Object(_) => op::WRITE_OBJECT,
            },
            Record::Read { .. } => op::READ,
            Record::AddRoot { .. } => op::ADD_ROOT,
            Record::DropRoot { .. } => op::DROP_ROOT,
            Record::Gc(GcRequest::Full) => op::GC_FULL,
            Record::Gc(GcRequest::Minor) => op::GC_MINOR,
            Record::Think { .. } => op::THINK,
            Record::External { .. } => op::EXTERNAL,
            Record::Dead { .. } => op::DEAD,
        }
    }

    fn put_id(&mut self, id: u64) {
        put_varint(&mut self.buffer, id_delta(self.previous_id, id));
        self.previous_id = id;
    }

    fn put_text(&mut self, text: &str) {
        put_varint(&mut self.buffer, text.len() as u64);
        self.buffer.extend_from_slice(text.as_bytes());
    }

    /// Writes the label's index if it has one, else its text, which gives it the next index.
    /// Must agree with [`Self::opcode`], which chose between the two by the same lookup.
    fn put_label(&mut self, label: &str, index: Option<u64>) {
        match index {
            Some(index) => put_varint(&mut self.buffer, index),
            None => {
                let index = self.labels.len() as u64;
                self.labels.insert(label.to_owned(), index);
                self.put_text(label);
            }
        }
    }

    /// The index of a label the writer has defined, if it has: a producer that writes the same
    /// labels many times can keep it and write with [`Self::write_alloc_labelled`].
    pub fn label_index(&self, label: &str) -> Option<u64> {
        self.labels.get(label).copied()
    }

    /// Writes `a ID SLOTS BYTES LABEL` for the label that [`Self::label_index`] gave `label`
    /// (what `write_record` writes for it, without looking the label up).
    #[inline(always)]
    pub fn write_alloc_labelled(
        &mut self,
        id: u64,
        slots: u32,
        bytes: u32,
        label: u64,
    ) -> io::Result<()> {
        self.check_event(id <= MAX_ID && label < self.labels.len() as u64)?;
        self.buffer.push(op::ALLOC_LABEL);
        self.push_id(id);
        push_varint(&mut self.buffer, slots.into());
        push_varint(&mut self.buffer, bytes.into());
        push_varint(&mut self.buffer, label);
        self.flush_if_full()
    }

    /// Writes `w ID SLOT VALUE`, as `write_record` does.
    #[inline(always)]
    pub fn write_write(&mut self, id: u64, slot: u32, value: TraceValue) -> io::Result<()> {
        let (opcode, value_ok) = match value {
            TraceValue::Null => (op::WRITE_NULL, true),
            TraceValue::Smi(n) => (op::WRITE_SMI, (SMI_MIN..SMI_END).contains(&n.into())),
            TraceValue::Object(target) => (op::WRITE_OBJECT, target <= MAX_ID),
        };
        self.check_event(id <= MAX_ID && value_ok)?;
        self.buffer.push(opcode);
        self.push_id(id);
        push_varint(&mut self.buffer, slot.into());
        match value {
            TraceValue::Null => {}
            TraceValue::Smi(n) => push_varint(&mut self.buffer, zigzag(n.into())),
            TraceValue::Object(target) => self.push_id(target),
        }
        self.flush_if_full()
    }

    /// Writes a record of one id: `+ ID`, `- ID` or `d ID`, as `write_record` does.
    #[inline(always)]
    pub fn write_id_record(&mut self, kind: IdRecord, id: u64) -> io::Result<()> {
        self.check_event(id <= MAX_ID)?;
        self.buffer.push(match kind {
            IdRecord::AddRoot => op::ADD_ROOT,
            IdRecord::DropRoot => op::DROP_ROOT,
            IdRecord::Dead => op::DEAD,
        });
        self.push_id(id);
        self.flush_if_full()
    }

    /// The checks every event makes: the writer is open and the fields (`valid`) in range. An
    /// event sets `seen_event` (no metadata may follow).
    #[inline(always)]
    fn check_event(&mut self, valid: bool) -> io::Result<()> {
        if self.finished || !valid {
            return Err(self.refused());
        }
        self.seen_event = true;
        Ok(())
    }

    #[cold]
    fn refused(&self) -> io::Error {
        match self.finished {
            true => io::Error::other("record written after finish"),
            false => io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot write a record: a number out of range",
            ),
        }
    }

    /// An id as its delta against the previous one, which it becomes.
    #[inline(always)]
    fn push_id(&mut self, id: u64) {
        push_varint(&mut self.buffer, id_delta(self.previous_id, id));
        self.previous_id = id;
    }

    #[inline(always)]
    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buffer.len() >= FLUSH_AT {
            self.flush_buffer()?;
        }
        Ok(())
    }

    fn flush_buffer(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(())
    }
}

/// The records of one id that [`BinaryWriter::write_id_record`] writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IdRecord {
    AddRoot,
    DropRoot,
    Dead,
}

/// LEB128 into the buffer, as [`put_varint`] writes it, inlined into the fast paths.
#[inline(always)]
fn push_varint(buffer: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buffer.push(value as u8 | 0x80);
        value >>= 7;
    }
    buffer.push(value as u8);
}

/// Checks a record against the text format's rules: what the reader would reject, or what would
/// not survive a conversion to text. A `known_label` was checked when it was first written.
fn validate(record: &Record<'_>, seen_event: bool, known_label: bool) -> Result<(), &'static str> {
    let id_ok = |id: u64| id <= MAX_ID;
    let ok = match *record {
        Record::Meta { .. } if seen_event => return Err("metadata after the first event"),
        Record::Meta { key, value } => is_field(key) && is_meta_value(value),
        Record::Alloc { id, type_label, .. } => {
            id_ok(id) && (known_label || type_label.is_none_or(is_field))
        }
        Record::Write { id, value, .. } => {
            id_ok(id)
                && match value {
                    TraceValue::Null => true,
                    TraceValue::Smi(n) => (SMI_MIN..SMI_END).contains(&n.into()),
                    TraceValue::Object(target) => id_ok(target),
                }
        }
        Record::Think { nanos } => nanos <= MAX_THINK_NANOS,
        Record::Gc(_) => true,
        Record::Read { id, .. }
        | Record::AddRoot { id }
        | Record::DropRoot { id }
        | Record::External { id, .. }
        | Record::Dead { id } => id_ok(id),
    };
    match ok {
        true => Ok(()),
        false => Err("a number out of range, or a text the text format cannot carry"),
    }
}

impl<W: Write> TraceSink for BinaryWriter<W> {
    /// Encodes one record. A record outside the format's ranges, a label or metadata text with
    /// whitespace, or metadata after an event is an `InvalidInput` error and writes nothing.
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        if self.finished {
            return Err(io::Error::other("record written after finish"));
        }
        // One lookup of the label serves the check, the opcode and the encoding.
        let label_index = match *record {
            Record::Alloc {
                type_label: Some(label),
                ..
            } => self.labels.get(label).copied(),
            _ => None,
        };
        validate(record, self.seen_event, label_index.is_some()).map_err(|why| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot write `{record}`: {why}"),
            )
        })?;
        self.seen_event |= record.is_event();
        self.encode(record, label_index);
        if self.buffer.len() >= FLUSH_AT {
            self.flush_buffer()?;
        }
        Ok(())
    }

    /// Writes the end marker and flushes. Later records are refused.
    fn finish(&mut self) -> io::Result<()> {
        if !self.finished {
            self.buffer.push(op::END);
            self.finished = true;
        }
        self.flush_buffer()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(records: &[Record<'_>]) -> Vec<u8> {
        let mut writer = BinaryWriter::new(Vec::new()).expect("header");
        for record in records {
            writer.write_record(record).expect("valid record");
        }
        writer.finish().expect("finish");
        writer.into_inner()
    }

    #[test]
    fn layout_of_a_small_trace() {
        let node = |id| Record::Alloc {
            id,
            slots: 2,
            bytes: 0,
            type_label: Some("Node"),
        };
        let bytes = written(&[
            node(1),
            node(2),
            Record::Write {
                id: 1,
                slot: 0,
                value: TraceValue::Object(2),
            },
            Record::DropRoot { id: 2 },
            Record::Gc(GcRequest::Minor),
        ]);
        #[rustfmt::skip]
        let expected = [
            b'G', b'C', b'T', b'B', 1,
            op::ALLOC_NEW_LABEL, 2, 2, 0, 4, b'N', b'o', b'd', b'e', // id 1: delta +1
            op::ALLOC_LABEL, 2, 2, 0, 0,                             // id 2: +1, label 0
            op::WRITE_OBJECT, 1, 0, 2,                               // id 1: -1, value 2: +1
            op::DROP_ROOT, 0,                                        // id 2: same as the last
            op::GC_MINOR,
            op::END,
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn the_fast_paths_write_what_write_record_writes() {
        let records = [
            Record::Alloc {
                id: 1,
                slots: 2,
                bytes: 300,
                type_label: Some("Node"),
            },
            Record::Alloc {
                id: 70_000,
                slots: 0,
                bytes: 8,
                type_label: Some("Node"),
            },
            Record::Write {
                id: 1,
                slot: 1,
                value: TraceValue::Object(70_000),
            },
            Record::Write {
                id: 70_000,
                slot: 200,
                value: TraceValue::Smi(-(1 << 30)),
            },
            Record::Write {
                id: 3,
                slot: 0,
                value: TraceValue::Null,
            },
            Record::AddRoot { id: MAX_ID },
            Record::DropRoot { id: 0 },
            Record::Dead { id: 5 },
        ];
        let mut fast = BinaryWriter::new(Vec::new()).expect("header");
        fast.write_record(&records[0]).expect("defines the label");
        let label = fast.label_index("Node").expect("defined");
        for record in &records[1..] {
            match *record {
                Record::Alloc {
                    id, slots, bytes, ..
                } => fast.write_alloc_labelled(id, slots, bytes, label),
                Record::Write { id, slot, value } => fast.write_write(id, slot, value),
                Record::AddRoot { id } => fast.write_id_record(IdRecord::AddRoot, id),
                Record::DropRoot { id } => fast.write_id_record(IdRecord::DropRoot, id),
                Record::Dead { id } => fast.write_id_record(IdRecord::Dead, id),
                _ => unreachable!("not among the records above"),
            }
            .expect("valid record");
        }
        fast.finish().expect("finish");
        assert_eq!(fast.into_inner(), written(&records));
    }

    #[test]
    fn the_fast_paths_refuse_what_write_record_refuses() {
        let mut writer = BinaryWriter::new(Vec::new()).expect("header");
        assert!(writer.write_alloc_labelled(1, 0, 0, 0).is_err(), "no label");
        assert!(writer.write_write(1, 0, TraceValue::Smi(1 << 30)).is_err());
        assert!(writer.write_id_record(IdRecord::Dead, MAX_ID + 1).is_err());
        writer.finish().expect("finish");
        assert!(writer.write_id_record(IdRecord::Dead, 1).is_err());
        assert_eq!(writer.into_inner(), b"GCTB\x01\x00");
    }

    #[test]
    fn invalid_records_are_refused_and_write_nothing() {
        let invalid = [
            Record::AddRoot { id: MAX_ID + 1 },
            Record::Think {
                nanos: MAX_THINK_NANOS + 1,
            },
            Record::Write {
                id: 1,
                slot: 0,
                value: TraceValue::Smi(1 << 30),
            },
            Record::Write {
                id: 1,
                slot: 0,
                value: TraceValue::Object(u64::MAX),
            },
            Record::Alloc {
                id: 1,
                slots: 0,
                bytes: 0,
                type_label: Some("two words"),
            },
            Record::Meta {
                key: "",
                value: "x",
            },
            Record::Meta {
                key: "k",
                value: "a  b",
            },
        ];
        for record in invalid {
            let mut writer = BinaryWriter::new(Vec::new()).expect("header");
            let error = writer.write_record(&record).expect_err("invalid");
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{record:?}");
            writer.finish().expect("finish");
            assert_eq!(writer.into_inner(), b"GCTB\x01\x00", "{record:?}");
        }
    }

    #[test]
    fn metadata_after_an_event_is_refused() {
        let mut writer = BinaryWriter::new(Vec::new()).expect("header");
        writer
            .write_record(&Record::Gc(GcRequest::Full))
            .expect("gc");
        let meta = Record::Meta {
            key: "late",
            value: "",
        };
        assert!(writer.write_record(&meta).is_err());
    }

    #[test]
    fn records_after_finish_are_refused() {
        let mut writer = BinaryWriter::new(Vec::new()).expect("header");
        writer.finish().expect("finish");
        assert!(writer.write_record(&Record::Gc(GcRequest::Full)).is_err());
        writer.finish().expect("a second finish writes nothing");
        assert_eq!(writer.into_inner(), b"GCTB\x01\x00");
    }
}
