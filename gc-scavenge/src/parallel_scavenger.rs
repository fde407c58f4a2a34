//! The parallel scavenge: the scavenger's copying shared by several threads (V8's parallel
//! `Scavenger` tasks, HotSpot's ParNew), through gc-core's work stealing.
//!
//! The work items are chunks of the roots (handles, remembered slots) and the copies to scan.
//! Each thread copies into its own area of to-space (whole pages, taken in order through an
//! atomic index) and promotes into its own old-space LAB, refilled through the old collector
//! under a lock. Several threads may reach the same young object at once: each copies it, and
//! the one whose compare-and-swap on the from-space header installs the forwarding pointer wins;
//! the others give their copy's memory back (it was their last allocation) and use the winner's.
//! Only the winner scans the copy. Slots of promoted copies that still point into new space are
//! gathered per thread and recorded once the threads have stopped.
//!
//! **The survivor guarantee with `n` threads.** A thread takes a new to-space page only when its
//! object does not fit its page's rest, so every page but the `n` in use wastes less than
//! [`crate::new_space::MAX_YOUNG_OBJECT_SIZE`]: to-space takes every survivor when from-space
//! holds at most `survivor_budget(to-space pages - (n - 1))` bytes, which
//! [`NewSpace::can_scavenge_in_parallel`] checks. Losing copies take no room (given back).
//!
//! Invariant when [`ParallelScavenger::run`] returns: as the serial [`crate::scavenger`]'s, with
//! the same objects surviving, forwarded and promoted (only their places differ).

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use gc_core::collector_api::{
    Address, HeapCore, HeapObject, OldGenerationCollector, PageRef, RememberedSet, TaggedWord, WORD,
};
use gc_core::linear_allocation_area::LinearAllocationArea;
use gc_core::object::{
    HeaderKind, age_of_header, forward_shared, header_as_promoted, header_kind, header_with_age,
    load_header_shared, size_with_header, write_filler,
};
use gc_core::object_moves::MoveLog;
use gc_core::parallel_work::{LocalWork, process_in_parallel};
use gc_core::slot::Slot;

use crate::new_space::NewSpace;
use crate::scavenger::{
    ScavengeResult, forwarded, is_young, keep_while_young, young_roots, young_target,
};

/// Roots or remembered slots per work item: enough to make an item worth a steal.
const ROOTS_PER_ITEM: usize = 256;

/// A unit of the scavenge's work.
enum Item {
    /// Young objects the handles reach (indices into the root list): evacuate each.
    Roots(Range<usize>),
    /// Remembered old-to-new slots (indices into the slot list): evacuate and update each.
    Slots(Range<usize>),
    /// A copy (in to-space or promoted) whose slots are not scanned yet.
    Copy(Address),
}

/// The old generation as the threads reach it: one at a time, to refill their promotion LABs.
struct OldGeneration<'a, Old> {
    old: &'a mut Old,
    core: &'a mut HeapCore,
}

// SAFETY: the heap is driven by one thread, and `HeapCore` holds `Rc`s (rule P6) and plain
// cells; here the threads reach it only through the `Mutex` in `Shared`, whose lock orders every
// access, and the heap's own thread is one of them (blocked in `process_in_parallel` otherwise).
// Nothing in the heap is tied to the thread that made it (no thread-locals), so no access is
// unsynchronized.
unsafe impl<Old> Send for OldGeneration<'_, Old> {}

/// What the threads share.
struct Shared<'a, Old> {
    /// Young objects the handles reach.
    roots: Vec<Address>,
    /// Remembered slots that point into new space.
    slots: Vec<Address>,
    /// To-space pages (area starts), taken in order by index.
    to_pages: Vec<Address>,
    next_to_page: AtomicUsize,
    old: Mutex<OldGeneration<'a, Old>>,
    promotion_age: u8,
}

/// One thread's allocation areas, findings and counts.
#[derive(Default)]
struct ThreadState {
    /// Where copies within new space go: part of one to-space page (its area start in `page`).
    to_lab: LinearAllocationArea,
    to_page: Address,
    /// Where promoted copies go.
    promotion_lab: LinearAllocationArea,
    /// Old-space blocks taken in the same refill as `promotion_lab`, used after it.
    spare_labs: Vec<LinearAllocationArea>,
    /// Promotion LABs too full for the next copy, their rests given back after the threads.
    exhausted_labs: Vec<LinearAllocationArea>,
    /// Slots of promoted copies left pointing into new space, with their hosts.
    remembered: Vec<(HeapObject, Address)>,
    /// The copies this thread made, for a heap recorder (merged into the core's log at the end:
    /// no lock per object).
    moves: MoveLog,
    result: ScavengeResult,
}

