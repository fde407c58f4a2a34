//! The incremental collector: incremental marking of the old generation and lazy sweeping
//! (`incremental`; under the scavenger's plan, `gen-incremental`).
//!
//! A cycle goes through three phases. **Idle** until the old generation reaches the start
//! limit of the [`marking_schedule`](crate::marking_schedule). **Marking**: a first short pause
//! turns the barrier on and greys the roots; then, every [`IncrementalConfig::step_interval`]
//! bytes of allocation, the slow path runs a marking step of the schedule's size within
//! [`IncrementalConfig::step_budget`]; objects allocated meanwhile are black, promoted ones
//! grey. When the worklist is empty, the finalization pause re-scans the roots (handles are
//! made and dropped between steps without a barrier) and, under a young generation, every young
//! object as a root, drains what that greys, clears weak handles and external memory of the
//! dead, frees dead large objects and queues old space's pages for sweeping: no regular page is
//! swept in it. **Sweeping**: the slow path sweeps pages on demand, one at a time, until none is
//! left; only then can marking start again.
//!
//! If the old generation reaches its allocation limit before marking is done (or before it
//! started), marking goes on with steps that catch up, as long as the old generation stays
//! within V8's overshoot margin; past it, marking finishes at once: the finalization pause
//! drains what is left (its event gives the reason, `AllocationLimit`). If an allocation finds
//! no room under the hard heap limit, or the program asks for a collection, marking is abandoned
//! and a stop-the-world mark-sweep (gc-marksweep's) runs instead, a `MarkSweep` event with the
//! reason that caused it, never an error while memory can be freed.
//!
//! The finalization pause's drain, when very large ([`PARALLEL_FINALIZATION_AFTER_OBJECTS`]),
//! and the stop-the-world collection's marking run on `HeapConfig::gc_threads` threads
//! (`gc_marksweep::pause_marking`).
//!
//! Each start, step, finalization and slow-path sweep is its own pause with its own event
//! (`MarkingStep`, `MarkingFinalize`, `LazySweep`).
//!
//! Under concurrent marking (`crate::concurrent`) the same state machine has a marker thread
//! beside it: the slow path publishes the main thread's grey objects to it and lets it run, and
//! runs a step only when it falls behind the schedule or has no work left; every pause, scavenge
//! and verification stops it first, and the finalization pause takes back its grey objects and
//! reports its marking time. Its marking starts at [`crate::concurrent_start`]'s measured point,
//! and its pages are swept by a sweeper thread ([`crate::concurrent_sweeper`]) beside the
//! allocator's lazy sweeps; every scavenge, heap walk, verification and stop-the-world
//! collection stops that thread first.

use std::time::{Duration, Instant};

use gc_core::collector_api::{
    Address, HeapCore, HeapObject, OldGenerationCollector, PageRef, YoungGeneration,
};
use gc_core::event::GcPhase;
use gc_core::linear_allocation_area::LinearAllocationArea;
use gc_core::old_space::Expansion;
use gc_core::page::MAX_REGULAR_OBJECT_SIZE;
use gc_core::{
    BarrierKind, CollectionKind, Collector, CollectorConstraints, GcKind, GcReason, OutOfMemory,
    PauseOutcome, Progress, VerifyError,
};
use gc_marksweep::MarkSweep;
use gc_marksweep::pause_marking::PauseMarking;
use gc_marksweep::sweeper::sweep_large_objects;

use crate::concurrent_marking::{ConcurrentMarking, CycleWork};
use crate::concurrent_start::ConcurrentStart;
use crate::concurrent_sweeper::ConcurrentSweeper;
use crate::dead_slots::remove_dead_slots;
use crate::incremental_marking::{
    DrainBudget, Drained, IncrementalMarker, MarkerThread, is_marked, is_young,
};
use crate::lazy_sweeper::PageSwept;
use crate::marking_barrier::{BarrierMode, MarkingBarrier};
use crate::marking_schedule::{MarkingSchedule, should_start};
use crate::page_sweeper::PageSweeper;

/// Objects the finalization pause marks alone before it shares the rest of its drain between
/// `HeapConfig::gc_threads` threads: far more than a full collection's
/// (`gc_marksweep::pause_marking::PARALLEL_MARKING_AFTER_OBJECTS`, 16 Ki). The pause is meant to
/// last about a millisecond: with 16 Ki and threads started per pause (which a busy core kept
/// waiting, and the pause with them), two threads turned gen-incremental's binary-trees (scale
/// 256) finalizations of 0.25 ms of marking into 4 to 11 ms on a 2-core machine with other load.
/// The heap's GC workers no longer make a pause wait for a thread; the threshold was not measured
/// again. Only a drain already far past the pause goal goes parallel.
pub const PARALLEL_FINALIZATION_AFTER_OBJECTS: usize = 256 * 1024;

