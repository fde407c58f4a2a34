//! The peer trace: a gclab trace rewritten for another runtime's replayer (V8's, HotSpot's), so
//! that the replayer's loop is array indexing and nothing else.
//!
//! Each object incarnation gets a dense index into one table of strong references, reused once
//! the object is forgotten. The table is the replayer's whole root set, and it holds exactly the
//! objects gclab's replay keeps alive: an object stays in it until the last record that mentions
//! it (a valid trace mentions only reachable objects, and an unreachable object never becomes
//! reachable again, so keeping it that long keeps nothing gclab would free), and then leaves it
//! (`FORGET`) unless it still holds a root reference, in which case it stays to the end, as
//! gclab's root does. So the replayer needs no weak references and no root counts, which would
//! change the work of the collector being measured.
//!
//! Knowing the last mention takes a first pass over the trace: two bits per record (the record's
//! object, the object its value names) marking the records after which an object is not
//! mentioned again. Memory: those bits and the live objects' ids.
//!
//! The format, little-endian: the magic `GCLABPR1`, the table's length (`u32`), then operations,
//! each an opcode byte and its fields, ending with `END`:
//!
//! | op | fields | meaning |
//! |---|---|---|
//! | `ALLOC` 1 | index, slots, bytes (`u32` each) | a new object of `slots` null references and `bytes` raw bytes into `table[index]` |
//! | `WRITE` 2 | index, slot, target index | `table[index].slots[slot] = table[target]` |
//! | `CLEAR` 3 | index, slot | `table[index].slots[slot] = null` (a null or a small integer) |
//! | `READ` 4 | index, slot | load `table[index].slots[slot]` |
//! | `GC_FULL` 5, `GC_MINOR` 6 | | the runtime's explicit collection |
//! | `THINK` 7 | nanoseconds (`u64`) | compute that long without touching the heap |
//! | `EXTERNAL` 8 | index, bytes (`u64`) | the object now owns that much off-heap memory |
//! | `FORGET` 9 | index | `table[index] = null` |
//! | `END` 0 | | |

use std::io::{self, BufWriter, Seek, SeekFrom, Write};

use std::num::NonZeroU64;

use gc_trace::id_table::IdTable;
use gc_trace::{GcRequest, Problem, Record, TraceError, TraceSource, TraceValue};

pub const MAGIC: &[u8; 8] = b"GCLABPR1";

/// The opcodes.
pub mod op {
    pub const END: u8 = 0;
    pub const ALLOC: u8 = 1;
    pub const WRITE: u8 = 2;
    pub const CLEAR: u8 = 3;
    pub const READ: u8 = 4;
    pub const GC_FULL: u8 = 5;
    pub const GC_MINOR: u8 = 6;
    pub const THINK: u8 = 7;
    pub const EXTERNAL: u8 = 8;
    pub const FORGET: u8 = 9;
}

/// Which object of a record a last-mention bit is about.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Role {
    /// The record's `ID`.
    Subject,
    /// The object a `w` record stores.
    Value,
}

/// Two bits per record: after record `r`, its subject (bit `2r`) or its value (bit `2r + 1`) is
/// not mentioned again.
#[derive(Default)]
pub struct LastMentions {
    bits: Vec<u64>,
}

impl LastMentions {
    fn bit(record: u64, role: Role) -> u64 {
        2 * record + u64::from(role == Role::Value)
    }

    fn set(&mut self, bit: u64) {
        let word = (bit / 64) as usize;
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        self.bits[word] |= 1 << (bit % 64);
    }