/// A scavenge of new space on up to `threads` threads (this one and the heap's GC workers that
/// join in time; the counts say how many took part), set up as [`crate::scavenger::Scavenger`]
/// is.
pub(crate) struct ParallelScavenger<'a, Old> {
    old: &'a mut Old,
    promotion_lab: &'a mut LinearAllocationArea,
    new_space: &'a mut NewSpace,
    promotion_age: u8,
    threads: usize,
}

impl<'a, Old: OldGenerationCollector> ParallelScavenger<'a, Old> {
    /// # Safety
    /// As [`crate::scavenger::Scavenger::new`]: the collector owning new space, in its pause
    /// (P5), the mutator's LAB retired; moreover `new_space.can_scavenge_in_parallel(threads)`
    /// holds and the old collector is not marking (its `allocate_old` then only allocates, so
    /// the threads may bump-allocate between its refills).
    pub(crate) unsafe fn new(
        old: &'a mut Old,
        promotion_lab: &'a mut LinearAllocationArea,
        new_space: &'a mut NewSpace,
        survivals_before_promotion: u8,
        threads: usize,
    ) -> Self {
        ParallelScavenger {
            old,
            promotion_lab,
            new_space,
            promotion_age: survivals_before_promotion.min(gc_core::object::MAX_AGE),
            threads,
        }
    }

    /// As [`crate::scavenger::Scavenger::run`], with the core and remembered set of new space's
    /// heap, whose roots and remembered slots name live objects (P2).
    pub(crate) fn run<R: RememberedSet>(
        self,
        core: &mut HeapCore,
        remembered: &mut R,
        young_bytes: usize,
    ) -> ScavengeResult {
        let ParallelScavenger {
            old,
            promotion_lab,
            new_space,
            promotion_age,
            threads,
        } = self;
        new_space.begin_scavenge();
        let roots = young_roots(core);
        let slots = young_slots(remembered);
        // SAFETY: to-space is used within this scavenge, which holds new space mutably (P1).
        let to_pages = unsafe { new_space.to_space() }
            .iter()
            .map(|p| p.area_start())
            .collect();
        // The threads reach the core only through `Shared`'s lock; the workers stay outside it.
        let workers = std::mem::take(&mut core.gc_workers);
        let mut states: Vec<ThreadState> = (0..threads)
            .map(|_| ThreadState {
                moves: core.object_moves.worker_log(),
                ..ThreadState::default()
            })
            .collect();
        states[0].promotion_lab = std::mem::take(promotion_lab);
        let shared = Shared {
            roots,
            slots,
            to_pages,
            next_to_page: AtomicUsize::new(0),
            old: Mutex::new(OldGeneration { old, core }),
            promotion_age,
        };
        let seed = seed_items(shared.roots.len(), shared.slots.len());
        process_in_parallel(&workers, seed, &mut states, &|state, item, local| {
            shared.process(state, item, local);
        });
        let pages_taken = shared.next_to_page.load(Relaxed).min(shared.to_pages.len());
        drop(shared);
        core.gc_workers = workers;
        new_space.end_parallel_copy(pages_taken);
        core.handles.update(|root| forwarded(root).unwrap_or(root));
        let mut result = finish(states, promotion_lab, core, remembered);
        result.young_bytes = young_bytes;
        result
    }
}

/// The remembered slots that point into new space; the others leave the set.
fn young_slots<R: RememberedSet>(remembered: &mut R) -> Vec<Address> {
    let mut slots = Vec::new();
    remembered.iterate(&mut |address| {
        // SAFETY: the remembered set's own slot (as `young_target` asks).
        let target = unsafe { young_target(address) };
        if target.is_some() {
            slots.push(address);
        }
        keep_while_young(target)
    });
    slots
}

/// The roots and remembered slots in items of [`ROOTS_PER_ITEM`].
fn seed_items(roots: usize, slots: usize) -> Vec<Item> {
    let chunks = |len: usize| {
        (0..len)
            .step_by(ROOTS_PER_ITEM)
            .map(move |start| start..(start + ROOTS_PER_ITEM).min(len))
    };
    chunks(roots)
        .map(Item::Roots)
        .chain(chunks(slots).map(Item::Slots))
        .collect()
}

