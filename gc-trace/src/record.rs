//! One event of a trace, as every reader produces and every writer consumes it.
//!
//! A [`Record`] borrows its strings (a type label, a metadata value) from the reader's buffer or
//! memory map, so reading allocates nothing per record. The limits below are the ranges the
//! specification (`shared/trace-format.md`) and gc-core allow; readers reject anything outside
//! them as "a number out of range", so no number in a trace can make gclab allocate or wait
//! without bound.

use std::fmt;

/// The largest object id: ids are decimal integers below 2^63.
pub const MAX_ID: u64 = (1 << 63) - 1;
/// The smallest and one past the largest SMI a `VALUE` may hold: -2^30 <= N < 2^30.
pub const SMI_MIN: i64 = -(1 << 30);
pub const SMI_END: i64 = 1 << 30;
/// The longest a single `t` record may compute: one minute. A longer pause between heap events
/// says nothing a minute does not, and a bounded spin keeps a hostile trace from hanging gclab.
pub const MAX_THINK_NANOS: u64 = 60_000_000_000;

/// A `VALUE`: what a `w` record stores.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TraceValue {
    Null,
    /// A small integer in [`SMI_MIN`], [`SMI_END`).
    Smi(i32),
    /// A reference to the object with this id.
    Object(u64),
}

/// The collection a `gc` record asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum GcRequest {
    /// `gc`: a full collection.
    Full,
    /// `gc minor`: a young-generation collection.
    Minor,
}

/// One line of a trace (comments, blank lines and the header are not records).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Record<'a> {
    /// `@ KEY VALUE...`: `value` is the remaining fields joined by single spaces (maybe empty).
    Meta { key: &'a str, value: &'a str },
    /// `a ID SLOTS BYTES [TYPE]`
    Alloc {
        id: u64,
        slots: u32,
        bytes: u32,
        type_label: Option<&'a str>,
    },
    /// `w ID SLOT VALUE`
    Write {
        id: u64,
        slot: u32,
        value: TraceValue,
    },
    /// `r ID SLOT`
    Read { id: u64, slot: u32 },
    /// `+ ID`
    AddRoot { id: u64 },
    /// `- ID`
    DropRoot { id: u64 },
    /// `gc` or `gc minor`
    Gc(GcRequest),
    /// `t NANOS`, at most [`MAX_THINK_NANOS`].
    Think { nanos: u64 },
    /// `e ID BYTES`
    External { id: u64, bytes: u64 },
    /// `d ID`
    Dead { id: u64 },
}

impl Record<'_> {
    /// The same record with every object id `id` replaced by `rename(id)` (a trace's ids moved
    /// to another range, or made sparse, with its shape kept).
    pub fn rename_ids(self, rename: impl Fn(u64) -> u64) -> Self {
        match self {
            Record::Alloc {
                id,
                slots,
                bytes,
                type_label,
            } => Record::Alloc {
                id: rename(id),
                slots,
                bytes,
                type_label,
            },
            Record::Write { id, slot, value } => Record::Write {
                id: rename(id),
                slot,
                value: match value {
                    TraceValue::Object(target) => TraceValue::Object(rename(target)),
                    other => other,
                },
            },
            Record::Read { id, slot } => Record::Read {
                id: rename(id),
                slot,
            },
            Record::AddRoot { id } => Record::AddRoot { id: rename(id) },
            Record::DropRoot { id } => Record::DropRoot { id: rename(id) },
            Record::External { id, bytes } => Record::External {
                id: rename(id),
                bytes,
            },
            Record::Dead { id } => Record::Dead { id: rename(id) },
            Record::Meta { .. } | Record::Gc(_) | Record::Think { .. } => self,
        }
    }

    /// Whether this is an event (everything but metadata).
    pub fn is_event(&self) -> bool {
        !matches!(self, Record::Meta { .. })
    }
}

impl fmt::Display for TraceValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceValue::Null => f.write_str("null"),
            TraceValue::Smi(n) => write!(f, "i{n}"),
            TraceValue::Object(id) => write!(f, "{id}"),
        }
    }
}

impl fmt::Display for Record<'_> {
    /// The record's canonical text line (without the line end), as `gclab convert` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Record::Meta { key, value: "" } => write!(f, "@ {key}"),
            Record::Meta { key, value } => write!(f, "@ {key} {value}"),
            Record::Alloc {
                id,
                slots,
                bytes,
                type_label: Some(label),
            } => write!(f, "a {id} {slots} {bytes} {label}"),
            Record::Alloc {
                id, slots, bytes, ..
            } => write!(f, "a {id} {slots} {bytes}"),
            Record::Write { id, slot, value } => write!(f, "w {id} {slot} {value}"),
            Record::Read { id, slot } => write!(f, "r {id} {slot}"),
            Record::AddRoot { id } => write!(f, "+ {id}"),
            Record::DropRoot { id } => write!(f, "- {id}"),
            Record::Gc(GcRequest::Full) => f.write_str("gc"),
            Record::Gc(GcRequest::Minor) => f.write_str("gc minor"),
            Record::Think { nanos } => write!(f, "t {nanos}"),
            Record::External { id, bytes } => write!(f, "e {id} {bytes}"),
            Record::Dead { id } => write!(f, "d {id}"),
        }
    }
}

/// An owned [`Record`], for tests and for collecting a trace in memory.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OwnedRecord {
    Meta {
        key: String,
        value: String,
    },
    Alloc {
        id: u64,
        slots: u32,
        bytes: u32,
        type_label: Option<String>,
    },
    Other(Record<'static>),
}

impl OwnedRecord {
    pub fn borrow(&self) -> Record<'_> {
        match self {
            OwnedRecord::Meta { key, value } => Record::Meta { key, value },
            OwnedRecord::Alloc {
                id,
                slots,
                bytes,
                type_label,
            } => Record::Alloc {
                id: *id,
                slots: *slots,
                bytes: *bytes,
                type_label: type_label.as_deref(),
            },
            OwnedRecord::Other(record) => *record,
        }
    }
}

impl From<Record<'_>> for OwnedRecord {
    fn from(record: Record<'_>) -> Self {
        match record {
            Record::Meta { key, value } => OwnedRecord::Meta {
                key: key.to_owned(),
                value: value.to_owned(),
            },
            Record::Alloc {
                id,
                slots,
                bytes,
                type_label,
            } => OwnedRecord::Alloc {
                id,
                slots,
                bytes,
                type_label: type_label.map(str::to_owned),
            },
            Record::Write { id, slot, value } => {
                OwnedRecord::Other(Record::Write { id, slot, value })
            }
            Record::Read { id, slot } => OwnedRecord::Other(Record::Read { id, slot }),
            Record::AddRoot { id } => OwnedRecord::Other(Record::AddRoot { id }),
            Record::DropRoot { id } => OwnedRecord::Other(Record::DropRoot { id }),
            Record::Gc(request) => OwnedRecord::Other(Record::Gc(request)),
            Record::Think { nanos } => OwnedRecord::Other(Record::Think { nanos }),
            Record::External { id, bytes } => OwnedRecord::Other(Record::External { id, bytes }),
            Record::Dead { id } => OwnedRecord::Other(Record::Dead { id }),
        }
    }
}
