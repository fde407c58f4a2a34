//! The generational plan: the scavenger for new space composed with an old-generation
//! collector (`Generational<MarkSweep>` is `gen-marksweep`).
//!
//! Policy. The mutator allocates in new space; objects over [`MAX_YOUNG_OBJECT_SIZE`] go to the
//! old generation directly. When from-space is full, a scavenge runs. A full collection follows
//! a scavenge when the old generation (used bytes outside new space) passed the allocation limit
//! that heap growing sets, when external memory passed its limit, or when promotion failed. A
//! full collection first promotes every survivor of new space (copied, packed, in the same
//! pause), so the old collector sees every object as old and old space holds them in proportion
//! to their size; new space starts again empty, and so does the remembered set. Only what that
//! promotion could not take moves to old space with its page. After each scavenge the semispaces
//! are resized by [`SemispaceSizing`].
//!
//! The old collector keeps the marking barrier, incremental steps and its own checks: the plan
//! forwards them, so `gen-incremental` and `gen-markcompact` are this plan over other old
//! collectors.

use std::time::Instant;

use gc_core::collector_api::{
    Address, HeapCore, HeapObject, OldGenerationCollector, PageFlags, RememberedSet,
    YoungGeneration,
};
use gc_core::linear_allocation_area::LinearAllocationArea;
use gc_core::page::PageRef;
use gc_core::{
    BarrierKind, CollectionKind, Collector, CollectorConstraints, GcKind, GcPhase, GcReason,
    OutOfMemory, PAGE_SIZE, PauseOutcome, Progress, VerifyError,
};

use crate::new_space::{MAX_YOUNG_OBJECT_SIZE, NewSpace, survivor_budget};
use crate::parallel_scavenger::ParallelScavenger;
use crate::scavenger::{ScavengeResult, Scavenger, forwarded, is_young};
use crate::semispace_sizing::{CopyTime, SemispaceSizing, YoungGenerationConfig};
use crate::slot_set::SlotSetRememberedSet;
use crate::verify::verify_generations;

/// New space may take at most this share of the hard heap limit (both semispaces: a quarter).
const NEW_SPACE_HEAP_SHARE: usize = 8;

/// Which survivors a scavenge promotes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Tenure {
    /// Those that survived `survivals_before_promotion` scavenges (every one in fast promotion
    /// mode, after a scavenge of high survival).
    ByAge,
    /// Every one (before a full collection).
    All,
}

/// A young generation (new space, scavenger, remembered set `R`) over the old collector `Old`.
pub struct Generational<Old, R = SlotSetRememberedSet> {
    old: Old,
    remembered: R,
    new_space: NewSpace,
    sizing: SemispaceSizing,
    /// The old-space LAB that promotion and pretenured allocation use.
    old_lab: LinearAllocationArea,
    set_up: bool,
    last_scavenge: Option<ScavengeResult>,
}

impl<Old: OldGenerationCollector> Generational<Old> {
    /// The plan with a slot-set remembered set and the default young-generation settings, with
    /// the old collector's pause goal for scavenges. Fast promotion stays on under a pause goal:
    /// the goal caps new space at what a scavenge copies in time, promoting or not.
    pub fn new(old: Old) -> Self {
        let config = YoungGenerationConfig {
            pause_goal: old.young_pause_goal(),
            ..YoungGenerationConfig::default()
        };
        Generational::with(old, SlotSetRememberedSet::default(), config)
    }
}

impl<Old: OldGenerationCollector, R: RememberedSet> Generational<Old, R> {
    pub fn with(old: Old, remembered: R, config: YoungGenerationConfig) -> Self {
        Generational {
            old,
            remembered,
            new_space: NewSpace::default(),
            sizing: SemispaceSizing::new(config),
            old_lab: LinearAllocationArea::default(),
            set_up: false,
            last_scavenge: None,
        }
    }

    pub fn old(&self) -> &Old {
        &self.old
    }

    pub fn remembered_set(&self) -> &R {
        &self.remembered
    }

