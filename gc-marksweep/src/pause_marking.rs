//! Marking to completion in a pause: the collecting thread drains grey objects alone until it has
//! scanned [`PARALLEL_MARKING_AFTER_OBJECTS`] of them (or the threshold a [`PauseMarking`] was
//! given), then hands the rest to `HeapConfig::gc_threads` threads
//! ([`crate::parallel_marker::mark_in_parallel`]). A small heap, or one of a few large strings,
//! never pays for waking workers and sharing work, which would also slow the collections heap
//! growing measures.
//!
//! Every collector that completes a marking in a pause shares this: mark-sweep and mark-compact
//! from the roots ([`PauseMarking::mark_from_roots`]), the incremental collector's finalization
//! pause from its own worklists ([`PauseMarking::drain`] over a [`GreyWorklist`]).
//! Invariant when either returns: the one [`Marker::drain`] keeps (every object reachable from a
//! grey object is marked; each page's live-byte count is the sum of its marked objects' sizes),
//! whatever the number of threads.

use gc_core::collector_api::{Address, HeapCore};
use gc_core::gc_workers::GcWorkers;

use crate::marker::Marker;
use crate::parallel_marker::mark_in_parallel;

/// Objects the collecting thread marks alone before it shares the rest of the marking between
/// `HeapConfig::gc_threads` threads (a few hundred microseconds of marking).
pub const PARALLEL_MARKING_AFTER_OBJECTS: usize = 16 * 1024;

/// A marker whose grey objects a pause may finish on several threads.
pub trait GreyWorklist {
    /// Scans grey objects until none is left.
    fn drain(&mut self);

    /// Scans grey objects until none is left or `objects` more have been scanned; returns
    /// whether none is left.
    fn drain_for_objects(&mut self, objects: usize) -> bool;

    /// The grey objects not scanned yet (marked, so that the parallel marker only scans them),
    /// leaving none behind.
    fn take_grey(&mut self) -> Vec<Address>;

    /// Counts bytes of promoted objects (`HeapCore::promoted_survival`) that the parallel
    /// marker scanned for this one.
    fn add_promoted_live(&mut self, bytes: usize);
}

impl GreyWorklist for Marker {
    fn drain(&mut self) {
        Marker::drain(self);
    }

    fn drain_for_objects(&mut self, objects: usize) -> bool {
        Marker::drain_for_objects(self, objects)
    }

    fn take_grey(&mut self) -> Vec<Address> {
        self.take_worklist()
    }

    fn add_promoted_live(&mut self, bytes: usize) {
        Marker::add_promoted_live(self, bytes);
    }
}

/// When a pause's marking goes parallel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PauseMarking {
    /// Objects scanned on the collecting thread before the others join.
    parallel_after_objects: usize,
}

impl Default for PauseMarking {
    fn default() -> Self {
        PauseMarking::parallel_after(PARALLEL_MARKING_AFTER_OBJECTS)
    }
}

impl PauseMarking {
    /// Marking that goes parallel once `objects` are scanned (0: from the first grey object on,
    /// for tests and tuning).
    pub const fn parallel_after(objects: usize) -> Self {
        PauseMarking {
            parallel_after_objects: objects,
        }
    }

    pub const fn parallel_after_objects(self) -> usize {
        self.parallel_after_objects
    }

    /// Marks everything the handles reach, on `HeapConfig::gc_threads` threads once the marking
    /// is large enough; returns the bytes of objects promoted since the last full collection
    /// that it reached (for `HeapCore::promoted_survival`).
    ///
    /// # Safety
    /// As [`Marker::new`] (rule P5): in the pause of the collector that owns every page, on mark
    /// bits it cleared.
    pub unsafe fn mark_from_roots(self, core: &HeapCore) -> usize {
        // SAFETY: the caller's guarantees; the marker dies in this pause.
        let mut marker = unsafe { Marker::new() };
        marker.mark_roots(core);
        // SAFETY: the caller's guarantees; the worklist holds marked live object starts (P2).
        unsafe { self.drain(&mut marker, &core.gc_workers, core.config.gc_threads) };
        marker.take_promoted_live()
    }

    /// Scans `marker`'s grey objects and all they reach, on up to `threads` threads (this one and
    /// the heap's GC `workers` that join in time) once more than the threshold is left.
    ///
    /// # Safety
    /// As [`mark_in_parallel`]: the owning collector's pause (P5), no other thread touching the
    /// heap; every grey object of `marker` is a marked live object start, and so are the slots
    /// they reach (P2). The parallel marker marks and counts every object it reaches, in
    /// whichever space, as `marker` does.
    pub unsafe fn drain(self, marker: &mut impl GreyWorklist, workers: &GcWorkers, threads: usize) {
        if threads <= 1 || marker.drain_for_objects(self.parallel_after_objects) {
            marker.drain();
            return;
        }
        // SAFETY: the caller's guarantees.
        let promoted_live = unsafe { mark_in_parallel(workers, marker.take_grey(), threads) };
        marker.add_promoted_live(promoted_live);
    }
}
