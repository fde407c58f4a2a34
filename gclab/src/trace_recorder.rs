//! The trace recorder: a heap's mutator operations written as a gclab binary trace (`.gctb`),
//! streaming, for any embedder.
//!
//! [`TraceRecorder`] is the [`RecordSink`] that gc-core's recording hands its events to
//! ([`gc_core::mutator_recording`] says what is recorded and how objects keep their ids across
//! moves); it encodes each one with gc-trace's [`BinaryWriter`], which buffers the output and
//! writes it in blocks, so a recording holds no more than a block of the trace in memory. The
//! trace format is the one `gclab replay` reads; nothing is added to it.
//!
//! A recording writes tens of millions of events, so the frequent ones (allocations, stores,
//! roots, deaths) take the writer's per-event methods rather than a [`Record`] each, and an
//! allocation names its label by the index the writer gave it, kept by type id
//! (`label_indices`): a type id names one type, with one label, for the heap's whole life.
//!
//! Invariant: every record written is one the format accepts, or the recording stops with the
//! error: a type label with whitespace (which the format cannot carry) has it replaced by `_`,
//! and a write error (disk full, closed pipe) is returned to the embedder by
//! [`Heap::finish_recording`](gc_core::Heap::finish_recording), never a panic.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use gc_core::{CollectionKind, RecordSink, RecordedEvent, RecordedValue, TypeId};
use gc_trace::binary_writer::{BinaryWriter, IdRecord};
use gc_trace::{GcRequest, Record, TraceSink, TraceValue};

/// Writes recorded events as a binary trace to `W`.
pub struct TraceRecorder<W: Write> {
    writer: BinaryWriter<W>,
    /// The writer's label index of each type's label, by type id, once written.
    label_indices: Vec<Option<u64>>,
}

impl TraceRecorder<File> {
    /// A recorder writing to a new file at `path` (replaced if it exists).
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::new(File::create(path)?)
    }
}

impl<W: Write> TraceRecorder<W> {
    /// The metadata records a recorder writes before the first event: a replay stopped after
    /// a checkpoint's `events` stops at record `events + METADATA_RECORDS`.
    pub const METADATA_RECORDS: u64 = 1;

    /// A recorder writing to `out`; the trace's header and an `@ source gclab-recorder` line
    /// are written now.
    pub fn new(out: W) -> io::Result<Self> {
        let mut writer = BinaryWriter::new(out)?;
        writer.write_record(&Record::Meta {
            key: "source",
            value: "gclab-recorder",
        })?;
        Ok(TraceRecorder {
            writer,
            label_indices: Vec::new(),
        })
    }
}

impl<W: Write> TraceRecorder<W> {
    /// An allocation of a labelled type whose label has no index yet: written with its text,
    /// which gives it one.
    #[cold]
    #[inline(never)]
    fn define_label(
        &mut self,
        id: u64,
        slots: u32,
        bytes: u32,
        type_id: TypeId,
        name: &str,
    ) -> io::Result<()> {
        let label = field_text(name);
        self.writer.write_record(&Record::Alloc {
            id,
            slots,
            bytes,
            type_label: Some(&label),
        })?;
        let index = type_id.index() as usize;
        if self.label_indices.len() <= index {
            self.label_indices.resize(index + 1, None);
        }
        self.label_indices[index] = self.writer.label_index(&label);
        Ok(())
    }
}

impl<W: Write> RecordSink for TraceRecorder<W> {
    #[inline]
    fn record_allocation(
        &mut self,
        id: u64,
        slots: u32,
        bytes: u32,
        type_id: TypeId,
        type_name: Option<&str>,
    ) -> io::Result<()> {
        let known = self.label_indices.get(type_id.index() as usize).copied();
        match (known.flatten(), type_name) {
            (Some(label), _) => self.writer.write_alloc_labelled(id, slots, bytes, label),
            (None, Some(name)) => self.define_label(id, slots, bytes, type_id, name),
            (None, None) => self.writer.write_record(&Record::Alloc {
                id,
                slots,
                bytes,
                type_label: None,
            }),
        }
    }

    #[inline]
    fn record(&mut self, event: RecordedEvent<'_>) -> io::Result<()> {
        match event {
            RecordedEvent::Store { host, slot, value } => {
                self.writer.write_write(host, slot, trace_value(value))
            }
            RecordedEvent::AddRoot(id) => self.writer.write_id_record(IdRecord::AddRoot, id),
            RecordedEvent::DropRoot(id) => self.writer.write_id_record(IdRecord::DropRoot, id),
            RecordedEvent::Dead(id) => self.writer.write_id_record(IdRecord::Dead, id),
            RecordedEvent::Allocate {
                id,
                slots,
                bytes,
                type_name,
            } => {
                let label = type_name.map(field_text);
                self.writer.write_record(&Record::Alloc {
                    id,
                    slots,
                    bytes,
                    type_label: label.as_deref(),
                })
            }
            other => self.writer.write_record(&simple_record(other)),
        }
    }