    /// New space. Its pages are reachable only through `unsafe` accessors
    /// ([`NewSpace::to_space`]): a page may be given back at the next allocation or collection.
    pub fn new_space(&self) -> &NewSpace {
        &self.new_space
    }

    pub fn config(&self) -> &YoungGenerationConfig {
        self.sizing.config()
    }

    /// What the last scavenge did.
    pub fn last_scavenge(&self) -> Option<&ScavengeResult> {
        self.last_scavenge.as_ref()
    }

    /// On first use: old pages get the barrier's "from" flag, the mutator's fast path keeps to
    /// young-sized objects, and new space takes its pages.
    fn set_up(&mut self, core: &mut HeapCore) {
        if self.set_up {
            return;
        }
        self.set_up = true;
        core.memory
            .set_old_generation_flags(PageFlags::POINTERS_FROM_HERE_ARE_INTERESTING);
        core.lab.set_max_object_size(MAX_YOUNG_OBJECT_SIZE);
        self.resize_new_space(core);
    }

    fn resize_new_space(&mut self, core: &mut HeapCore) {
        let cap = core.config.max_heap_bytes / PAGE_SIZE / NEW_SPACE_HEAP_SHARE;
        let pages = self.sizing.target_pages().min(cap);
        let spare = self.scavenging_threads_for(core, pages, survivor_budget(pages)) - 1;
        let pool = core.page_pool_target();
        self.new_space.resize(pages, spare, &mut core.memory, pool);
    }

    /// Bytes in the old generation: everything outside new space.
    fn old_generation_bytes(&self, core: &HeapCore) -> usize {
        core.used_bytes() - self.new_space.object_bytes(&core.lab)
    }

    /// Why a full collection should run before the old generation takes `size` more bytes.
    fn full_collection_due(&self, core: &HeapCore, size: usize) -> Option<GcReason> {
        if self.old_generation_bytes(core).saturating_add(size) > core.growing.allocation_limit() {
            Some(GcReason::AllocationLimit)
        } else if core.external.total() > core.growing.external_limit() {
            Some(GcReason::ExternalMemoryPressure)
        } else {
            None
        }
    }

    /// A scavenge, and the full collection that policy wants after it, if any.
    pub fn collect_young(&mut self, core: &mut HeapCore, reason: GcReason) {
        self.set_up(core);
        if !self.new_space.can_scavenge(&core.lab) {
            // To-space could not take every survivor (the heap limit kept it small).
            return self.collect_full(core, reason);
        }
        let result = self.scavenge(core, reason, Tenure::ByAge);
        if result.promotion_failed {
            return self.collect_full(core, GcReason::AllocationFailure);
        }
        if let Some(reason) = self.full_collection_due(core, 0) {
            if !self.old_generation_limit_reached(core, reason) {
                self.collect_full(core, reason);
            }
        }
    }

    /// A scavenge as a pause of its own.
    fn scavenge(
        &mut self,
        core: &mut HeapCore,
        reason: GcReason,
        tenure: Tenure,
    ) -> ScavengeResult {
        let pause = core.begin_pause(GcKind::Scavenge, reason);
        let mut outcome = PauseOutcome::default();
        let result = self.scavenge_in_pause(core, tenure, &mut outcome);
        core.end_pause(pause, outcome);
        result
    }