/// After the threads: their counts summed, their LABs given back (the first thread's promotion
/// LAB becomes the plan's again), the remembered set left with exactly the slots still pointing
/// into new space.
fn finish<R: RememberedSet>(
    states: Vec<ThreadState>,
    promotion_lab: &mut LinearAllocationArea,
    core: &mut HeapCore,
    remembered: &mut R,
) -> ScavengeResult {
    // Remembered slots whose objects were promoted point into old space now.
    remembered.iterate(&mut |address| {
        // SAFETY: the remembered set's own slot (as `young_target` asks).
        keep_while_young(unsafe { young_target(address) })
    });
    let mut result = ScavengeResult {
        threads: states.len(),
        ..ScavengeResult::default()
    };
    for (index, mut state) in states.into_iter().enumerate() {
        state.retire_to_lab();
        for lab in state.spare_labs.iter_mut().chain(&mut state.exhausted_labs) {
            core.old_space.retire_lab(lab);
        }
        if index == 0 {
            *promotion_lab = std::mem::take(&mut state.promotion_lab);
        } else {
            core.old_space.retire_lab(&mut state.promotion_lab);
        }
        core.object_moves.merge(&mut state.moves);
        for (host, slot) in state.remembered {
            // SAFETY: `slot` is a pointer slot of `host`, a promoted copy (P2).
            unsafe { remembered.record(host, slot) };
        }
        result.add(&state.result);
    }
    core.object_moves.end_phase();
    result
}

impl<Old: OldGenerationCollector> Shared<'_, Old> {
    fn process(&self, state: &mut ThreadState, item: Item, local: &mut LocalWork<Item>) {
        match item {
            Item::Roots(range) => {
                for &root in &self.roots[range] {
                    self.evacuate(state, root, local);
                }
            }
            Item::Slots(range) => {
                for &address in &self.slots[range] {
                    // SAFETY: a remembered slot in a live old object (P1, `young_slots`); each
                    // is in one item, so only this thread reads or writes it.
                    let slot = unsafe { Slot::new(address) };
                    if let Some(target) = slot.load().as_pointer() {
                        let moved = self.evacuate(state, target, local);
                        // SAFETY: the live copy of the slot's target (P2); the scavenger's own
                        // write in its pause (P5).
                        unsafe { slot.store(TaggedWord::from_address(moved)) };
                    }
                }
            }
            Item::Copy(address) => self.scan(state, address, local),
        }
    }

    /// Evacuates the young objects a copy's slots point at and updates the slots; a promoted
    /// copy's slots left pointing into new space are gathered for the remembered set.
    fn scan(&self, state: &mut ThreadState, address: Address, local: &mut LocalWork<Item>) {
        // SAFETY: a complete copy made by this scavenge (P2); only its winner pushed it, once.
        let object = unsafe { HeapObject::from_address(address) };
        let promoted = !is_young(address);
        object.for_each_pointer(|slot, target| {
            if !is_young(target) {
                return;
            }
            let moved = self.evacuate(state, target, local);
            // SAFETY: the live copy of the target (P2); only this thread scans this copy.
            unsafe { slot.store(TaggedWord::from_address(moved)) };
            if promoted && is_young(moved) {
                state.remembered.push((object, slot.address()));
            }
        });
    }

    /// The new address of the from-space object at `address`: another thread's copy if it won,
    /// else this thread's, which it then scans.
    #[inline]
    fn evacuate(
        &self,
        state: &mut ThreadState,
        address: Address,
        local: &mut LocalWork<Item>,
    ) -> Address {
        // SAFETY: a from-space object start (P2) whose header the threads forward atomically.
        let header = unsafe { load_header_shared(address) };
        if let HeaderKind::Forwarded(to) = header_kind(header) {
            return to;
        }
        // SAFETY: as above; the header is an object's.
        let size = unsafe { size_with_header(address, header) };
        let age = age_of_header(header);
        let (target, promoted) = self.allocate(state, size, age);
        let copy_header = if promoted {
            header_as_promoted(header)
        } else {
            header_with_age(header, age.saturating_add(1))
        };
        // SAFETY: `target` is `size` bytes of unused page memory this thread alone allocated
        // (P1), apart from the object (P3); no thread writes a from-space object's body.
        unsafe {
            target.write_word(copy_header);
            std::ptr::copy_nonoverlapping(
                address.add(WORD).as_mut_ptr(),
                target.add(WORD).as_mut_ptr(),
                size - WORD,
            );
        }
        // SAFETY: the copy is complete; every reference is updated before the pause ends.
        match unsafe { forward_shared(address, header, target) } {
            Ok(()) => {
                state.moves.record(address, target);
                state.result.count(size, promoted);
                local.push(Item::Copy(target));
                target
            }
            Err(winner) => {
                state.give_back(target, size, promoted);
                winner
            }
        }
    }

    /// Room for a copy: old space for an object due for promotion, else this thread's to-space
    /// page; `true` if promoted.
    fn allocate(&self, state: &mut ThreadState, size: usize, age: u8) -> (Address, bool) {
        if age >= self.promotion_age {
            match self.promote(state, size) {
                Some(target) => return (target, true),
                None => state.result.promotion_failed = true,
            }
        }
        if let Some(target) = self.allocate_in_to_space(state, size) {
            return (target, false);
        }
        match self.promote(state, size) {
            Some(target) => (target, true),
            None => panic!("parallel scavenge: neither to-space nor old space has {size} bytes"),
        }
    }

    fn promote(&self, state: &mut ThreadState, size: usize) -> Option<Address> {
        if let Some(target) = state.promotion_lab.allocate(size) {
            return Some(target);
        }
        while let Some(next) = state.spare_labs.pop() {
            let exhausted = std::mem::replace(&mut state.promotion_lab, next);
            state.exhausted_labs.push(exhausted);
            if let Some(target) = state.promotion_lab.allocate(size) {
                return Some(target);
            }
        }
        // A thread that panicked holding the lock broke the heap's invariants: propagate it.
        let mut old = self.old.lock().unwrap_or_else(|poison| poison.into_inner());
        let OldGeneration { old, core } = &mut *old;
        let target = old.allocate_old(core, &mut state.promotion_lab, size)?;
        state.take_spare_labs(|lab| old.allocate_old(core, lab, size));
        Some(target)
    }

    fn allocate_in_to_space(&self, state: &mut ThreadState, size: usize) -> Option<Address> {
        loop {
            if let Some(target) = state.to_lab.allocate(size) {
                return Some(target);
            }
            state.retire_to_lab();
            let page = *self.to_pages.get(self.next_to_page.fetch_add(1, Relaxed))?;
            // SAFETY: an empty to-space page (flipped), which only this thread was given (the
            // index is taken once); its area is unused memory (P1).
            unsafe {
                state
                    .to_lab
                    .reset(page, PageRef::containing(page).area_end().offset_from(page))
            };
            state.to_page = page;
        }
    }
}

