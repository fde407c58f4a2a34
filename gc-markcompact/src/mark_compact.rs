//! The mark-compact collector: mark-sweep that evacuates fragmented pages.
//!
//! A full collection marks from the handles, clears weak handles and releases external memory of
//! the dead, and chooses evacuation candidates: by [`CompactionPolicy`] in an ordinary cycle, or
//! for a full compaction under memory pressure (an allocation that found no room, committed
//! memory past [`CompactionPolicy::memory_pressure_fraction`] of the hard limit, or a
//! `LowMemoryNotification`). It then sweeps every other page, evacuates the candidates into
//! the swept pages' holes, updates every reference, and gives the emptied pages back. A pause
//! that moved objects is a `MarkCompact` event, with the bytes moved and the pages evacuated;
//! one that chose no candidate is an ordinary `MarkSweep`.
//!
//! Marking is mark-sweep's too: alone, then on `HeapConfig::gc_threads` threads once it is large
//! (`gc_marksweep::pause_marking`).
//!
//! Allocation policy is mark-sweep's: a collection when the allocation limit is reached, a
//! second one (here a full compaction) when an allocation finds no room under the hard limit.

use gc_core::collector_api::{Address, HeapCore, OldGenerationCollector, PageFlags, PageRef};
use gc_core::{
    CollectionKind, Collector, CollectorConstraints, GcKind, GcPhase, GcReason, OutOfMemory,
    PauseOutcome,
};
use gc_marksweep::marker::is_marked;
use gc_marksweep::parallel_sweeper::PauseSweeping;
use gc_marksweep::pause_marking::PauseMarking;
use gc_marksweep::sweeper::{sweep, sweep_page};

use crate::evacuation_candidates::{CompactionPolicy, CompactionStress, select_candidates};
use crate::evacuator::{EvacuationResult, evacuate};
use crate::full_compaction::select_full_compaction_candidates;
use crate::pointer_updating::update_pointers;

/// Which compaction a collection ran.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CompactionKind {
    /// Candidates chosen by the policy.
    Candidates,
    /// Everything but the densest pages, under memory pressure.
    Full,
}

/// What the last compacting collection did. Page addresses identify pages only until the next
/// collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactionSummary {
    pub kind: CompactionKind,
    /// Start addresses of the candidates, in the order they were evacuated.
    pub candidates: Vec<Address>,
    /// Candidates emptied and given back.
    pub evacuated_pages: Vec<Address>,
    /// Candidates that kept some objects, for want of memory.
    pub aborted_pages: Vec<Address>,
    pub moved_bytes: usize,
    pub moved_objects: usize,
}

#[derive(Debug, Default)]
pub struct MarkCompact {
    policy: CompactionPolicy,
    /// When marking goes parallel (as mark-sweep's).
    marking: PauseMarking,
    last_compaction: Option<CompactionSummary>,
    compactions: u64,
}

impl MarkCompact {
    /// Mark-compact with the default (V8's) policy.
    pub fn new() -> Self {
        MarkCompact::default()
    }

    pub fn with_policy(policy: CompactionPolicy) -> Self {
        MarkCompact {
            policy,
            ..MarkCompact::default()
        }
    }

    /// The same collector sharing marking between `HeapConfig::gc_threads` threads once
    /// `objects` are marked (0: from the roots on, when there are several threads), for tests
    /// and tuning.
    pub fn with_parallel_marking_after(self, objects: usize) -> Self {
        MarkCompact {
            marking: PauseMarking::parallel_after(objects),
            ..self
        }
    }

    pub fn policy(&self) -> &CompactionPolicy {
        &self.policy
    }

    /// What the last collection that chose candidates did.
    pub fn last_compaction(&self) -> Option<&CompactionSummary> {
        self.last_compaction.as_ref()
    }

    /// How many collections compacted.
    pub fn compactions(&self) -> u64 {
        self.compactions
    }

    fn compaction_kind(&self, core: &HeapCore, reason: GcReason) -> CompactionKind {
        let pressure = core.committed_bytes() as f64
            > self.policy.memory_pressure_fraction * core.config.max_heap_bytes as f64;
        let full = self.policy.stress == CompactionStress::FullCompaction
            || matches!(
                reason,
                GcReason::AllocationFailure | GcReason::LowMemoryNotification
            )
            || pressure;
        if full {
            CompactionKind::Full
        } else {
            CompactionKind::Candidates
        }
    }