    /// The work of a scavenge, in a pause the caller holds.
    fn scavenge_in_pause(
        &mut self,
        core: &mut HeapCore,
        tenure: Tenure,
        outcome: &mut PauseOutcome,
    ) -> ScavengeResult {
        let old = &mut self.old;
        if Old::CONSTRAINTS.concurrent {
            // Only an old collector with threads beside the mutator has some to wait for.
            outcome.timed(GcPhase::TimeToSafepoint, || old.before_scavenge(core));
        } else {
            old.before_scavenge(core);
        }
        let pause_work = core.tracer.work_now();
        let young_bytes = self.new_space.object_bytes(&core.lab);
        self.new_space.retire_lab(&mut core.lab);
        let copying = Instant::now();
        let copying_work = core.tracer.work_now();
        let result = outcome.timed(GcPhase::Evacuate, || {
            let survivals = match tenure {
                Tenure::ByAge if self.sizing.fast_promotion() => 0,
                Tenure::ByAge => self.sizing.config().survivals_before_promotion,
                Tenure::All => 0,
            };
            let threads = self.scavenging_threads(core, young_bytes);
            if threads > 1 {
                // SAFETY: as below; `scavenging_threads` checked the parallel survivor guarantee
                // and that the old collector is not marking.
                let scavenger = unsafe {
                    ParallelScavenger::new(
                        &mut self.old,
                        &mut self.old_lab,
                        &mut self.new_space,
                        survivals,
                        threads,
                    )
                };
                return scavenger.run(core, &mut self.remembered, young_bytes);
            }
            // SAFETY: this is the plan's pause; new space is ours and `can_scavenge` held; the
            // handles and remembered slots name live objects (P2, P5).
            let scavenger = unsafe {
                Scavenger::new(
                    &mut self.old,
                    &mut self.old_lab,
                    &mut self.new_space,
                    survivals,
                )
            };
            scavenger.run(core, &mut self.remembered, young_bytes)
        });
        (outcome.external_freed_bytes, outcome.external_time) =
            outcome.timed(GcPhase::Weak, || {
                core.process_young_weak_references(
                    |object| {
                        if is_young(object) {
                            forwarded(object)
                        } else {
                            Some(object)
                        }
                    },
                    is_young,
                )
            });
        self.new_space.flip(result.copied_bytes);
        let used = core.counters.used_bytes() - result.freed_bytes();
        core.counters.set_used_bytes(used);
        outcome.freed_bytes = result.freed_bytes();
        outcome.promoted_bytes = result.promoted_bytes;
        core.promoted_survival.promoted(result.promoted_bytes);
        outcome.moved_bytes = result.survived_bytes();
        // Before a full collection every survivor is promoted: its survival is the program's
        // state at an arbitrary moment (a `gc()` call), not the young generation's steady rate.
        if tenure == Tenure::ByAge {
            // The old collector's full collections (incremental ones too) leave their finding
            // in the core.
            self.sizing
                .take_promotion_feedback(core.promoted_survival.last_dead_share());
            let now = core.tracer.work_now();
            let work = now.saturating_sub(copying_work);
            let copy_time = CopyTime {
                wall: copying.elapsed(),
                work,
                other_work: now.saturating_sub(pause_work).saturating_sub(work),
            };
            self.sizing
                .after_scavenge(result.survived_bytes(), result.young_bytes, copy_time);
        }
        self.resize_new_space(core);
        self.last_scavenge = Some(result.clone());
        result
    }

    /// How many threads the next scavenge copies on: as many as `scavenging_threads_for` allows
    /// and to-space's spare pages take (`can_scavenge_in_parallel`), and one while the old
    /// collector marks (promotion then greys each object through the old collector). The
    /// mutator's LAB is retired.
    fn scavenging_threads(&self, core: &HeapCore, young_bytes: usize) -> usize {
        if self.old.is_marking() {
            return 1;
        }
        let wanted = self.scavenging_threads_for(core, self.new_space.capacity(), young_bytes);
        (2..=wanted)
            .rev()
            .find(|&threads| self.new_space.can_scavenge_in_parallel(threads))
            .unwrap_or(1)
    }

    /// Threads for a scavenge of `young_bytes` in semispaces of `pages` pages: `gc_threads`, at
    /// most one per `bytes_per_scavenging_thread` (below that, the threads' start-up and their
    /// contention cost more than they copy: measured on binary-trees) and at most one past the
    /// first per eighth of new space (each keeps a spare to-space page).
    fn scavenging_threads_for(&self, core: &HeapCore, pages: usize, young_bytes: usize) -> usize {
        let most = core.config.gc_threads.min(1 + (pages / 8).max(1));
        match self.sizing.config().bytes_per_scavenging_thread {
            0 => most,
            per_thread => most.min(young_bytes / per_thread),
        }
        .max(1)
    }

