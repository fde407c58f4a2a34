//! The part of the heap every collector shares: spaces, the mutator's allocation area, handles,
//! external memory, type labels, the tracer and heap growing.
//!
//! Collectors receive `&mut HeapCore` in every trait call. Fields are public because collectors
//! in other crates work on them directly, as V8's collectors work on `Heap`'s spaces; the
//! methods here are what more than one collector needs.

use std::time::{Duration, Instant};

use crate::address::Address;
use crate::config::HeapConfig;
use crate::error::OutOfMemory;
use crate::event::{GcEvent, GcKind, GcReason, MutatorUtilization, PauseOutcome};
use crate::external_memory::ExternalMemory;
use crate::gc_tracer::{CycleCost, GcTracer};
use crate::gc_workers::GcWorkers;
use crate::handles::{HandleTable, WeakHandleTable};
use crate::heap_growing::HeapGrowing;
use crate::large_object_space::LargeObjectSpace;
use crate::linear_allocation_area::LinearAllocationArea;
use crate::memory_allocator::MemoryAllocator;
use crate::object_moves::ObjectMoves;
use crate::old_space::{Expansion, OldSpace};
use crate::page::{MAX_REGULAR_OBJECT_SIZE, PAGE_SIZE};
use crate::promoted_survival::PromotedSurvival;
use crate::type_table::TypeTable;

/// Allocation counters. Allocation bumps two of them; the bytes in objects and the bytes since
/// the last full collection are kept as the allocation total at the moment a collector last set
/// them, so the allocation fast path does not write them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllocationCounters {
    /// Objects allocated since the heap was created.
    pub allocated_objects: u64,
    /// Bytes allocated since the heap was created.
    pub allocated_bytes: u64,
    /// Bytes in objects when a collector last set them, and `allocated_bytes` then.
    used_base: usize,
    allocated_at_used_base: u64,
    /// `allocated_bytes` at the end of the last full collection.
    allocated_at_full_gc: u64,
}

impl AllocationCounters {
    /// Counts an allocation of `size` bytes.
    #[inline(always)]
    pub fn record_allocation(&mut self, size: usize) {
        self.allocated_objects += 1;
        self.allocated_bytes += size as u64;
    }

    /// Bytes in objects now: what a collector last set, plus what was allocated since.
    #[inline]
    pub fn used_bytes(&self) -> usize {
        self.used_base + (self.allocated_bytes - self.allocated_at_used_base) as usize
    }

    /// Sets the bytes in objects (a collector, after it freed or counted live objects).
    pub fn set_used_bytes(&mut self, bytes: usize) {
        self.used_base = bytes;
        self.allocated_at_used_base = self.allocated_bytes;
    }

    /// Bytes allocated since the last full collection.
    pub fn bytes_since_full_gc(&self) -> usize {
        (self.allocated_bytes - self.allocated_at_full_gc) as usize
    }

    fn full_gc_done(&mut self) {
        self.allocated_at_full_gc = self.allocated_bytes;
    }
}

/// A pause in progress; see [`HeapCore::begin_pause`].
#[must_use = "a pause must be closed with HeapCore::end_pause"]
pub struct PauseScope {
    kind: GcKind,
    reason: GcReason,
    start: Duration,
    started: Instant,
    /// The main thread's work reading when the pause began (`GcTracer::work_now`).
    work_started: Duration,
    used_before: usize,
    committed_before: usize,
    /// What the pause did before the collector that names it opened it (see
    /// [`HeapCore::begin_early_pause`]).
    carried: PauseOutcome,
}

/// The first part of a pause that another collector will name: the generational plan's full
/// collection promotes new space's survivors before the old collector opens its pause, and the
/// whole is one pause with one event. See [`HeapCore::begin_early_pause`].
#[must_use = "an early pause must be handed over with HeapCore::hand_over_pause"]
pub struct EarlyPause {
    start: Duration,
    started: Instant,
    work_started: Duration,
    used_before: usize,
    committed_before: usize,
}

impl PauseScope {
    pub fn kind(&self) -> GcKind {
        self.kind
    }

    /// Changes the kind the event will record, for a collector that learns what the pause is
    /// only part-way through (mark-compact knows whether it compacts after marking).
    pub fn set_kind(&mut self, kind: GcKind) {
        self.kind = kind;
    }