    fn is_set(&self, record: u64, role: Role) -> bool {
        let bit = Self::bit(record, role);
        self.bits
            .get((bit / 64) as usize)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    /// The first pass: where each object incarnation is mentioned last. Ids are taken as the
    /// trace gives them; [`write_peer_trace`] checks them.
    pub fn of<S: TraceSource>(source: &mut S) -> Result<LastMentions, TraceError> {
        let mut mentions = LastMentions::default();
        // Each id's last mention so far, as its bit plus one. An id table, not a hash map: a
        // trace without `d` records keeps every id it ever saw here, and ids mostly come in
        // runs.
        let mut last: IdTable<NonZeroU64> = IdTable::new();
        let mut record = 0u64;
        while let Some(next) = source.next_record()? {
            let (subject, value) = mentioned(&next);
            if let Record::Alloc { id, .. } = next
                && let Some(bit) = last.remove(id)
            {
                // The id's previous incarnation, declared dead, ended there.
                mentions.set(bit.get() - 1);
            }
            if let Some(id) = subject {
                mentioned_at(&mut last, id, Self::bit(record, Role::Subject));
            }
            if let Some(id) = value {
                mentioned_at(&mut last, id, Self::bit(record, Role::Value));
            }
            record += 1;
        }
        for (_, bit) in last.iter() {
            mentions.set(bit.get() - 1);
        }
        Ok(mentions)
    }
}

/// `id`'s last mention so far is `bit`.
fn mentioned_at(last: &mut IdTable<NonZeroU64>, id: u64, bit: u64) {
    let bit = NonZeroU64::MIN.saturating_add(bit);
    match last.get_mut(id) {
        Some(previous) => *previous = bit,
        None => {
            let _ = last.insert_new(id, bit);
        }
    }
}

/// The objects a record mentions: its subject and the object it stores. `d` mentions nothing:
/// it says the object is already unreachable.
fn mentioned(record: &Record<'_>) -> (Option<u64>, Option<u64>) {
    match *record {
        Record::Alloc { id, .. }
        | Record::Read { id, .. }
        | Record::AddRoot { id }
        | Record::DropRoot { id }
        | Record::External { id, .. } => (Some(id), None),
        Record::Write { id, value, .. } => match value {
            TraceValue::Object(target) => (Some(id), Some(target)),
            _ => (Some(id), None),
        },
        Record::Meta { .. } | Record::Gc(_) | Record::Think { .. } | Record::Dead { .. } => {
            (None, None)
        }
    }
}

/// A live object of the second pass.
struct Live {
    index: u32,
    slots: u32,
    roots: u32,
}

/// What a conversion wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerTraceSummary {
    /// The table's length: the most objects alive in it at once.
    pub table_len: u32,
    pub operations: u64,
}

/// The second pass: the operations, into `out`, streaming; the header's table length is
/// written last, when it is known. `mentions` is the first pass's over the same trace.
pub fn write_peer_trace<S: TraceSource, W: Write + Seek>(
    source: &mut S,
    mentions: &LastMentions,
    out: W,
) -> Result<PeerTraceSummary, PeerTraceError> {
    let mut out = BufWriter::new(out);
    out.write_all(MAGIC)?;
    out.write_all(&[0; 8])?;
    let mut writer = Converter {
        live: IdTable::new(),
        free: Vec::new(),
        table_len: 0,
        operations: 0,
        out: &mut out,
    };
    let mut record = 0u64;
    while let Some(next) = source.next_record()? {
        writer
            .convert(&next, record, mentions)
            .map_err(|problem| match problem {
                Failure::Trace(problem) => PeerTraceError::Trace(source.error_at_last(problem)),
                Failure::Io(error) => PeerTraceError::Io(error),
            })?;
        record += 1;
    }
    writer.out.write_all(&[op::END])?;
    let summary = PeerTraceSummary {
        table_len: writer.table_len,
        operations: writer.operations,
    };
    out.seek(SeekFrom::Start(MAGIC.len() as u64))?;
    out.write_all(&summary.table_len.to_le_bytes())?;
    out.flush()?;
    Ok(summary)
}

#[derive(Debug, thiserror::Error)]
pub enum PeerTraceError {
    #[error("{0}")]
    Trace(#[from] TraceError),
    #[error("cannot write the peer trace: {0}")]
    Io(#[from] io::Error),
}

enum Failure {
    Trace(Problem),
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Io(error)
    }
}

struct Converter<'o, W: Write> {
    live: IdTable<Live>,
    free: Vec<u32>,
    table_len: u32,
    operations: u64,
    out: &'o mut W,
}

