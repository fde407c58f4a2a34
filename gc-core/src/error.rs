//! Errors of the mutator API. None of them leaves the heap in a bad state: the operation that
//! returned one did nothing.

use thiserror::Error;

use crate::handles::WeakHandle;

/// The heap limit was reached and a full collection could not free enough.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error(
    "out of memory: allocating {requested} bytes would exceed the heap limit of {limit} bytes \
     ({live} bytes live after a full collection, {committed} bytes committed)"
)]
pub struct OutOfMemory {
    pub requested: usize,
    pub live: usize,
    pub committed: usize,
    pub limit: usize,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HeapError {
    #[error("weak handle {0} is stale: it was dropped, or belongs to another heap")]
    InvalidWeakHandle(WeakHandle),
    #[error("slot {slot} is out of range: the object has {slots} slots")]
    SlotOutOfRange { slot: u64, slots: u32 },
    #[error("{0} is outside the small-integer range [-2^30, 2^30)")]
    SmiOutOfRange(i64),
    #[error(
        "an object of {slots} slots and {bytes} bytes is larger than the largest object ({max} bytes)"
    )]
    ObjectTooLarge { slots: u64, bytes: u64, max: usize },
    #[error("type id {0} was not interned in this heap")]
    UnknownType(u32),
    #[error("too many type labels: a heap holds at most {0}")]
    TooManyTypes(usize),
    #[error(
        "a local handle was made with a scope that is not its heap's innermost open scope \
         (an outer scope, or a scope of another heap)"
    )]
    NotInnermostScope,
    #[error("the local handle belongs to another heap")]
    ForeignLocal,
    #[error("the persistent handle belongs to another heap")]
    ForeignPersistent,
    #[error(transparent)]
    OutOfMemory(#[from] OutOfMemory),
}