    /// Time since the pause began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

pub struct HeapCore {
    pub config: HeapConfig,
    pub memory: MemoryAllocator,
    pub old_space: OldSpace,
    pub lo_space: LargeObjectSpace,
    /// The mutator's linear allocation area; the collector decides which space fills it.
    pub lab: LinearAllocationArea,
    pub handles: HandleTable,
    pub weak_handles: WeakHandleTable,
    pub external: ExternalMemory,
    pub types: TypeTable,
    pub tracer: GcTracer,
    pub growing: HeapGrowing,
    pub counters: AllocationCounters,
    /// The threads parallel phases share (started at the first one).
    pub gc_workers: GcWorkers,
    /// Bytes promoted since the last full collection, and how many of them marking found.
    pub promoted_survival: PromotedSurvival,
    /// The moves collections make, logged while a heap recorder is attached: moving collectors
    /// call `object_moves.record(from, to)` for each object they copy.
    pub object_moves: ObjectMoves,
    /// An early pause handed over, waiting for the next `begin_pause` to take it.
    early_pause: Option<(EarlyPause, PauseOutcome)>,
}

impl HeapCore {
    /// A heap core for a validated `config`; only `Heap::new` makes one.
    pub(crate) fn new(config: HeapConfig) -> Self {
        HeapCore {
            memory: MemoryAllocator::new(config.page_source, config.max_heap_bytes),
            old_space: OldSpace::default(),
            lo_space: LargeObjectSpace::default(),
            lab: LinearAllocationArea::default(),
            handles: HandleTable::default(),
            weak_handles: WeakHandleTable::default(),
            external: ExternalMemory::default(),
            types: TypeTable::default(),
            tracer: GcTracer::new(config.event_history),
            growing: HeapGrowing::new(&config),
            counters: AllocationCounters::default(),
            gc_workers: GcWorkers::default(),
            promoted_survival: PromotedSurvival::default(),
            object_moves: ObjectMoves::default(),
            early_pause: None,
            config,
        }
    }

    /// Bytes in objects.
    pub fn used_bytes(&self) -> usize {
        self.counters.used_bytes()
    }

    /// Bytes of pages owned by spaces.
    pub fn committed_bytes(&self) -> usize {
        self.memory.committed()
    }

    /// Why a full collection should run before allocating `size` more bytes, if one should.
    pub fn allocation_limit_reached(&self, size: usize) -> Option<GcReason> {
        if self.used_bytes().saturating_add(size) > self.growing.allocation_limit() {
            Some(GcReason::AllocationLimit)
        } else if self.external.total() > self.growing.external_limit() {
            Some(GcReason::ExternalMemoryPressure)
        } else {
            None
        }
    }

    /// Allocates `size` bytes in old space through the mutator's LAB, or in the large object
    /// space for a large object, taking new pages while the hard limit allows. Never collects.
    pub fn allocate_in_old_generation(&mut self, size: usize) -> Option<Address> {
        if size > MAX_REGULAR_OBJECT_SIZE {
            return self.lo_space.allocate(size, &mut self.memory);
        }
        self.old_space.allocate(
            &mut self.lab,
            size,
            &mut self.memory,
            Expansion::AllowNewPage,
        )
    }

    /// The allocation slow path of a collector without a young generation: a full collection
    /// (by `collect_full`) when the allocation limit is reached, then an allocation in the old
    /// generation; when no page fits, one more full collection if none ran yet, and a last try.
    /// `OutOfMemory` only when a full collection could not make room.
    pub fn allocate_old_or_collect(
        &mut self,
        size: usize,
        mut collect_full: impl FnMut(&mut HeapCore, GcReason),
    ) -> Result<Address, OutOfMemory> {
        let mut collected = false;
        if let Some(reason) = self.allocation_limit_reached(size) {
            collect_full(self, reason);
            collected = true;
        }
        if let Some(address) = self.allocate_in_old_generation(size) {
            return Ok(address);
        }
        if !collected {
            collect_full(self, GcReason::AllocationFailure);
            if let Some(address) = self.allocate_in_old_generation(size) {
                return Ok(address);
            }
        }
        Err(self.out_of_memory(size))
    }

    /// How many free pages to keep pooled rather than give back to the OS: the pages the mutator
    /// may fill before the next full collection anyway (the allocation limit's headroom, within
    /// the hard limit), and at least `config.page_pool_pages`. Unmapping pages that the next cycle
    /// maps and faults in again would cost more than it saves.
    pub fn page_pool_target(&self) -> usize {
        let used = self.used_bytes();
        // After a full collection the limit will be at least the minimum step above what lives.
        let limit = self
            .growing
            .allocation_limit()
            .max(used.saturating_add(self.config.min_allocation_limit_step));
        let headroom =
            (limit - used).min(self.memory.limit().saturating_sub(self.committed_bytes()));
        (headroom / PAGE_SIZE).max(self.config.page_pool_pages)
    }

    /// The error for an allocation of `requested` bytes that a full collection could not make
    /// room for.
    pub fn out_of_memory(&self, requested: usize) -> OutOfMemory {
        OutOfMemory {
            requested,
            live: self.used_bytes(),
            committed: self.committed_bytes(),
            limit: self.config.max_heap_bytes,
        }
    }