impl<W: Write> Converter<'_, W> {
    fn convert(
        &mut self,
        record: &Record<'_>,
        at: u64,
        mentions: &LastMentions,
    ) -> Result<(), Failure> {
        match *record {
            Record::Alloc {
                id, slots, bytes, ..
            } => self.alloc(id, slots, bytes)?,
            Record::Write { id, slot, value } => self.write(id, slot, value)?,
            Record::Read { id, slot } => {
                let index = self.slot(id, slot)?;
                self.emit(op::READ, &[index, slot])?;
            }
            Record::AddRoot { id } => {
                let live = self.object(id)?;
                live.roots = live
                    .roots
                    .checked_add(1)
                    .ok_or(Failure::Trace(Problem::RootCountOverflow(id)))?;
            }
            Record::DropRoot { id } => {
                let live = self.object(id)?;
                // gclab's replay says the same of a `-` for an object without roots.
                live.roots = live
                    .roots
                    .checked_sub(1)
                    .ok_or(Failure::Trace(Problem::RootCountBelowZero(id)))?;
            }
            Record::External { id, bytes } => {
                let index = self.object(id)?.index;
                self.emit(op::EXTERNAL, &[index])?;
                self.out.write_all(&bytes.to_le_bytes())?;
            }
            Record::Gc(GcRequest::Full) => self.emit(op::GC_FULL, &[])?,
            Record::Gc(GcRequest::Minor) => self.emit(op::GC_MINOR, &[])?,
            Record::Think { nanos } => {
                self.emit(op::THINK, &[])?;
                self.out.write_all(&nanos.to_le_bytes())?;
            }
            Record::Meta { .. } | Record::Dead { .. } => {}
        }
        let (subject, value) = mentioned(record);
        if let Some(id) = subject.filter(|_| mentions.is_set(at, Role::Subject)) {
            self.release(id)?;
        }
        if let Some(id) = value.filter(|_| mentions.is_set(at, Role::Value)) {
            self.release(id)?;
        }
        Ok(())
    }

    fn alloc(&mut self, id: u64, slots: u32, bytes: u32) -> Result<(), Failure> {
        if self.live.contains(id) {
            return Err(Failure::Trace(Problem::AlreadyLive(id)));
        }
        let index = self.free.pop().unwrap_or_else(|| {
            self.table_len += 1;
            self.table_len - 1
        });
        let live = Live {
            index,
            slots,
            roots: 1,
        };
        let _ = self.live.insert_new(id, live);
        Ok(self.emit(op::ALLOC, &[index, slots, bytes])?)
    }

    fn write(&mut self, id: u64, slot: u32, value: TraceValue) -> Result<(), Failure> {
        let index = self.slot(id, slot)?;
        match value {
            TraceValue::Object(target) => {
                let target = self.object(target)?.index;
                Ok(self.emit(op::WRITE, &[index, slot, target])?)
            }
            TraceValue::Null | TraceValue::Smi(_) => Ok(self.emit(op::CLEAR, &[index, slot])?),
        }
    }

    fn object(&mut self, id: u64) -> Result<&mut Live, Failure> {
        self.live
            .get_mut(id)
            .ok_or(Failure::Trace(Problem::NotLive(id)))
    }

    /// The index of `id`, whose slot `slot` must exist.
    fn slot(&mut self, id: u64, slot: u32) -> Result<u32, Failure> {
        let live = self.object(id)?;
        match slot < live.slots {
            true => Ok(live.index),
            false => Err(Failure::Trace(Problem::SlotOutOfRange {
                id,
                slot,
                slots: live.slots,
            })),
        }
    }

    /// After the last mention of `id`: forgotten, unless a root holds it to the end.
    fn release(&mut self, id: u64) -> io::Result<()> {
        if self.live.get_mut(id).is_some_and(|live| live.roots == 0)
            && let Some(live) = self.live.remove(id)
        {
            self.free.push(live.index);
            self.emit(op::FORGET, &[live.index])?;
        }
        Ok(())
    }

    fn emit(&mut self, opcode: u8, fields: &[u32]) -> io::Result<()> {
        self.operations += 1;
        self.out.write_all(&[opcode])?;
        for field in fields {
            self.out.write_all(&field.to_le_bytes())?;
        }
        Ok(())
    }
}
