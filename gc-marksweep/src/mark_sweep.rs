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
//! ([`crate::pause_marking`]).

use gc_core::collector_api::{Address, HeapCore, OldGenerationCollector};
use gc_core::{
    CollectionKind, Collector, CollectorConstraints, GcKind, GcPhase, GcReason, OutOfMemory,
    PauseOutcome,
};

use crate::marker::is_marked;
use crate::parallel_sweeper::PauseSweeping;
pub use crate::pause_marking::PARALLEL_MARKING_AFTER_OBJECTS;
use crate::pause_marking::PauseMarking;
use crate::sweeper::sweep;

#[derive(Debug, Default)]
pub struct MarkSweep {
    /// When marking goes parallel.
    marking: PauseMarking,
    /// When sweeping goes parallel.
    sweeping: PauseSweeping,
}

impl MarkSweep {
    pub fn new() -> Self {
        MarkSweep::default()
    }

    /// Mark-sweep that shares marking between threads once `objects` are marked (0: from the
    /// roots on, when `HeapConfig::gc_threads` is above 1), for tests and tuning.
    pub fn with_parallel_marking_after(objects: usize) -> Self {
        MarkSweep {
            marking: PauseMarking::parallel_after(objects),
            ..MarkSweep::default()
        }
    }

    /// The same collector sweeping on `HeapConfig::gc_threads` threads from `pages` old-space
    /// pages on (0: always, when there are several threads), for tests and tuning.
    pub fn with_parallel_sweeping_from(self, pages: usize) -> Self {
        MarkSweep {
            sweeping: PauseSweeping::parallel_from(pages),
            ..self
        }
    }

    /// A stop-the-world full collection.
    pub fn collect_full(&mut self, core: &mut HeapCore, reason: GcReason) {
        let pause = core.begin_pause(GcKind::MarkSweep, reason);
        let mut outcome = PauseOutcome::default();
        // Sweeping rebuilds the free list, the LAB's rest included.
        core.lab.take_rest();
        let marking = self.marking;
        // SAFETY: this collector owns every page, and this is its pause; the mark bits are clear
        // (every sweep clears those it read, an abandoned incremental marking all of them) (P5).
        let promoted_live =
            outcome.timed(GcPhase::Mark, || unsafe { marking.mark_from_roots(core) });
        core.promoted_survival.found_live(promoted_live);
        (outcome.external_freed_bytes, outcome.external_time) =
            outcome.timed(GcPhase::Weak, || {
                // SAFETY: weak handles and external-memory owners name live object starts (P2).
                let live = |object| unsafe { is_marked(object) }.then_some(object);
                core.process_weak_references(live)
            });
        let used_before = core.used_bytes();
        let sweeping = self.sweeping;
        // SAFETY: marking is complete, the free list is rebuilt by the sweep and the LAB was given
        // up above.
        let swept = outcome.timed(GcPhase::Sweep, || unsafe { sweep(core, sweeping) });
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
