//! The marking write barrier (V8's `MarkingBarrier`): while marking is on, every old-generation
//! page says pointers from and to it are interesting, so gc-core's barrier fast path calls the
//! collector for each pointer store between old objects, and the collector greys the stored
//! value (an insertion, or Dijkstra, barrier). Stores into young objects are not seen: young
//! objects are roots when marking finishes.
//!
//! Invariant: while [`MarkingBarrier::is_active`], every page of old space and the large object
//! space, and every such page committed later, carries [`MARKING_FLAGS`]; once deactivated, each
//! page carries exactly the flags the heap gave old pages before.

use gc_core::collector_api::{HeapCore, PageFlags};

/// The flags that make the barrier's fast path call the collector.
pub const MARKING_FLAGS: PageFlags = PageFlags::POINTERS_FROM_HERE_ARE_INTERESTING
    .union(PageFlags::POINTERS_TO_HERE_ARE_INTERESTING);

/// Whether the barrier greys stored values.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum BarrierMode {
    /// Greys the value of every pointer store while marking (the only sound mode).
    Insertion,
    /// Does nothing: for the test that proves the barrier is needed.
    Off,
}

#[derive(Debug)]
pub struct MarkingBarrier {
    mode: BarrierMode,
    /// The flags old pages had before marking, restored after it.
    flags_before: Option<PageFlags>,
}

impl MarkingBarrier {
    pub fn new(mode: BarrierMode) -> Self {
        MarkingBarrier {
            mode,
            flags_before: None,
        }
    }

    pub fn mode(&self) -> BarrierMode {
        self.mode
    }

    pub fn is_active(&self) -> bool {
        self.flags_before.is_some()
    }

    /// Flags every old-generation page, present and future, for the barrier.
    ///
    /// # Safety
    /// The caller owns the old generation's pages and is starting marking, in its pause (P5).
    pub unsafe fn activate(&mut self, core: &mut HeapCore) {
        let before = core.memory.old_generation_flags();
        self.flags_before = Some(before);
        core.memory
            .set_old_generation_flags(before.union(MARKING_FLAGS));
        for &page in core.old_space.pages().iter().chain(core.lo_space.pages()) {
            // SAFETY: the caller's guarantee.
            unsafe { page.set_flags(MARKING_FLAGS) };
        }
    }

    /// Gives every old-generation page back the flags it had before marking.
    ///
    /// # Safety
    /// As [`MarkingBarrier::activate`], when marking ends or is abandoned.
    pub unsafe fn deactivate(&mut self, core: &mut HeapCore) {
        let Some(before) = self.flags_before.take() else {
            return;
        };
        core.memory.set_old_generation_flags(before);
        for &page in core.old_space.pages().iter().chain(core.lo_space.pages()) {
            // SAFETY: the caller's guarantee.
            unsafe {
                page.clear_flags(MARKING_FLAGS);
                page.set_flags(before);
            }
        }
    }
}