    #[inline]
    fn record_store(&mut self, host: u64, slot: u32, value: RecordedValue) -> io::Result<()> {
        self.writer.write_write(host, slot, trace_value(value))
    }

    #[inline]
    fn record_add_root(&mut self, id: u64) -> io::Result<()> {
        self.writer.write_id_record(IdRecord::AddRoot, id)
    }

    #[inline]
    fn record_drop_root(&mut self, id: u64) -> io::Result<()> {
        self.writer.write_id_record(IdRecord::DropRoot, id)
    }

    #[inline]
    fn record_dead(&mut self, id: u64) -> io::Result<()> {
        self.writer.write_id_record(IdRecord::Dead, id)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.writer.finish()
    }
}

/// The record of an event that carries no text.
fn simple_record(event: RecordedEvent<'_>) -> Record<'static> {
    match event {
        RecordedEvent::Store { host, slot, value } => Record::Write {
            id: host,
            slot,
            value: trace_value(value),
        },
        RecordedEvent::AddRoot(id) => Record::AddRoot { id },
        RecordedEvent::DropRoot(id) => Record::DropRoot { id },
        RecordedEvent::External { id, bytes } => Record::External { id, bytes },
        RecordedEvent::Collect(CollectionKind::Full) => Record::Gc(GcRequest::Full),
        RecordedEvent::Collect(CollectionKind::Young) => Record::Gc(GcRequest::Minor),
        RecordedEvent::Dead(id) => Record::Dead { id },
        // Allocations carry a label; `record` writes them itself.
        RecordedEvent::Allocate {
            id, slots, bytes, ..
        } => Record::Alloc {
            id,
            slots,
            bytes,
            type_label: None,
        },
    }
}

#[inline(always)]
fn trace_value(value: RecordedValue) -> TraceValue {
    match value {
        RecordedValue::Null => TraceValue::Null,
        RecordedValue::Smi(n) => TraceValue::Smi(n),
        RecordedValue::Object(id) => TraceValue::Object(id),
    }
}

/// `text` as one field of the format: whitespace, which separates fields, becomes `_`.
fn field_text(text: &str) -> Cow<'_, str> {
    match text.contains(char::is_whitespace) {
        false => Cow::Borrowed(text),
        true => Cow::Owned(text.replace(char::is_whitespace, "_")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that keeps what it was given where the test can read it.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_per_event_methods_write_what_record_writes() {
        let (by_kind, by_record) = (Shared::default(), Shared::default());
        let mut fast = TraceRecorder::new(by_kind.clone()).unwrap();
        let mut slow = TraceRecorder::new(by_record.clone()).unwrap();
        let node = TypeId::from_index(0);
        for recorder in [&mut fast, &mut slow] {
            recorder
                .record_allocation(1, 2, 0, node, Some("Node"))
                .unwrap();
            recorder
                .record_allocation(2, 0, 8, node, Some("Node"))
                .unwrap();
        }
        let events = [
            RecordedEvent::Store {
                host: 1,
                slot: 0,
                value: RecordedValue::Object(2),
            },
            RecordedEvent::Store {
                host: 1,
                slot: 1,
                value: RecordedValue::Smi(-7),
            },
            RecordedEvent::Store {
                host: 2,
                slot: 0,
                value: RecordedValue::Null,
            },
            RecordedEvent::AddRoot(2),
            RecordedEvent::DropRoot(1),
            RecordedEvent::DropRoot(2),
            RecordedEvent::Dead(1),
        ];
        for event in events {
            match event {
                RecordedEvent::Store { host, slot, value } => fast.record_store(host, slot, value),
                RecordedEvent::AddRoot(id) => fast.record_add_root(id),
                RecordedEvent::DropRoot(id) => fast.record_drop_root(id),
                RecordedEvent::Dead(id) => fast.record_dead(id),
                _ => unreachable!("not among the events above"),
            }
            .unwrap();
            slow.record(event).unwrap();
        }
        fast.finish().unwrap();
        slow.finish().unwrap();
        assert_eq!(*by_kind.0.borrow(), *by_record.0.borrow());
        assert!(by_kind.0.borrow().len() > 20);
    }

    #[test]
    fn labels_with_spaces_become_one_field() {
        assert_eq!(field_text("Node"), "Node");
        assert_eq!(field_text("a b\tc"), "a_b_c");
    }
}