    /// A full collection: a scavenge promotes every survivor of new space into old space, then
    /// the old collector collects the whole heap.
    ///
    /// Survivors are copied, packed, rather than their pages handed over whole: a non-moving old
    /// space keeps a page as long as one object on it lives, so a program that asks for a full
    /// collection every few allocations kept a 256 KiB page for each handful of survivors (252
    /// MiB committed for 100 KB live). Only what the scavenge could not promote (old space
    /// refused, or to-space could not take every survivor) still moves with its page.
    pub fn collect_full(&mut self, core: &mut HeapCore, reason: GcReason) {
        self.set_up(core);
        // The promotion is the first part of the full collection's pause: one pause, one event.
        if self.new_space.object_bytes(&core.lab) > 0 && self.new_space.can_scavenge(&core.lab) {
            let early = core.begin_early_pause();
            let mut outcome = PauseOutcome::default();
            self.scavenge_in_pause(core, Tenure::All, &mut outcome);
            core.hand_over_pause(early, outcome);
        }
        core.old_space.retire_lab(&mut self.old_lab);
        // SAFETY: this is the plan's pause, and the old collector's full collection rebuilds
        // old space's free list next.
        unsafe { self.new_space.move_pages_to_old_space(core) };
        self.old.collect(core, CollectionKind::Full, reason);
        core.close_unclaimed_pause(GcKind::Scavenge, reason);
        // New space is empty: no old-to-new slot is left.
        self.remembered.clear();
        self.resize_new_space(core);
    }

    /// Allocation in the old generation (pretenured objects), with mark-sweep's policy: a full
    /// collection first when the limit is reached (unless the old collector deals with it
    /// otherwise), another when the hard limit refuses.
    fn allocate_old(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        let mut collected = false;
        if let Some(reason) = self.full_collection_due(core, size) {
            if !self.old_generation_limit_reached(core, reason) {
                self.collect_full(core, reason);
                collected = true;
            }
        }
        if let Some(address) = self.old.allocate_old(core, &mut self.old_lab, size) {
            return Ok(address);
        }
        if !collected {
            self.collect_full(core, GcReason::AllocationFailure);
            if let Some(address) = self.old.allocate_old(core, &mut self.old_lab, size) {
                return Ok(address);
            }
        }
        Err(core.out_of_memory(size))
    }
}

impl<Old: OldGenerationCollector, R: RememberedSet> Generational<Old, R> {
    /// Offers the old collector the chance to meet its allocation limit without a full
    /// collection (incremental marking finishes instead); whether it took it.
    fn old_generation_limit_reached(&mut self, core: &mut HeapCore, reason: GcReason) -> bool {
        if !Old::CONSTRAINTS.incremental {
            return false;
        }
        self.with_young_generation(core, |old, core, young| {
            old.limit_reached(core, reason, young)
        })
    }