    /// Opens a pause. The mutator's LAB is made walkable first. A pause handed over by
    /// [`HeapCore::hand_over_pause`] is taken up: the event starts where it started and counts
    /// what it did.
    pub fn begin_pause(&mut self, kind: GcKind, reason: GcReason) -> PauseScope {
        self.lab.make_iterable();
        let (early, carried) = match self.early_pause.take() {
            Some(handed_over) => handed_over,
            None => (self.begin_early_pause(), PauseOutcome::default()),
        };
        PauseScope {
            kind,
            reason,
            start: early.start,
            started: early.started,
            work_started: early.work_started,
            used_before: early.used_before,
            committed_before: early.committed_before,
            carried,
        }
    }

    /// Starts a pause whose event the next [`HeapCore::begin_pause`] will name: for a collector
    /// that does work of its own before handing the pause to another (the generational plan
    /// before its old collector's full collection).
    pub fn begin_early_pause(&mut self) -> EarlyPause {
        EarlyPause {
            start: self.tracer.now(),
            started: Instant::now(),
            work_started: self.tracer.work_now(),
            used_before: self.used_bytes(),
            committed_before: self.committed_bytes(),
        }
    }

    /// Hands the early pause and what it did to the next [`HeapCore::begin_pause`].
    pub fn hand_over_pause(&mut self, early: EarlyPause, outcome: PauseOutcome) {
        debug_assert!(self.early_pause.is_none(), "one early pause at a time");
        self.early_pause = Some((early, outcome));
    }

    /// An early pause no `begin_pause` took up, closed as an event of its own (`kind`), so that
    /// no pause goes unreported.
    pub fn close_unclaimed_pause(&mut self, kind: GcKind, reason: GcReason) {
        if self.early_pause.is_some() {
            let scope = self.begin_pause(kind, reason);
            self.end_pause(scope, PauseOutcome::default());
        }
    }

    /// Closes a pause: records its event and, after a full collection, updates the allocation
    /// limits from what survived and gives surplus pooled pages back to the OS.
    pub fn end_pause(&mut self, scope: PauseScope, mut outcome: PauseOutcome) -> &GcEvent {
        let duration = scope.started.elapsed();
        let work = self.tracer.work_now().saturating_sub(scope.work_started);
        outcome.take_in(scope.carried);
        if scope.kind == GcKind::MarkingStep {
            self.tracer.marking_step_done(work);
        }
        if scope.kind.is_full() {
            let speeds = self.tracer.full_gc_done(CycleCost {
                pause_started: scope.work_started,
                pause_work: work,
                concurrent_marking: outcome.concurrent_marking,
                live_bytes: self.used_bytes(),
                allocated_bytes: self.counters.bytes_since_full_gc(),
            });
            self.growing.update(
                &self.config,
                self.used_bytes(),
                self.external.total(),
                speeds,
            );
            self.counters.full_gc_done();
            self.memory.trim_pool(self.page_pool_target());
            outcome.promoted_dead_bytes = self.promoted_survival.finish_full_collection();
        }
        let event = GcEvent {
            sequence: 0,
            kind: scope.kind,
            reason: scope.reason,
            start: scope.start,
            duration,
            used_before: scope.used_before,
            used_after: self.used_bytes(),
            committed_before: scope.committed_before,
            committed_after: self.committed_bytes(),
            outcome,
            mutator_utilization: MutatorUtilization {
                average: 1.0,
                current: 1.0,
            },
        };
        self.tracer.record(event)
    }

    /// After marking: clears weak handles to dead objects and releases external memory of dead
    /// owners. `forward` maps a referenced object to its address after the collection, or `None`
    /// when it died. Returns the external bytes released and the time that took.
    pub fn process_weak_references(
        &mut self,
        mut forward: impl FnMut(Address) -> Option<Address>,
    ) -> (u64, Duration) {
        self.weak_handles.process(&mut forward);
        let started = Instant::now();
        let released = self.external.process(&mut forward);
        (released, started.elapsed())
    }

    /// After incremental marking, as [`HeapCore::process_weak_references`] with a `forward` that
    /// moves nothing: the weak handles the cycle's pre-scan set aside, and those after it, are
    /// looked at (see [`WeakHandleTable::process_after_prescan`]).
    pub fn process_weak_references_after_prescan(
        &mut self,
        mut forward: impl FnMut(Address) -> Option<Address>,
    ) -> (u64, Duration) {
        self.weak_handles.process_after_prescan(&mut forward);
        let started = Instant::now();
        let released = self.external.process(&mut forward);
        (released, started.elapsed())
    }

    /// After a scavenge: as [`HeapCore::process_weak_references`], but only the weak handles on
    /// the young list are looked at (`is_young` tells a new-space address).
    pub fn process_young_weak_references(
        &mut self,
        mut forward: impl FnMut(Address) -> Option<Address>,
        is_young: impl Fn(Address) -> bool,
    ) -> (u64, Duration) {
        self.weak_handles.process_young(&mut forward, is_young);
        let started = Instant::now();
        let released = self.external.process(&mut forward);
        (released, started.elapsed())
    }
}
