//! The traits a collector implements, and what it declares about itself.
//!
//! A [`Heap`](crate::Heap) is generic over its collector, so the allocation and write-barrier
//! fast paths are inline and call the collector only on their slow paths. The collector owns its
//! policy (when to collect, what to move, how to mark); the [`HeapCore`] it is handed owns the
//! memory every collector shares (spaces, handles, external memory, the tracer).

use std::time::Duration;

use crate::address::Address;
use crate::error::OutOfMemory;
use crate::event::GcReason;
use crate::heap::HeapCore;
use crate::object::HeapObject;
use crate::page::PageRef;
use crate::verifier::VerifyError;

/// Which write barrier a collector needs (the heap skips the barrier entirely for `None`).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum BarrierKind {
    None,
    /// Records old-to-new slots in a remembered set.
    Generational,
    /// Keeps the tri-colour invariant while marking is on.
    Marking,
    GenerationalAndMarking,
}

/// What a collector is, for the heap and the harness to ask without matching on names (MMTk's
/// `PlanConstraints`).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct CollectorConstraints {
    /// The configuration's name as the CLI spells it, e.g. `marksweep`.
    pub name: &'static str,
    pub moves_objects: bool,
    pub generational: bool,
    pub incremental: bool,
    /// A thread of the collector marks while the mutator runs: the mutator's slot stores are
    /// release stores (`Slot::store_release`), which its marker's acquire loads pair with.
    pub concurrent: bool,
    pub barrier: BarrierKind,
    /// The heap calls [`Collector::post_allocation`] after every allocation, fast path included
    /// (for example, to allocate black while marking). Off, the call is compiled away.
    pub post_allocation: bool,
}

impl CollectorConstraints {
    /// A stop-the-world, non-moving, non-generational collector needing no barrier.
    pub const fn simple(name: &'static str) -> Self {
        CollectorConstraints {
            name,
            moves_objects: false,
            generational: false,
            incremental: false,
            concurrent: false,
            barrier: BarrierKind::None,
            post_allocation: false,
        }
    }
}

/// Which collection the program asks for.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum CollectionKind {
    /// New space only (a collector without a young generation runs a full collection).
    Young,
    /// The whole heap.
    Full,
}

/// Whether incremental work remains (wasmtime's `GcProgress`).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Progress {
    Continue,
    Complete,
}

/// A garbage collector for a [`Heap`](crate::Heap).
///
/// # Safety
/// A collector works on raw memory through the [`HeapCore`]; the mutator's safety rests on it.
/// An implementation must keep the crate's safety rules (P1 to P5 in the crate docs): it gives
/// back pages only in a pause; after every call returns, every handle, weak handle, external-memory
/// owner and pointer slot of a reachable object names the start of a live object, and every page
/// of its spaces walks cleanly; `allocate_slow` returns `size` bytes of unused page memory.
pub unsafe trait Collector {
    const CONSTRAINTS: CollectorConstraints;

    /// Allocation slow path: the mutator's linear allocation area had no room for `size` bytes
    /// (or `size` is a large object). Returns memory for the object, collecting first if the
    /// collector's policy says so. Must not fail while a collection could still free memory.
    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory>;

    /// Runs a collection now.
    fn collect(&mut self, core: &mut HeapCore, kind: CollectionKind, reason: GcReason);

    /// Write-barrier slow path: the fast path found that storing a pointer to `value` into
    /// `slot` of `host` may matter (see `PageFlags::POINTERS_*`). The store has happened.
    ///
    /// # Safety
    /// `slot` is the address of a pointer slot of `host` (`HeapObject::slot_address`) that now
    /// holds `value`, and `host` and `value` are live objects (P2): a generational collector
    /// remembers the slot and later writes through it. The heap's write barrier is the caller.
    unsafe fn write_barrier_slow(
        &mut self,
        core: &mut HeapCore,
        host: HeapObject,
        slot: Address,
        value: HeapObject,
    ) {
        let _ = (core, host, slot, value);
    }

    /// Called with each newly initialized object when `CONSTRAINTS.post_allocation` is set.
    fn post_allocation(&mut self, core: &mut HeapCore, object: HeapObject) {
        let _ = (core, object);
    }

    /// Does up to `budget` of incremental work.
    fn step(&mut self, core: &mut HeapCore, budget: Duration) -> Progress {
        let _ = (core, budget);
        Progress::Complete
    }

    /// Whether marking is in progress (mark bits may be set outside a pause).
    fn is_marking(&self) -> bool {
        false
    }

    /// Calls `f` with every page the collector owns beyond the core's old and large object
    /// spaces (new space), so the verifier and heap walkers see them.
    ///
    /// # Safety
    /// The pages are valid only until the collector next changes its spaces (the next
    /// allocation, collection or step of the heap, which may resize new space and give pages
    /// back): the caller uses no page it was shown after that (P1).
    ///
    /// Safe code cannot collect pages that later dangle:
    ///
    /// ```compile_fail,E0133
    /// use gc_core::testkit::NoGc;
    /// use gc_core::{Collector, Heap, HeapConfig};
    /// let heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    /// let mut pages = Vec::new();
    /// heap.collector().for_each_extra_page(&mut |page| pages.push(page));
    /// ```
    ///
    /// ```
    /// use gc_core::testkit::NoGc;
    /// use gc_core::{Collector, Heap, HeapConfig};
    /// let heap = Heap::new(HeapConfig::for_testing(), NoGc).unwrap();
    /// let mut pages = 0;
    /// // SAFETY: the pages are only counted, while `heap` is borrowed (P1).
    /// unsafe { heap.collector().for_each_extra_page(&mut |_| pages += 1) };
    /// assert_eq!(pages, 0, "NoGc has no pages of its own");
    /// ```
    unsafe fn for_each_extra_page(&self, f: &mut dyn FnMut(PageRef)) {
        let _ = f;
    }

    /// Makes the collector's own pages walkable (for example, formats its allocation buffers).
    fn make_iterable(&mut self, core: &mut HeapCore) {
        let _ = core;
    }

    /// Checks the collector's own invariants (for example, that every old-to-new slot is in the
    /// remembered set). Runs after the core's checks.
    fn verify(&self, core: &HeapCore) -> Result<(), VerifyError> {
        let _ = core;
        Ok(())
    }
}