    /// Calls `f` with the old collector and the view of new space it needs for incremental work
    /// (built in one place, as it borrows new space, the promotion LAB and the remembered set).
    fn with_young_generation<T>(
        &mut self,
        core: &mut HeapCore,
        f: impl FnOnce(&mut Old, &mut HeapCore, YoungGeneration<'_>) -> T,
    ) -> T {
        let new_space = &self.new_space;
        // SAFETY: the view lives for this call only, while new space is borrowed and cannot
        // change (P1).
        let pages = |f: &mut dyn FnMut(PageRef)| unsafe { new_space.pages() }.for_each(f);
        let young = YoungGeneration {
            pages: &pages,
            object_bytes: new_space.object_bytes(&core.lab),
            promotion_lab: &mut self.old_lab,
            remembered: &mut self.remembered,
        };
        f(&mut self.old, core, young)
    }

    /// The old collector's incremental work, with new space in view: a step of `budget`, or
    /// with `None` the paced work of the allocation slow path.
    fn old_generation_step(
        &mut self,
        core: &mut HeapCore,
        budget: Option<std::time::Duration>,
    ) -> Progress {
        self.with_young_generation(core, |old, core, young| match budget {
            Some(budget) => old.step_under(core, budget, young),
            None => {
                old.allocation_step(core, young);
                Progress::Continue
            }
        })
    }
}

const fn generational_barrier(old: BarrierKind) -> BarrierKind {
    match old {
        BarrierKind::Marking | BarrierKind::GenerationalAndMarking => {
            BarrierKind::GenerationalAndMarking
        }
        BarrierKind::None | BarrierKind::Generational => BarrierKind::Generational,
    }
}

fn is_in_new_space(object: HeapObject) -> bool {
    is_young(object.address())
}

// SAFETY: the scavenger copies every object reachable from the handles and the remembered set
// (which holds every old-to-new slot: the barrier records them, the scavenger keeps or re-records
// the ones still young), updates every reference to them and clears weak handles and external
// memory of the rest before from-space is reused; full collections are the old collector's,
// over a heap whose objects are all in old space (P1 to P5).
unsafe impl<Old: OldGenerationCollector, R: RememberedSet> Collector for Generational<Old, R> {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints {
        name: Old::GENERATIONAL_NAME,
        moves_objects: true,
        generational: true,
        incremental: Old::CONSTRAINTS.incremental,
        concurrent: Old::CONSTRAINTS.concurrent,
        barrier: generational_barrier(Old::CONSTRAINTS.barrier),
        post_allocation: Old::CONSTRAINTS.post_allocation,
    };

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        self.set_up(core);
        if Old::CONSTRAINTS.incremental {
            self.old_generation_step(core, None);
        }
        if size <= MAX_YOUNG_OBJECT_SIZE && self.new_space.capacity() > 0 {
            if let Some(address) = self.new_space.refill(&mut core.lab, size) {
                return Ok(address);
            }
            self.collect_young(core, GcReason::AllocationFailure);
            if let Some(address) = self.new_space.refill(&mut core.lab, size) {
                return Ok(address);
            }
        }
        self.allocate_old(core, size)
    }

    fn collect(&mut self, core: &mut HeapCore, kind: CollectionKind, reason: GcReason) {
        match kind {
            CollectionKind::Young => self.collect_young(core, reason),
            CollectionKind::Full => self.collect_full(core, reason),
        }
    }

    /// Records old-to-new stores; the old collector's marking barrier, if it has one, runs too.
    unsafe fn write_barrier_slow(
        &mut self,
        core: &mut HeapCore,
        host: HeapObject,
        slot: Address,
        value: HeapObject,
    ) {
        if is_in_new_space(value) && !is_in_new_space(host) {
            // SAFETY: `slot` is a pointer slot of the live `host` (the caller, P2).
            unsafe { self.remembered.record(host, slot) };
        }
        if !matches!(
            Old::CONSTRAINTS.barrier,
            BarrierKind::None | BarrierKind::Generational
        ) {
            // SAFETY: the caller's guarantees, passed on (P2).
            unsafe { self.old.write_barrier_slow(core, host, slot, value) };
        }
    }

    fn post_allocation(&mut self, core: &mut HeapCore, object: HeapObject) {
        self.old.post_allocation(core, object);
    }

    fn step(&mut self, core: &mut HeapCore, budget: std::time::Duration) -> Progress {
        self.set_up(core);
        self.old_generation_step(core, Some(budget))
    }

    fn is_marking(&self) -> bool {
        self.old.is_marking()
    }

    unsafe fn for_each_extra_page(&self, f: &mut dyn FnMut(PageRef)) {
        // SAFETY: the caller uses the pages no longer than new space keeps them (P1).
        unsafe {
            self.new_space.pages().for_each(&mut *f);
            self.old.for_each_extra_page(f);
        }
    }

    fn make_iterable(&mut self, core: &mut HeapCore) {
        self.old_lab.make_iterable();
        self.old.make_iterable(core);
    }

    fn verify(&self, core: &HeapCore) -> Result<(), VerifyError> {
        verify_generations(core, &self.new_space, &self.remembered)?;
        self.old.verify(core)
    }
}
