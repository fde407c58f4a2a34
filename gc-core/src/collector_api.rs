//! The collector-author layer: what a collector (an `unsafe impl` of [`Collector`]) or a tool
//! that inspects pages works with, gathered in one place and kept out of the crate root, which
//! holds the mutator's API.
//!
//! Everything here is about raw memory: addresses, pages and their headers and mark bitmaps,
//! object headers, slots, spaces, the remembered set, the allocation area and the collector's
//! view of the heap ([`HeapCore`]). Its items that can break the heap's invariants are `unsafe`
//! (their `# Safety` sections cite the rules P1 to P6 of the crate docs) or reachable only
//! through a `&mut HeapCore`, which only a collector's trait methods receive. A mutator needs
//! none of it.

pub use crate::address::{Address, WORD};
pub use crate::collector::{
    BarrierKind, CollectionKind, Collector, CollectorConstraints, Progress,
};
pub use crate::event::{GcKind, GcPhase, GcReason, PauseOutcome};
pub use crate::heap::{AllocationCounters, HeapCore, PauseScope};
pub use crate::memory_allocator::MemoryAllocator;
pub use crate::object::{HeapObject, ObjectShape};
pub use crate::old_generation::{OldGenerationCollector, YoungGeneration};
pub use crate::page::{PAGE_SIZE, PageFlags, PageRef, SpaceId};
pub use crate::remembered_set::{RememberedSet, SlotCallbackResult};
pub use crate::slot::Slot;
pub use crate::tagged::TaggedWord;
pub use crate::verifier::VerifyError;

/// The mechanisms a collector is built from, one module each.
pub use crate::{
    external_memory, free_list, gc_workers, heap_growing, large_object_space,
    linear_allocation_area, mark_bitmap, memory_allocator, object, old_generation, old_space, page,
    page_source, parallel_work, promoted_survival, remembered_set, slot, tagged, write_barrier,
};
