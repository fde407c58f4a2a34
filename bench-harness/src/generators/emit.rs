//! The generators' pen: writes records into a [`TraceSink`] and hands out object ids.
//!
//! Ids from [`Emitter::alloc`] count up from 1 and are never reused, so the objects a recursive
//! builder allocates form one contiguous range ([`Emitter::next_id`] before, [`Emitter::last_id`]
//! after) and a dead structure's `d` records need no list of its ids. A generator that reuses
//! ids (random) names them itself with [`Emitter::alloc_id`] and must not mix the two.

use std::io;
use std::ops::RangeInclusive;

use gc_trace::{GcRequest, Record, TraceSink, TraceValue};

pub(crate) struct Emitter<'s> {
    sink: &'s mut dyn TraceSink,
    next_id: u64,
}

impl<'s> Emitter<'s> {
    pub fn new(sink: &'s mut dyn TraceSink) -> Self {
        Emitter { sink, next_id: 1 }
    }

    fn put(&mut self, record: Record<'_>) -> io::Result<()> {
        self.sink.write_record(&record)
    }

    /// The `@ source` metadata; must come before the first event.
    pub fn source(&mut self, value: &str) -> io::Result<()> {
        self.put(Record::Meta {
            key: "source",
            value,
        })
    }

    /// The id the next [`Emitter::alloc`] returns.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The id the last [`Emitter::alloc`] returned.
    pub fn last_id(&self) -> u64 {
        self.next_id - 1
    }

    /// `a` with a fresh id, which it returns; the object holds one root.
    pub fn alloc(&mut self, slots: u32, bytes: u32, label: &'static str) -> io::Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.alloc_id(id, slots, bytes, Some(label))?;
        Ok(id)
    }

    /// `a` with an id the caller chose.
    pub fn alloc_id(
        &mut self,
        id: u64,
        slots: u32,
        bytes: u32,
        type_label: Option<&str>,
    ) -> io::Result<()> {
        self.put(Record::Alloc {
            id,
            slots,
            bytes,
            type_label,
        })
    }

    /// `w ID SLOT VALUE`.
    pub fn write(&mut self, id: u64, slot: u32, value: TraceValue) -> io::Result<()> {
        self.put(Record::Write { id, slot, value })
    }

    /// `w ID SLOT TARGET` for an object target.
    pub fn store(&mut self, id: u64, slot: u32, target: u64) -> io::Result<()> {
        self.write(id, slot, TraceValue::Object(target))
    }

    /// Stores a rooted `child` where it lives, then drops its root: the common end of a `new`.
    pub fn adopt(&mut self, parent: u64, slot: u32, child: u64) -> io::Result<()> {
        self.store(parent, slot, child)?;
        self.unroot(child)
    }

    pub fn read(&mut self, id: u64, slot: u32) -> io::Result<()> {
        self.put(Record::Read { id, slot })
    }

    pub fn root(&mut self, id: u64) -> io::Result<()> {
        self.put(Record::AddRoot { id })
    }

    pub fn unroot(&mut self, id: u64) -> io::Result<()> {
        self.put(Record::DropRoot { id })
    }

    pub fn dead(&mut self, id: u64) -> io::Result<()> {
        self.put(Record::Dead { id })
    }

    /// `d` for every id of a structure [`Emitter::alloc`] built in one go.
    pub fn dead_range(&mut self, ids: RangeInclusive<u64>) -> io::Result<()> {
        ids.into_iter().try_for_each(|id| self.dead(id))
    }

    pub fn gc(&mut self, request: GcRequest) -> io::Result<()> {
        self.put(Record::Gc(request))
    }

    pub fn think(&mut self, nanos: u64) -> io::Result<()> {
        self.put(Record::Think { nanos })
    }

    pub fn external(&mut self, id: u64, bytes: u64) -> io::Result<()> {
        self.put(Record::External { id, bytes })
    }

    pub fn finish(&mut self) -> io::Result<()> {
        self.sink.finish()
    }
}