/// The collector's settings.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct IncrementalConfig {
    /// Time one marking step or slow-path sweep may take (V8: 1 ms).
    pub step_budget: Duration,
    /// Bytes allocated between two steps on the allocation slow path.
    pub step_interval: usize,
    /// Bytes a marking step marks whatever its budget, zero included (unless marking is done).
    pub min_step_bytes: usize,
}

impl Default for IncrementalConfig {
    fn default() -> Self {
        IncrementalConfig {
            step_budget: Duration::from_millis(1),
            step_interval: 64 * 1024,
            min_step_bytes: 64 * 1024,
        }
    }
}

/// Where the collector is in its cycle.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Phase {
    Idle,
    Marking,
    Sweeping,
}

pub struct Incremental {
    config: IncrementalConfig,
    phase: Phase,
    marker: IncrementalMarker,
    barrier: MarkingBarrier,
    schedule: Option<MarkingSchedule>,
    sweeper: PageSweeper,
    /// When the finalization pause's drain goes parallel.
    marking: PauseMarking,
    full: MarkSweep,
    /// `allocated_bytes` at the last slow-path step.
    allocated_at_last_step: u64,
    /// Old-generation bytes after the last cycle.
    survived: usize,
    /// A step of this cycle emptied the worklist and has looked at every weak handle. Marking
    /// is then complete but for what the mutator greyed since (stores, promotions, pretenured
    /// objects), which finalization drains; waiting for an empty worklist at a step's start
    /// could wait forever, as every allocation may grey one more object.
    drained: bool,
    /// The marker thread, under concurrent marking (`concurrent`, `gen-concurrent`).
    concurrent: Option<ConcurrentMarking>,
    /// When marking starts, under concurrent marking (incremental marking's start otherwise).
    start: Option<ConcurrentStart>,
}

impl Default for Incremental {
    fn default() -> Self {
        Incremental::with_config(IncrementalConfig::default())
    }
}

impl Incremental {
    pub fn new() -> Self {
        Incremental::default()
    }

    pub fn with_config(config: IncrementalConfig) -> Self {
        Incremental {
            config,
            phase: Phase::Idle,
            marker: IncrementalMarker::default(),
            barrier: MarkingBarrier::new(BarrierMode::Insertion),
            schedule: None,
            sweeper: PageSweeper::default(),
            marking: PauseMarking::parallel_after(PARALLEL_FINALIZATION_AFTER_OBJECTS),
            full: MarkSweep::new(),
            allocated_at_last_step: 0,
            survived: 0,
            drained: false,
            concurrent: None,
            start: None,
        }
    }

    /// The same collector with a marker thread beside the main thread's steps (see
    /// `crate::concurrent`).
    pub(crate) fn with_concurrent_marking(self) -> Self {
        Incremental {
            marker: IncrementalMarker::on(MarkerThread::MainBesideConcurrent),
            concurrent: Some(ConcurrentMarking::new()),
            start: Some(ConcurrentStart::default()),
            sweeper: PageSweeper::concurrent(),
            ..self
        }
    }

    /// The marker thread, under concurrent marking.
    pub(crate) fn concurrent_marking(&self) -> Option<&ConcurrentMarking> {
        self.concurrent.as_ref()
    }

    /// The sweeper thread's side, under concurrent marking.
    pub(crate) fn concurrent_sweeper(&self) -> Option<&ConcurrentSweeper> {
        self.sweeper.as_concurrent()
    }

    /// The same collector whose finalization pause (and stop-the-world fallback) shares marking
    /// between `HeapConfig::gc_threads` threads once `objects` are marked (0: from the first
    /// grey object on, when there are several threads), for tests and tuning.
    pub fn with_parallel_marking_after(self, objects: usize) -> Self {
        Incremental {
            marking: PauseMarking::parallel_after(objects),
            full: MarkSweep::with_parallel_marking_after(objects),
            ..self
        }
    }

    /// The collector with its marking barrier off, for the test that shows the barrier is
    /// needed.
    ///
    /// # Safety
    /// The collector is then unsound: it may free objects that are still reachable, and a
    /// handle may name freed memory. Use it only in tests that stop at the first sign of it
    /// (a cleared weak handle to a reachable object, a failed verification) and read nothing
    /// through the heap afterwards but weak handles and the verifier.
    #[doc(hidden)]
    pub unsafe fn without_marking_barrier(mut self) -> Self {
        self.barrier = MarkingBarrier::new(BarrierMode::Off);
        self
    }