    /// A stop-the-world full collection, compacting as the policy says.
    pub fn collect_full(&mut self, core: &mut HeapCore, reason: GcReason) {
        let kind = self.compaction_kind(core, reason);
        let mut pause = core.begin_pause(GcKind::MarkSweep, reason);
        let mut outcome = PauseOutcome::default();
        // Sweeping rebuilds the free list, the LAB's rest included.
        core.lab.take_rest();
        let marking = self.marking;
        // SAFETY: this collector owns every page, and this is its pause; the mark bits are clear
        // (the sweep and the evacuation clear those they read) (P5).
        let promoted_live =
            outcome.timed(GcPhase::Mark, || unsafe { marking.mark_from_roots(core) });
        core.promoted_survival.found_live(promoted_live);
        // Dead objects are dropped now, while every page's marks are intact; the survivors'
        // entries follow them when pointers are updated.
        (outcome.external_freed_bytes, outcome.external_time) =
            outcome.timed(GcPhase::Weak, || {
                // SAFETY: weak handles and external-memory owners name live object starts (P2).
                let live = |object| unsafe { is_marked(object) }.then_some(object);
                core.process_weak_references(live)
            });
        let candidates = match kind {
            CompactionKind::Candidates => select_candidates(core.old_space.pages(), &self.policy),
            CompactionKind::Full => select_full_compaction_candidates(core.old_space.pages()),
        };
        for &page in &candidates {
            // SAFETY: the page is this collector's, in its pause (P5).
            unsafe { page.set_flags(PageFlags::EVACUATION_CANDIDATE) };
        }
        let used_before = core.used_bytes();
        // SAFETY: marking is complete and the LAB was given up; the sweeper leaves the flagged
        // candidates, marks and all, to the evacuator.
        let swept = outcome.timed(GcPhase::Sweep, || unsafe {
            sweep(core, PauseSweeping::default())
        });
        outcome.freed_bytes = used_before - swept.live_bytes;
        if !candidates.is_empty() {
            pause.set_kind(GcKind::MarkCompact);
            let result = self.compact(core, &candidates, &mut outcome);
            self.record(kind, &candidates, &result);
        }
        core.end_pause(pause, outcome);
    }

    /// Evacuates `candidates`, updates references and gives back the emptied pages.
    fn compact(
        &mut self,
        core: &mut HeapCore,
        candidates: &[PageRef],
        outcome: &mut PauseOutcome,
    ) -> EvacuationResult {
        // SAFETY: marking is complete, every other page was swept, the candidates are flagged
        // with their marks intact and the mutator's LAB is empty; pointers are updated next.
        let result = outcome.timed(GcPhase::Evacuate, || unsafe { evacuate(core, candidates) });
        // SAFETY: right after the evacuation, as `update_pointers` requires.
        outcome.timed(GcPhase::UpdateReferences, || unsafe {
            update_pointers(core)
        });
        // SAFETY: references are updated; the candidates are this collector's (P5).
        outcome.timed(GcPhase::Sweep, || unsafe {
            finish_candidates(core, &result)
        });
        outcome.moved_bytes = result.moved_bytes;
        outcome.evacuated_pages = result.evacuated.len();
        result
    }

    fn record(&mut self, kind: CompactionKind, candidates: &[PageRef], result: &EvacuationResult) {
        let starts = |pages: &[PageRef]| pages.iter().map(|page| page.start()).collect();
        self.compactions += 1;
        self.last_compaction = Some(CompactionSummary {
            kind,
            candidates: starts(candidates),
            evacuated_pages: starts(&result.evacuated),
            aborted_pages: starts(&result.aborted),
            moved_bytes: result.moved_bytes,
            moved_objects: result.moved_objects,
        });
    }
}

/// Gives the evacuated candidates back to the memory allocator and sweeps the aborted ones into
/// ordinary pages.
///
/// # Safety
/// After [`update_pointers`]: nothing refers to a forwarded header any more. The collector owns
/// the pages (P5).
unsafe fn finish_candidates(core: &mut HeapCore, result: &EvacuationResult) {
    let pool_limit = core.page_pool_target();
    // An evacuated candidate is one with nothing left alive; an aborted one keeps live bytes.
    // SAFETY: an evacuated candidate holds only forwarded or dead objects, which nothing refers
    // to after pointer updating (the caller); this pause is its last user (P1, P5).
    unsafe {
        core.old_space
            .retain_pages(&mut core.memory, pool_limit, |page| {
                !page.flags().contains(PageFlags::EVACUATION_CANDIDATE) || page.live_bytes() > 0
            })
    };
    for &page in &result.aborted {
        // SAFETY: the page's marks are exactly the objects that stayed, the rest of it is dead or
        // forwarded and no longer referred to; the page is ours (P5).
        unsafe {
            sweep_page(page, core.old_space.free_list_mut());
            page.set_live_bytes(0);
            page.clear_flags(PageFlags::EVACUATION_CANDIDATE);
        }
    }
}

// SAFETY: marking reaches every object the handles reach; only unmarked objects and empty pages
// are freed, weak handles and external memory of the dead are cleared first; every moved object
// is copied whole before its header forwards, every reference to it (slots of live objects,
// handles, weak handles, external owners) is updated before its old page is given back, and the
// sweeper and the evacuator leave every page walkable (P1 to P5).
unsafe impl Collector for MarkCompact {
    const CONSTRAINTS: CollectorConstraints = CollectorConstraints {
        moves_objects: true,
        ..CollectorConstraints::simple("markcompact")
    };

    fn allocate_slow(&mut self, core: &mut HeapCore, size: usize) -> Result<Address, OutOfMemory> {
        core.allocate_old_or_collect(size, |core, reason| self.collect_full(core, reason))
    }

    /// Mark-compact has no young generation: a young collection is a full one.
    fn collect(&mut self, core: &mut HeapCore, _kind: CollectionKind, reason: GcReason) {
        self.collect_full(core, reason);
    }
}

// SAFETY: a full collection marks from the handles through every page (young pages adopted into
// old space included), frees only what marking did not reach and updates every reference to
// what it moves, as above; the plan's new space is empty then, so no remembered slot is stale.
unsafe impl OldGenerationCollector for MarkCompact {
    const GENERATIONAL_NAME: &'static str = "gen-markcompact";
}
