//! The mark-sweep collector: stop the world, mark everything reachable from the handles, clear
//! weak handles and release external memory of the dead, sweep every page.
//!
//! Policy: a full collection runs from the allocation slow path when used bytes pass the
//! allocation limit set by heap growing, or external memory passes its limit; a second one runs
//! when an allocation finds no room under the hard heap limit, and only if that one cannot make
//! room is the allocation an `OutOfMemory` error. Nothing moves, so no barrier is needed.
//!
//! Marking starts on the collecting thread alone; when [`PARALLEL_MARKING_AFTER_OBJECTS`] objects
//! are scanned and grey ones remain, it goes on with `HeapConfig::gc_threads` threads
//! ([`crate::parallel_marker`]). A small heap, or one of a few large strings, never pays for
//! starting threads, which would also slow the collections heap growing measures.

use gc_core::collector_api::{Address, HeapCore, OldGenerationCollector};
use gc_core::{
    CollectionKind, Collector, CollectorConstraints, GcKind, GcPhase, GcReason, OutOfMemory,
    PauseOutcome,
};

use crate::marker::{Marker, is_marked};
use crate::parallel_marker::mark_in_parallel;
use crate::sweeper::sweep;

/// Objects the collecting thread marks alone before it shares the rest of the marking between
/// `HeapConfig::gc_threads` threads (a few hundred microseconds of marking).
pub const PARALLEL_MARKING_AFTER_OBJECTS: usize = 16 * 1024;

#[derive(Debug)]
pub struct MarkSweep {
    /// Objects marked on one thread before marking goes parallel.
    parallel_marking_after: usize,
}

impl Default for MarkSweep {
    fn default() -> Self {
        MarkSweep {
            parallel_marking_after: PARALLEL_MARKING_AFTER_OBJECTS,
        }
    }
}

impl MarkSweep {
    pub fn new() -> Self {
        MarkSweep::default()
    }

    /// Mark-sweep that shares marking between threads once `objects` are marked (0: from the
    /// roots on, when `HeapConfig::gc_threads` is above 1), for tests and tuning.
    pub fn with_parallel_marking_after(objects: usize) -> Self {
        MarkSweep {
            parallel_marking_after: objects,
        }
    }

    /// Marks everything the handles reach, on one thread or several.
    fn mark(&self, core: &HeapCore) {
        // SAFETY: this collector owns every page, and this is its pause; the marker dies in it.
        let mut marker = unsafe { Marker::new() };
        marker.mark_roots(core);
        let threads = core.config.gc_threads;
        if threads == 1 || marker.drain_for_objects(self.parallel_marking_after) {
            marker.drain();
            return;
        }
        // SAFETY: as above, and the mutator is stopped while the threads mark; the worklist
        // holds the marked objects not scanned yet.
        unsafe { mark_in_parallel(marker.take_worklist(), threads) };
    }

    /// A stop-the-world full collection.
    pub fn collect_full(&mut self, core: &mut HeapCore, reason: GcReason) {
        let pause = core.begin_pause(GcKind::MarkSweep, reason);
        let mut outcome = PauseOutcome::default();
        // Sweeping rebuilds the free list, the LAB's rest included.
        core.lab.take_rest();
        outcome.timed(GcPhase::Mark, || self.mark(core));
        (outcome.external_freed_bytes, outcome.external_time) =
            outcome.timed(GcPhase::Weak, || {
                // SAFETY: weak handles and external-memory owners name live object starts (P2).
                let live = |object| unsafe { is_marked(object) }.then_some(object);
                core.process_weak_references(live)
            });
        let used_before = core.used_bytes();
        // SAFETY: marking is complete, the free list is rebuilt by the sweep and the LAB was given
        // up above.
        let swept = outcome.timed(GcPhase::Sweep, || unsafe { sweep(core) });
        outcome.freed_bytes = used_before - swept.live_bytes;
        core.end_pause(pause, outcome);
    }
}

// SAFETY: marking reaches every object the handles reach; only unmarked objects and empty
// pages are freed, weak handles and external memory of the dead are cleared first, and the
// sweeper leaves every page walkable (P1 to P5).
unsafe impl Collector for MarkSweep {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints::simple("marksweep");

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        core.allocate_old_or_collect(size, |core, reason| self.collect_full(core, reason))
    }

    /// Mark-sweep has no young generation: a young collection is a full one.
    fn collect(&mut self, core: &mut HeapCore, _kind: CollectionKind, reason: GcReason) {
        self.collect_full(core, reason);
    }
}

// SAFETY: a full collection marks from the handles through every page (young pages adopted into
// old space included) and frees only what marking did not reach, as above.
unsafe impl OldGenerationCollector for MarkSweep {
    const GENERATIONAL_NAME: &'static str = "gen-marksweep";
}