    pub fn config(&self) -> &IncrementalConfig {
        &self.config
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Old-space pages still waiting for lazy sweeping.
    pub fn pages_to_sweep(&self) -> usize {
        self.sweeper.pending_pages()
    }

    /// The paced work of the allocation slow path: every `step_interval` bytes, start marking
    /// if due, do a marking step, finalize, or sweep lazily.
    fn advance(&mut self, core: &mut HeapCore, young: Option<YoungGeneration<'_>>) {
        match self.phase {
            Phase::Marking => self.feed_marker(),
            Phase::Sweeping => self.resume_sweeper(),
            Phase::Idle => {}
        }
        let allocated = core.counters.allocated_bytes;
        if allocated - self.allocated_at_last_step < self.config.step_interval as u64 {
            return;
        }
        self.allocated_at_last_step = allocated;
        let old_bytes = old_generation_bytes(core, young.as_ref());
        let reason = GcReason::AllocationPacing;
        match self.phase {
            Phase::Idle => {
                if self.should_start(old_bytes, core.growing.allocation_limit()) {
                    self.start_marking(core, old_bytes, reason);
                }
            }
            Phase::Marking if self.drained => self.finalize(core, young, reason),
            Phase::Marking if self.marker_keeps_up(old_bytes, allocated) => {}
            Phase::Marking => self.marking_step(core, self.config.step_budget, old_bytes, reason),
            Phase::Sweeping => self.sweep_step(core, self.config.step_budget, reason),
        }
    }

    /// Lets a sweeper thread sweep beside the mutator.
    fn resume_sweeper(&mut self) {
        // SAFETY: we are sweeping (the finalization pause queued the pages) and stop the thread
        // before everything rule P8 forbids: scavenges (`before_scavenge`), `make_iterable`,
        // `verify`, a stop-the-world collection (`abandon`) and drop.
        unsafe { self.sweeper.resume() };
    }

    /// Whether marking is due with `old_bytes` in the old generation and the allocation limit
    /// `limit`: at the schedule's start, or under concurrent marking the measured one.
    fn should_start(&self, old_bytes: usize, limit: usize) -> bool {
        match &self.start {
            Some(start) => start.should_start(old_bytes, limit, self.survived),
            None => should_start(old_bytes, limit, self.survived),
        }
    }

    /// Under concurrent marking: publishes the main thread's grey objects (the barrier's, the
    /// promoted and pretenured ones, formatted by now) and lets the marker run.
    fn feed_marker(&mut self) {
        let Some(concurrent) = &mut self.concurrent else {
            return;
        };
        // SAFETY: the main worklist holds marked, unscanned objects, formatted before this slow
        // path (pretenured ones are greyed when allocated, and this runs before the next
        // allocation); we are marking with the barrier on, and stop the marker before anything
        // rule P7 forbids (every pause that frees, moves or sweeps, `before_scavenge`,
        // `verify`, drop).
        unsafe {
            concurrent.publish(self.marker.take_worklist());
            concurrent.resume();
        }
    }

    /// Whether the marker thread is ahead with work left, with the heap's allocation counter at
    /// `allocated`: the main thread then has no marking step to do.
    ///
    /// Ahead means ahead of the schedule and of the pace incremental marking keeps alone
    /// (`MarkingSchedule::incremental_pace`, in bytes scanned). The schedule alone lets a cycle
    /// run until most of the headroom is allocated; objects allocated meanwhile survive it, so
    /// a marker slowed by a loaded machine raised the survivors, the next allocation limit and
    /// committed memory with the load (bench-harness's soak test). With the pace as a floor, a
    /// cycle lasts, in bytes allocated, no longer than incremental marking's whatever the load.
    fn marker_keeps_up(&self, old_bytes: usize, allocated: u64) -> bool {
        let Some(concurrent) = &self.concurrent else {
            return false;
        };
        let scanned = self.marker.scanned_bytes() + concurrent.marked_bytes();
        let (config, marked) = (&self.config, self.marked_bytes_all());
        let ahead = self.schedule.as_ref().is_none_or(|s| {
            s.step_bytes(marked, old_bytes, 0) == 0
                && scanned
                    >= s.incremental_pace(allocated, config.step_interval, config.min_step_bytes)
        });
        concurrent.is_running() && ahead && !self.marking_done()
    }

    /// Bytes both markers scanned or allocated black in this cycle.
    fn marked_bytes_all(&self) -> usize {
        self.marker.marked_bytes() + self.concurrent.as_ref().map_or(0, |c| c.marked_bytes())
    }

    /// Whether no grey object is left anywhere, the marker thread's included.
    fn marking_done(&self) -> bool {
        self.marker.is_empty() && self.concurrent.as_ref().is_none_or(|c| c.is_done())
    }

    /// Stops the marker thread and takes back what it left of the cycle (its grey objects, the
    /// promoted objects it scanned); returns the bytes it scanned and its marking time.
    fn stop_concurrent_marking(&mut self) -> (usize, Duration) {
        let Some(concurrent) = &self.concurrent else {
            return (0, Duration::ZERO);
        };
        let CycleWork {
            grey,
            promoted,
            marked,
            busy,
        } = concurrent.finish_cycle();
        self.marker.add_grey(grey);
        // SAFETY: the marker scanned these live objects this cycle and is stopped (P7).
        unsafe { self.marker.count_promoted_scanned(promoted) };
        (marked, busy)
    }

    /// `Collector::step`: one increment of whichever phase is on; from idle, marking starts.
    fn step_with(
        &mut self,
        core: &mut HeapCore,
        budget: Duration,
        young: Option<YoungGeneration<'_>>,
    ) -> Progress {
        let old_bytes = old_generation_bytes(core, young.as_ref());
        let reason = GcReason::Explicit;
        if self.phase == Phase::Marking {
            self.feed_marker();
        }
        match self.phase {
            Phase::Idle => self.start_marking(core, old_bytes, reason),
            Phase::Marking if self.drained => {
                self.finalize(core, young, reason);
                return Progress::Complete;
            }
            Phase::Marking => self.marking_step(core, budget, old_bytes, reason),
            Phase::Sweeping => {
                self.sweep_step(core, budget, reason);
                if self.phase == Phase::Idle {
                    return Progress::Complete;
                }
            }
        }
        Progress::Continue
    }

    /// The first marking pause: barrier on, roots grey.
    fn start_marking(&mut self, core: &mut HeapCore, old_bytes: usize, reason: GcReason) {
        debug_assert!(self.sweeper.is_done());
        let pause = core.begin_pause(GcKind::MarkingStep, reason);
        let mut outcome = PauseOutcome::default();
        let (barrier, marker) = (&mut self.barrier, &mut self.marker);
        outcome.timed(GcPhase::Mark, || {
            // SAFETY: this is our pause, swept and unmarked (the sweeper is done): marking starts
            // here and every root is a live object start (P2, P5).
            unsafe {
                barrier.activate(core);
                marker.mark_roots(core);
            }
        });
        self.schedule = Some(MarkingSchedule::new(
            old_bytes,
            core.growing.allocation_limit(),
            core.counters.allocated_bytes,
        ));
        self.phase = Phase::Marking;
        self.drained = false;
        core.end_pause(pause, outcome);
        if let Some(start) = &mut self.start {
            start.marking_started(core.tracer.work_now());
        }
        self.feed_marker();
    }

    fn marking_step(
        &mut self,
        core: &mut HeapCore,
        budget: Duration,
        old_bytes: usize,
        reason: GcReason,
    ) {
        let pause = core.begin_pause(GcKind::MarkingStep, reason);
        let mut outcome = PauseOutcome::default();
        let min = self.config.min_step_bytes;
        let goal = self.schedule.as_ref().map_or(min, |s| {
            s.step_bytes(self.marked_bytes_all(), old_bytes, min)
        });
        let deadline = step_deadline(budget);
        let (marker, concurrent) = (&mut self.marker, self.concurrent.as_ref());
        outcome.timed(GcPhase::Mark, || {
            let start = marker.marked_bytes();
            loop {
                let done = marker.marked_bytes() - start;
                let drained = marker.drain_within(DrainBudget {
                    min_bytes: min.min(goal).saturating_sub(done),
                    max_bytes: goal.saturating_sub(done),
                    deadline,
                });
                if drained == Drained::Budget {
                    return;
                }
                // Out of grey objects of its own, the step helps with the marker thread's: those
                // published, else those the marker holds. A marker whose core was taken from it
                // keeps its segment, and the cycle waited for it while the mutator allocated
                // (floating garbage that grew with the machine's load); stopping it hands the
                // segment back at its next check, and the main thread, waiting, frees a core.
                // It waits no longer than the step's budget: a marker not run by then hands the
                // segment back when it runs, to the next step.
                let Some(concurrent) = concurrent else { return };
                let segment = concurrent.take_segment().or_else(|| {
                    concurrent.stop_until(deadline);
                    concurrent.take_segment()
                });
                match segment {
                    Some(segment) => marker.add_grey(segment),
                    None => return,
                }
            }
        });
        if self.marking_done() {
            // Marking is nearly done: the weak handles are looked at now, in the step's budget,
            // so that finalization decides only the few whose objects are not marked yet.
            // SAFETY: weak handles name live object starts (P2).
            let settled = |address| unsafe { !is_young(address) && is_marked(address) };
            let looked = outcome.timed(GcPhase::Weak, || {
                core.weak_handles.prescan_until(deadline, settled)
            });
            self.drained = looked && self.marking_done();
        }
        core.promoted_survival
            .found_live(self.marker.take_promoted_live());
        core.end_pause(pause, outcome);
    }

    /// The finalization pause: roots and young objects re-scanned, marking drained, weak
    /// references processed, dead large objects freed, old space queued for lazy sweeping.
    fn finalize(
        &mut self,
        core: &mut HeapCore,
        young: Option<YoungGeneration<'_>>,
        reason: GcReason,
    ) {
        let (concurrently_marked, concurrent_marking) = self.stop_concurrent_marking();
        if let Some(start) = &mut self.start {
            let scanned = self.marker.scanned_bytes() + concurrently_marked;
            let old_bytes = old_generation_bytes(core, young.as_ref());
            start.marking_done(scanned, old_bytes, core.tracer.work_now());
        }
        let pause = core.begin_pause(GcKind::MarkingFinalize, reason);
        let mut outcome = PauseOutcome {
            concurrent_marking,
            ..PauseOutcome::default()
        };
        let used_before = core.used_bytes();
        let young_bytes = young.as_ref().map_or(0, |y| y.object_bytes);
        let (marker, marking) = (&mut self.marker, self.marking);
        let mut young = young;
        outcome.timed(GcPhase::Mark, || {
            let remembered = young.as_mut().map(|y| &mut *y.remembered);
            // SAFETY: our marking phase, in our pause; `begin_pause` made new space walkable,
            // and its bitmaps and live bytes are clean (cleared below before the pause ends);
            // the plan's remembered set holds every old-to-new slot (P1, P2, P5).
            unsafe { marker.finish(core, remembered, marking) };
        });
        core.promoted_survival
            .found_live(self.marker.take_promoted_live());
        // Young objects are marked too for now: a weak handle to an unreached young object is
        // cleared (nothing can reach that object again), a reached one stays where it is.
        (outcome.external_freed_bytes, outcome.external_time) =
            outcome.timed(GcPhase::Weak, || {
                // SAFETY: weak handles and external-memory owners name live object starts (P2).
                let live = |a| unsafe { is_marked(a) }.then_some(a);
                core.process_weak_references_after_prescan(live)
            });
        if let Some(young) = &young {
            // SAFETY: the pages lent to `finish` in this pause, weak references processed.
            outcome.timed(GcPhase::Sweep, || unsafe {
                self.marker.finish_young(young.pages)
            });
        }
        let old_live = marked_bytes(core);
        core.counters.set_used_bytes(old_live + young_bytes);
        if young.is_some() {
            outcome.live_bytes = Some(old_live + self.marker.young_live_bytes());
        }
        match young {
            Some(young) => {
                core.old_space.retire_lab(young.promotion_lab);
                // SAFETY: marking is complete and nothing is swept yet; remembered slots lie in
                // old-generation pages (P1).
                outcome.timed(GcPhase::Weak, || unsafe {
                    remove_dead_slots(core, young.remembered)
                });
            }
            None => core.old_space.retire_lab(&mut core.lab),
        }
        let (barrier, sweeper) = (&mut self.barrier, &mut self.sweeper);
        outcome.timed(GcPhase::Sweep, || {
            // SAFETY: marking is complete and this is our pause; every LAB of old space is
            // retired (the mutator's or the plan's, just above), so the free list may be reset
            // (P5).
            unsafe {
                sweep_large_objects(core);
                sweeper.start(core);
                barrier.deactivate(core);
            }
        });
        outcome.freed_bytes = used_before.saturating_sub(core.used_bytes());
        self.marker.reset();
        self.schedule = None;
        self.survived = old_live;
        self.phase = Phase::Sweeping;
        core.end_pause(pause, outcome);
        self.cycle_ended(core);
        self.resume_sweeper();
    }

    /// Tells the start of concurrent marking where a cycle left the old generation.
    fn cycle_ended(&mut self, core: &HeapCore) {
        if let Some(start) = &mut self.start {
            start.cycle_ended(self.survived, core.tracer.work_now());
        }
    }

    /// A slow-path sweep: one page, then more while the budget lasts.
    fn sweep_step(&mut self, core: &mut HeapCore, budget: Duration, reason: GcReason) {
        let pause = core.begin_pause(GcKind::LazySweep, reason);
        let mut outcome = PauseOutcome::default();
        let deadline = step_deadline(budget);
        let sweeper = &mut self.sweeper;
        outcome.timed(GcPhase::Sweep, || {
            // SAFETY: our pages, queued by the last complete marking (P5).
            unsafe { sweeper.sweep_until(core, deadline) };
        });
        self.end_sweep_if_done(&mut outcome);
        core.end_pause(pause, outcome);
    }

    /// Sweeps pages, one and then more within the step budget, until one frees a block that
    /// takes `size` bytes, and allocates them; `None` when the budget or the pages run out first
    /// (the caller then takes a new page rather than lengthen the pause).
    fn sweep_for_allocation(&mut self, core: &mut HeapCore, size: usize) -> Option<Address> {
        let pause = core.begin_pause(GcKind::LazySweep, GcReason::AllocationPacing);
        let mut outcome = PauseOutcome::default();
        let sweeper = &mut self.sweeper;
        let deadline = step_deadline(self.config.step_budget);
        let address = outcome.timed(GcPhase::Sweep, || {
            // SAFETY: our pages, queued by the last complete marking (P5).
            while let Some(swept) = unsafe { sweeper.sweep_next(core) } {
                if let PageSwept::Freed(bytes) = swept {
                    if bytes >= size {
                        let found = core.old_space.allocate(
                            &mut core.lab,
                            size,
                            &mut core.memory,
                            Expansion::FreeListOnly,
                        );
                        if found.is_some() {
                            return found;
                        }
                    }
                }
                if Instant::now() >= deadline {
                    return None;
                }
            }
            None
        });
        self.end_sweep_if_done(&mut outcome);
        core.end_pause(pause, outcome);
        address
    }

    /// Once every page is swept the cycle is over: the pause that saw it reports the sweeper
    /// thread's time.
    fn end_sweep_if_done(&mut self, outcome: &mut PauseOutcome) {
        if self.sweeper.is_done() {
            self.phase = Phase::Idle;
            outcome.concurrent_sweeping = self.sweeper.take_concurrent_time();
        }
    }

    /// Allocation in the old generation through the mutator's LAB: the free list, then pages
    /// swept on demand, then a new page.
    fn allocate_lazily(&mut self, core: &mut HeapCore, size: usize) -> Option<Address> {
        if size > MAX_REGULAR_OBJECT_SIZE {
            return core.lo_space.allocate(size, &mut core.memory);
        }
        let from_free_list = core.old_space.allocate(
            &mut core.lab,
            size,
            &mut core.memory,
            Expansion::FreeListOnly,
        );
        if from_free_list.is_some() {
            return from_free_list;
        }
        if self.phase == Phase::Sweeping {
            if let Some(address) = self.sweep_for_allocation(core, size) {
                return Some(address);
            }
        }
        core.old_space.allocate(
            &mut core.lab,
            size,
            &mut core.memory,
            Expansion::AllowNewPage,
        )
    }

    /// The old generation is past its allocation limit (`reason`) with `old_bytes`: within the
    /// overshoot margin, marking starts (from idle) or goes on, its steps catching up; past it,
    /// marking finishes at once in the finalization pause. Returns `false` when a stop-the-world
    /// collection must deal with it (past the margin while idle, or while sweeping).
    fn at_limit(
        &mut self,
        core: &mut HeapCore,
        old_bytes: usize,
        reason: GcReason,
        young: Option<YoungGeneration<'_>>,
    ) -> bool {
        let within_margin = old_bytes < overshoot_limit(core);
        match self.phase {
            Phase::Idle if within_margin => self.start_marking(core, old_bytes, reason),
            Phase::Marking if within_margin => {}
            Phase::Marking => self.finalize(core, young, reason),
            Phase::Idle | Phase::Sweeping => return false,
        }
        true
    }

    /// A stop-the-world full collection: marking in progress is abandoned, pages waiting for
    /// sweeping are given up to the mark-sweep, which marks and sweeps everything.
    pub fn collect_full(&mut self, core: &mut HeapCore, reason: GcReason) {
        // The abandoned cycle's concurrent marking time is not reported.
        self.stop_concurrent_marking();
        // SAFETY: we own the old generation's pages and are about to collect it in a pause; the
        // mark-sweep below starts from clean mark bits (P5).
        unsafe {
            match self.phase {
                Phase::Marking => {
                    self.barrier.deactivate(core);
                    core.weak_handles.abandon_prescan();
                    core.promoted_survival
                        .found_live(self.marker.take_promoted_live());
                    self.marker.reset();
                    clear_marks(core);
                }
                Phase::Sweeping => self.sweeper.abandon(),
                Phase::Idle => {}
            }
        }
        self.phase = Phase::Idle;
        self.schedule = None;
        self.full.collect_full(core, reason);
        self.survived = core.used_bytes();
        self.cycle_ended(core);
    }

    /// Old-space allocation for the plan (promotion, pretenuring): the free list, a new page,
    /// and only at the hard limit the rest of lazy sweeping.
    fn allocate_old_unmarked(
        &mut self,
        core: &mut HeapCore,
        lab: &mut LinearAllocationArea,
        size: usize,
    ) -> Option<Address> {
        if size > MAX_REGULAR_OBJECT_SIZE {
            return core.lo_space.allocate(size, &mut core.memory);
        }
        // The free list first, then a new page (`AllowNewPage` tries both, in that order).
        if let Some(address) =
            core.old_space
                .allocate(lab, size, &mut core.memory, Expansion::AllowNewPage)
        {
            return Some(address);
        }
        // SAFETY: our pages, queued by the last complete marking (P5).
        while unsafe { self.sweeper.sweep_next(core) }.is_some() {}
        if self.phase == Phase::Sweeping {
            self.phase = Phase::Idle;
        }
        core.old_space
            .allocate(lab, size, &mut core.memory, Expansion::FreeListOnly)
    }
}

/// What a step does after its deadline: the last clock check's objects or page, counting the
/// promoted survivors, ending the pause's event. Steps that stopped at the budget itself
/// overran it by 2 to 40 µs, so a pause of a 1 ms budget took a little more than 1 ms.
const STEP_CLOSE_MARGIN: Duration = Duration::from_micros(50);

/// The deadline of a step of `budget` starting now: its work stops early enough that the whole
/// pause fits the budget.
fn step_deadline(budget: Duration) -> Instant {
    Instant::now() + budget.saturating_sub(STEP_CLOSE_MARGIN)
}

/// How far past its allocation limit the old generation may grow while marking catches up
/// (V8's `AllocationLimitOvershotByLargeMargin`: half the limit, at least 32 MB, at most half of
/// what the hard limit leaves).
fn overshoot_limit(core: &HeapCore) -> usize {
    const MIN_MARGIN: usize = 32 * 1024 * 1024;
    let limit = core.growing.allocation_limit();
    let left = core.config.max_heap_bytes.saturating_sub(limit);
    limit + (limit / 2).max(MIN_MARGIN).min(left / 2)
}

/// Bytes of the old generation: everything outside new space.
fn old_generation_bytes(core: &HeapCore, young: Option<&YoungGeneration<'_>>) -> usize {
    core.used_bytes() - young.map_or(0, |y| y.object_bytes)
}

/// Bytes of marked objects: the live-byte counts of old space and the large object space.
fn marked_bytes(core: &HeapCore) -> usize {
    old_generation_pages(core)
        .map(|page| page.live_bytes())
        .sum()
}

fn old_generation_pages(core: &HeapCore) -> impl Iterator<Item = PageRef> + '_ {
    core.old_space
        .pages()
        .iter()
        .chain(core.lo_space.pages())
        .copied()
}