/// Most old-space blocks a promotion refill takes beyond the one it needs: after a full
/// collection old space's free list holds many small blocks, and refilling one at a time made
/// the threads queue for the lock.
const SPARE_PROMOTION_LABS: usize = 15;

/// Spare blocks stop at one this large (a whole free page, say): it lasts long anyway, and more
/// would take pages the collection does not need.
const LARGE_PROMOTION_LAB: usize = 32 * 1024;

impl ThreadState {
    /// Takes up to [`SPARE_PROMOTION_LABS`] more old-space blocks of at least one object's size
    /// from `allocate` (the old collector's allocation, whose object is given back at once), while
    /// the blocks are small.
    fn take_spare_labs(
        &mut self,
        mut allocate: impl FnMut(&mut LinearAllocationArea) -> Option<Address>,
    ) {
        if self
            .promotion_lab
            .limit()
            .offset_from(self.promotion_lab.top())
            >= LARGE_PROMOTION_LAB
        {
            return;
        }
        for _ in 0..SPARE_PROMOTION_LABS {
            let mut lab = LinearAllocationArea::default();
            let Some(start) = allocate(&mut lab) else {
                return;
            };
            let size = lab.top().offset_from(start);
            lab.free_last(start, size);
            let large = lab.limit().offset_from(lab.top()) >= LARGE_PROMOTION_LAB;
            self.spare_labs.push(lab);
            if large {
                return;
            }
        }
    }

    /// Ends copying on this thread's to-space page: its top is the end of its copies.
    fn retire_to_lab(&mut self) {
        let top = self.to_lab.top();
        self.to_lab.take_rest();
        if !self.to_page.is_null() {
            // SAFETY: a to-space page only this thread was given (P5), below whose `top` every
            // byte is a copy.
            unsafe { PageRef::containing(self.to_page).set_allocation_top(top) };
            self.to_page = Address::NULL;
        }
    }

    /// Takes back the memory of a copy that lost the race (it was this thread's last
    /// allocation); a promoted one that cannot be taken back becomes a filler.
    fn give_back(&mut self, target: Address, size: usize, promoted: bool) {
        let lab = if promoted {
            &mut self.promotion_lab
        } else {
            &mut self.to_lab
        };
        if !lab.free_last(target, size) {
            // SAFETY: the copy's memory is ours and unreferenced (P1); a filler keeps the page
            // walkable.
            unsafe { write_filler(target, size) };
        }
    }
}
