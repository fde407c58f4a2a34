//! The concurrent collector: incremental marking with a marker thread beside it, and sweeping
//! with a sweeper thread beside it (`concurrent`; under the scavenger's plan, `gen-concurrent`).
//!
//! It is [`Incremental`]'s state machine, phases, schedule, barrier, finalization pause and
//! fallback unchanged, with one more marker ([`crate::concurrent_marking`]): while marking is
//! on, the allocation slow path publishes the main thread's grey objects to the marker thread
//! and lets it run, and does a marking step only when the marker falls behind the schedule (or
//! has run out of work, to finish the cycle). Its stores are release stores (its constraints
//! say `concurrent`), which the marker's acquire loads pair with (gc-core's rule P7). Marking
//! starts later than incremental marking's ([`crate::concurrent_start`]), and after the
//! finalization pause a sweeper thread sweeps old space ([`crate::concurrent_sweeper`], rule
//! P8) while the allocator takes the pages it swept, or sweeps one it has not reached.
//!
//! This type only gives the collector its names; every method is [`Incremental`]'s.

use std::time::Duration;

use gc_core::collector_api::{
    Address, HeapCore, HeapObject, OldGenerationCollector, PageRef, YoungGeneration,
};
use gc_core::linear_allocation_area::LinearAllocationArea;
use gc_core::{
    CollectionKind, Collector, CollectorConstraints, GcReason, OutOfMemory, Progress, VerifyError,
};

use crate::incremental::{Incremental, IncrementalConfig, Phase};

pub struct Concurrent(Incremental);

impl Default for Concurrent {
    fn default() -> Self {
        Concurrent::new()
    }
}

impl Concurrent {
    pub fn new() -> Self {
        Concurrent::with_config(IncrementalConfig::default())
    }

    pub fn with_config(config: IncrementalConfig) -> Self {
        Concurrent(Incremental::with_config(config).with_concurrent_marking())
    }

    /// As [`Incremental::with_parallel_marking_after`].
    pub fn with_parallel_marking_after(self, objects: usize) -> Self {
        Concurrent(self.0.with_parallel_marking_after(objects))
    }

    /// The collector with its marking barrier off, for the test that shows the barrier is
    /// needed.
    ///
    /// # Safety
    /// As [`Incremental::without_marking_barrier`].
    #[doc(hidden)]
    pub unsafe fn without_marking_barrier(self) -> Self {
        // SAFETY: the caller's guarantee.
        Concurrent(unsafe { self.0.without_marking_barrier() })
    }

    pub fn config(&self) -> &IncrementalConfig {
        self.0.config()
    }

    pub fn phase(&self) -> Phase {
        self.0.phase()
    }

    /// Bytes the marker thread has scanned since the collector was made: the part of marking
    /// that did not stop the mutator.
    pub fn concurrently_marked_bytes(&self) -> usize {
        self.0
            .concurrent_marking()
            .map_or(0, |concurrent| concurrent.total_marked_bytes())
    }

    /// Old-space pages still waiting for their sweep.
    pub fn pages_to_sweep(&self) -> usize {
        self.0.pages_to_sweep()
    }

    /// Pages swept on the main thread and on the sweeper thread since the collector was made.
    pub fn pages_swept_by(&self) -> (usize, usize) {
        self.0
            .concurrent_sweeper()
            .map_or((0, 0), |sweeper| sweeper.pages_swept_by())
    }

    /// Pages with live objects the finalization pauses queued for the two sweepers since the
    /// collector was made.
    pub fn pages_queued_for_the_thread(&self) -> usize {
        self.0
            .concurrent_sweeper()
            .map_or(0, |sweeper| sweeper.pages_queued())
    }
}

// SAFETY: `Incremental`'s argument (P1 to P5), and rule P7 for the marker thread: the mutator's
// stores are release stores (`CONSTRAINTS.concurrent`), objects allocated while marking are
// black before the mutator can store them anywhere, and `Incremental` stops the marker (waiting
// for it) before each pause that frees, moves or sweeps, each scavenge (`before_scavenge`),
// verification and its own drop. Rule P8 for the sweeper thread: it sweeps only pages queued
// by a complete marking, each won by one compare-and-swap, and `Incremental` stops it before
// each scavenge, `make_iterable`, verification, a stop-the-world collection and its drop.
unsafe impl Collector for Concurrent {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints {
        name: "concurrent",
        concurrent: true,
        ..Incremental::CONSTRAINTS
    };

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        self.0.allocate_slow(core, size)
    }

    fn collect(&mut self, core: &mut HeapCore, kind: CollectionKind, reason: GcReason) {
        self.0.collect(core, kind, reason)
    }

    unsafe fn write_barrier_slow(
        &mut self,
        core: &mut HeapCore,
        host: HeapObject,
        slot: Address,
        value: HeapObject,
    ) {
        // SAFETY: the caller's guarantees, passed on.
        unsafe { self.0.write_barrier_slow(core, host, slot, value) }
    }

    fn post_allocation(&mut self, core: &mut HeapCore, object: HeapObject) {
        self.0.post_allocation(core, object)
    }

    fn step(&mut self, core: &mut HeapCore, budget: Duration) -> Progress {
        self.0.step(core, budget)
    }

    fn is_marking(&self) -> bool {
        self.0.is_marking()
    }

    unsafe fn for_each_extra_page(&self, f: &mut dyn FnMut(PageRef)) {
        // SAFETY: the caller's guarantee, passed on.
        unsafe { self.0.for_each_extra_page(f) }
    }

    fn make_iterable(&mut self, core: &mut HeapCore) {
        self.0.make_iterable(core)
    }

    fn verify(&self, core: &HeapCore) -> Result<(), VerifyError> {
        self.0.verify(core)
    }
}

// SAFETY: as for `Collector` and `Incremental`'s `OldGenerationCollector`.
unsafe impl OldGenerationCollector for Concurrent {
    const GENERATIONAL_NAME: &'static str = "gen-concurrent";

    fn allocate_old(
        &mut self,
        core: &mut HeapCore,
        lab: &mut LinearAllocationArea,
        size: usize,
    ) -> Option<Address> {
        self.0.allocate_old(core, lab, size)
    }

    fn young_pause_goal(&self) -> Option<Duration> {
        self.0.young_pause_goal()
    }

    fn allocation_step(&mut self, core: &mut HeapCore, young: YoungGeneration<'_>) {
        self.0.allocation_step(core, young)
    }

    fn limit_reached(
        &mut self,
        core: &mut HeapCore,
        reason: GcReason,
        young: YoungGeneration<'_>,
    ) -> bool {
        self.0.limit_reached(core, reason, young)
    }

    fn before_scavenge(&mut self, core: &mut HeapCore) {
        self.0.before_scavenge(core)
    }

    fn step_under(
        &mut self,
        core: &mut HeapCore,
        budget: Duration,
        young: YoungGeneration<'_>,
    ) -> Progress {
        self.0.step_under(core, budget, young)
    }
}