/// Clears every mark bit and live-byte count of the old generation.
///
/// # Safety
/// The caller owns the pages and marking is abandoned (P5).
unsafe fn clear_marks(core: &HeapCore) {
    for page in old_generation_pages(core) {
        // SAFETY: the caller's guarantee.
        unsafe {
            page.mark_bitmap().clear();
            page.set_live_bytes(0);
        }
    }
}

// SAFETY: marking reaches every object reachable at finalization: the roots are greyed at the
// start and again at finalization, young objects are roots, the barrier greys every old value
// stored into an old object while marking (no black-to-white edge), and objects allocated or
// promoted while marking are black or grey. Only unmarked objects are freed, lazily, after weak
// handles and external memory of the dead were cleared; an unswept page has nothing on the free
// list. The fallback is gc-marksweep's full collection from clean marks (P1 to P5).
unsafe impl Collector for Incremental {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints {
        name: "incremental",
        moves_objects: false,
        generational: false,
        incremental: true,
        concurrent: false,
        barrier: BarrierKind::Marking,
        post_allocation: true,
    };

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        self.advance(core, None);
        let mut collected = false;
        if let Some(reason) = core.allocation_limit_reached(size) {
            if !self.at_limit(core, core.used_bytes(), reason, None) {
                self.collect_full(core, reason);
                collected = true;
            }
        }
        loop {
            if let Some(address) = self.allocate_lazily(core, size) {
                return Ok(address);
            }
            if collected {
                return Err(core.out_of_memory(size));
            }
            self.collect_full(core, GcReason::AllocationFailure);
            collected = true;
        }
    }

    /// Without a young generation, every collection the program asks for is a full one.
    fn collect(&mut self, core: &mut HeapCore, _kind: CollectionKind, reason: GcReason) {
        self.collect_full(core, reason);
    }

    /// The insertion barrier: the stored value turns grey.
    unsafe fn write_barrier_slow(
        &mut self,
        _core: &mut HeapCore,
        _host: HeapObject,
        _slot: Address,
        value: HeapObject,
    ) {
        if self.phase == Phase::Marking && self.barrier.mode() == BarrierMode::Insertion {
            // SAFETY: a stored value is a live object start (P2); we are marking (P5).
            unsafe { self.marker.grey(value.address()) };
        }
    }

    /// Black allocation: an old object made while marking is marked at once.
    fn post_allocation(&mut self, _core: &mut HeapCore, object: HeapObject) {
        if self.phase == Phase::Marking && !object.is_in_new_space() {
            // SAFETY: a just-initialized object (P2); we are marking (P5).
            unsafe { self.marker.allocate_black(object) };
        }
    }

    fn step(&mut self, core: &mut HeapCore, budget: Duration) -> Progress {
        self.step_with(core, budget, None)
    }

    fn is_marking(&self) -> bool {
        self.phase == Phase::Marking
    }

    /// A sweeper thread stops: a heap walk reads every page, the one it sweeps included (P8).
    /// The pages it swept are listed, so that each page's flag says whether its mark bits
    /// still tell its live objects (the verifier reads them so).
    fn make_iterable(&mut self, core: &mut HeapCore) {
        self.sweeper.stop();
        // SAFETY: the sweeper thread is stopped, and `make_iterable` runs on the main thread
        // between the mutator's operations (`Heap::verify`), where the collector's pause-time
        // page state may be written (P5, P8).
        unsafe { self.sweeper.harvest(core) };
    }

    fn verify(&self, core: &HeapCore) -> Result<(), VerifyError> {
        if self.phase == Phase::Marking {
            if !self.barrier.is_active() {
                return Err(VerifyError(
                    "marking without the barrier's page flags".to_owned(),
                ));
            }
            let pages: Vec<PageRef> = old_generation_pages(core).collect();
            // The marker thread's grey objects are grey too; it must not scan meanwhile.
            let mut published = Vec::new();
            if let Some(concurrent) = &self.concurrent {
                concurrent.stop();
                concurrent.for_each_grey(&mut |grey| published.push(grey));
            }
            // SAFETY: the heap verifier, which calls `verify`, made every allocation area
            // walkable first (`Heap::verify`); slots of objects name live objects (P1, P2).
            unsafe { self.marker.check_tricolour(&pages, published.into_iter()) }?;
        }
        self.sweeper.verify(core)
    }
}

