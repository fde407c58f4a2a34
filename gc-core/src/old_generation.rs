//! The old half of a generational configuration: what a young-generation collector (the
//! scavenger in `gc-scavenge`) needs from the collector it composes with.
//!
//! A generational plan (`Generational<Old>`) owns new space and delegates everything about old
//! space and the large object space to `Old`: full collections, the marking barrier, incremental
//! steps. Neither knows the other's internals, so `gen-marksweep`, `gen-markcompact` and
//! `gen-incremental` are the same plan over different old collectors.

use std::time::Duration;

use crate::address::Address;
use crate::collector::{Collector, Progress};
use crate::event::GcReason;
use crate::heap::HeapCore;
use crate::linear_allocation_area::LinearAllocationArea;
use crate::old_space::Expansion;
use crate::page::{MAX_REGULAR_OBJECT_SIZE, PageRef};
use crate::remembered_set::RememberedSet;

/// Calls its argument with every page of a space.
pub type ForEachPage<'a> = &'a dyn Fn(&mut dyn FnMut(PageRef));

/// The young generation as an incremental old collector sees it at a step: what it must treat
/// as roots and what it must give back before it rebuilds old space's free list.
pub struct YoungGeneration<'a> {
    /// Calls its argument with every page of new space. Young objects are never marked; an
    /// old collector that marks while the mutator runs takes every object on these pages as a
    /// root when it finishes marking. The pages are valid only during the call this view is
    /// passed to: the collector keeps none of them (P1).
    pub pages: ForEachPage<'a>,
    /// Bytes of objects in new space.
    pub object_bytes: usize,
    /// The plan's old-space LAB for promotion and pretenuring (never the mutator's).
    pub promotion_lab: &'a mut LinearAllocationArea,
    /// The old-to-new slots: a collector that frees old objects without the plan's full
    /// collection removes their slots, so a scavenge never reads freed memory.
    pub remembered: &'a mut dyn RememberedSet,
}

/// A collector that can manage the old generation under a young one.
///
/// Its [`Collector`] methods keep their meaning, with these differences: the plan calls
/// `collect(core, CollectionKind::Full, reason)` only once new space is empty (its pages have
/// been handed to old space with `OldSpace::adopt_page`, so every object is in old space or the
/// large object space), and `allocate_slow` is never called (the plan allocates through
/// [`OldGenerationCollector::allocate_old`]).
///
/// # Safety
/// As [`Collector`]: a full collection keeps P1, P2 and P5 for every object of old space and
/// the large object space, whatever page it was on.
pub unsafe trait OldGenerationCollector: Collector {
    /// The name of the configuration this collector makes with the scavenger, e.g.
    /// `gen-marksweep`.
    const GENERATIONAL_NAME: &'static str;

    /// Allocates `size` bytes in the old generation for a promoted or pretenured object: in old
    /// space through `lab` (the caller's own, never the mutator's), or in the large object space
    /// for a large object. Never collects; `None` when no page fits under the hard limit.
    ///
    /// The default allocates from old space's free list, taking new pages, which suits any
    /// old collector that keeps old space swept. The memory returned is unused page memory
    /// (P1) that the caller formats at once.
    fn allocate_old(
        &mut self,
        core: &mut HeapCore,
        lab: &mut LinearAllocationArea,
        size: usize,
    ) -> Option<Address> {
        if size > MAX_REGULAR_OBJECT_SIZE {
            return core.lo_space.allocate(size, &mut core.memory);
        }
        core.old_space
            .allocate(lab, size, &mut core.memory, Expansion::AllowNewPage)
    }

    /// The pause a scavenge should fit in under this old generation: a collector that promises
    /// short pauses (an incremental marker, its step budget) asks the plan to size new space for
    /// it. The default, `None`, lets new space grow for throughput.
    fn young_pause_goal(&self) -> Option<std::time::Duration> {
        None
    }

    /// The plan's allocation slow path, outside any pause, each time it refills the mutator's
    /// LAB: an incremental old collector starts marking, does a marking step or sweeps lazily
    /// here (each its own pause). The default does nothing.
    fn allocation_step(&mut self, core: &mut HeapCore, young: YoungGeneration<'_>) {
        let _ = (core, young);
    }

    /// The old generation reached its allocation limit (`reason`) outside a pause: returns
    /// whether the collector dealt with it (incremental marking finishing at once) so that the
    /// plan's full collection is not needed. The default leaves it to the full collection.
    fn limit_reached(
        &mut self,
        core: &mut HeapCore,
        reason: GcReason,
        young: YoungGeneration<'_>,
    ) -> bool {
        let _ = (core, reason, young);
        false
    }

    /// The plan is about to scavenge: it will move young objects, rewrite old-to-new slots and
    /// promote into old space. A collector with a thread that reads the heap while the mutator
    /// runs (a concurrent marker) stops it here and starts it again when it next works on the
    /// allocation slow path. The default does nothing.
    fn before_scavenge(&mut self, core: &mut HeapCore) {
        let _ = core;
    }

    /// [`Collector::step`] under a young generation: the plan forwards its own `step` here.
    fn step_under(
        &mut self,
        core: &mut HeapCore,
        budget: Duration,
        young: YoungGeneration<'_>,
    ) -> Progress {
        let _ = young;
        self.step(core, budget)
    }
}