// SAFETY: as for `Collector`; under the plan, young objects are roots at finalization and
// promoted objects are greyed as they are allocated, and a full collection runs on a heap whose
// objects are all old (P1 to P5).
unsafe impl OldGenerationCollector for Incremental {
    const GENERATIONAL_NAME: &'static str = "gen-incremental";

    /// Scavenges are pauses too: new space is sized for them to fit the step budget.
    fn young_pause_goal(&self) -> Option<Duration> {
        Some(self.config.step_budget)
    }

    /// Promoted and pretenured objects are grey while marking: their slots, copied from a
    /// young object the barrier never saw, may point at white objects.
    fn allocate_old(
        &mut self,
        core: &mut HeapCore,
        lab: &mut LinearAllocationArea,
        size: usize,
    ) -> Option<Address> {
        let address = self.allocate_old_unmarked(core, lab, size)?;
        if self.phase == Phase::Marking {
            // SAFETY: fresh old-generation memory the caller formats before the next step
            // scans it; we are marking (P5).
            unsafe { self.marker.grey(address) };
        }
        Some(address)
    }

    fn limit_reached(
        &mut self,
        core: &mut HeapCore,
        reason: GcReason,
        young: YoungGeneration<'_>,
    ) -> bool {
        let old_bytes = old_generation_bytes(core, Some(&young));
        self.at_limit(core, old_bytes, reason, Some(young))
    }

    fn allocation_step(&mut self, core: &mut HeapCore, young: YoungGeneration<'_>) {
        self.advance(core, Some(young));
    }

    /// The marker thread stops: the scavenge rewrites old-to-new slots, promotes into old
    /// space and frees young pages (P7).
    fn before_scavenge(&mut self, _core: &mut HeapCore) {
        if let Some(concurrent) = &self.concurrent {
            concurrent.stop();
        }
        self.sweeper.stop();
    }

    fn step_under(
        &mut self,
        core: &mut HeapCore,
        budget: Duration,
        young: YoungGeneration<'_>,
    ) -> Progress {
        self.step_with(core, budget, Some(young))
    }
}
