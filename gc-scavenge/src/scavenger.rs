//! The scavenger: a Cheney-style copy of the reachable young objects (V8's `Scavenger`).
//!
//! Roots are the handles and the remembered slots. Each young object reached is evacuated once:
//! copied into to-space (its age goes up by one) or, once old enough, promoted into old space,
//! and its header in from-space is overwritten with a forwarding pointer. Copied objects are
//! scanned in to-space in the order they were copied (breadth-first, with to-space itself as
//! the queue, as in Cheney's algorithm); promoted objects wait on a worklist, and each slot of
//! theirs that still points into new space afterwards goes into the remembered set. Weak handles
//! and external memory are processed by the caller from the forwarding pointers.
//!
//! When old space cannot take an object due for promotion, it is copied into to-space instead
//! (the survivor guarantee of [`crate::new_space`] leaves room for it) and the result says a full
//! collection is needed.

use gc_core::collector_api::{
    Address, HeapCore, HeapObject, OldGenerationCollector, PageFlags, PageRef, RememberedSet,
    SlotCallbackResult, TaggedWord,
};
use gc_core::object::{HeaderKind, MAX_AGE, header_kind};
use gc_core::slot::Slot;

use crate::new_space::NewSpace;
use gc_core::linear_allocation_area::LinearAllocationArea;

/// What a scavenge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScavengeResult {
    /// Bytes of objects in new space before.
    pub young_bytes: usize,
    /// Bytes copied within new space.
    pub copied_bytes: usize,
    /// Bytes promoted into old space.
    pub promoted_bytes: usize,
    pub copied_objects: usize,
    pub promoted_objects: usize,
    /// Old space could not take an object due for promotion: a full collection should follow.
    pub promotion_failed: bool,
    /// Threads the scavenge could copy on: 1 on the serial path; on the parallel path, this
    /// thread and as many of the heap's GC workers as join in time, up to this many in all.
    pub threads: usize,
}

impl ScavengeResult {
    pub fn survived_bytes(&self) -> usize {
        self.copied_bytes + self.promoted_bytes
    }

    pub fn freed_bytes(&self) -> usize {
        self.young_bytes - self.survived_bytes()
    }

    /// Counts one surviving object of `size` bytes, promoted or copied within new space.
    #[inline(always)]
    pub(crate) fn count(&mut self, size: usize, promoted: bool) {
        if promoted {
            self.promoted_bytes += size;
            self.promoted_objects += 1;
        } else {
            self.copied_bytes += size;
            self.copied_objects += 1;
        }
    }

    /// Adds the survivors another thread of the same scavenge counted.
    pub(crate) fn add(&mut self, other: &ScavengeResult) {
        self.copied_bytes += other.copied_bytes;
        self.promoted_bytes += other.promoted_bytes;
        self.copied_objects += other.copied_objects;
        self.promoted_objects += other.promoted_objects;
        self.promotion_failed |= other.promotion_failed;
    }
}

/// Whether the object starting at `address` is in new space.
#[inline(always)]
pub(crate) fn is_young(address: Address) -> bool {
    // SAFETY: callers pass object starts of live pages (P2), so masking finds the header.
    unsafe { PageRef::containing(address) }
        .flags()
        .contains(PageFlags::IN_NEW_SPACE)
}

/// The handles' young objects.
pub(crate) fn young_roots(core: &HeapCore) -> Vec<Address> {
    let mut young = Vec::new();
    core.handles.for_each_root(|root| {
        if is_young(root) {
            young.push(root);
        }
    });
    young
}

/// The young object the remembered slot at `address` points at, if it still points into new
/// space.
///
/// # Safety
/// `address` is a slot of the remembered set being iterated: a slot of a live old object (P1),
/// since old objects die only in full collections, which clear the remembered set.
pub(crate) unsafe fn young_target(address: Address) -> Option<Address> {
    // SAFETY: the caller's contract.
    let slot = unsafe { Slot::new(address) };
    slot.load().as_pointer().filter(|&target| is_young(target))
}

/// What a scavenge does with a remembered slot now pointing at `target`: keeps it while it
/// points into new space, drops it once its object is promoted (or it holds no young object).
pub(crate) fn keep_while_young(target: Option<Address>) -> SlotCallbackResult {
    match target.is_some_and(is_young) {
        true => SlotCallbackResult::Keep,
        false => SlotCallbackResult::Remove,
    }
}

/// Where a young object is after the scavenge: its forwarding address, or `None` if it died
/// (was not reached). Valid between the copy and the flip.
pub(crate) fn forwarded(address: Address) -> Option<Address> {
    // SAFETY: `address` is a from-space object start (P2), whose page lives until the flip (P1).
    match header_kind(unsafe { address.read_word() }) {
        HeaderKind::Forwarded(to) => Some(to),
        _ => None,
    }
}

/// One scavenge in progress.
pub struct Scavenger<'a, Old> {
    old: &'a mut Old,
    /// The old-space LAB promotion allocates from.
    promotion_lab: &'a mut LinearAllocationArea,
    new_space: &'a mut NewSpace,
    /// Objects of this age or older are promoted.
    promotion_age: u8,
    /// Promoted objects not yet scanned.
    promoted: Vec<HeapObject>,
    result: ScavengeResult,
}

impl<'a, Old: OldGenerationCollector> Scavenger<'a, Old> {
    /// A scavenge of `new_space` whose mutator LAB has been retired.
    ///
    /// # Safety
    /// Only the collector owning new space may scavenge it, in its pause (P5), and only when
    /// `new_space.can_scavenge` holds. [`Scavenger::run`] must be given the core and the
    /// remembered set of the heap `new_space` belongs to: every root and remembered slot must
    /// name a live object (P2). The scavenger's methods rely on this.
    pub unsafe fn new(
        old: &'a mut Old,
        promotion_lab: &'a mut LinearAllocationArea,
        new_space: &'a mut NewSpace,
        survivals_before_promotion: u8,
    ) -> Self {
        new_space.begin_scavenge();
        Scavenger {
            old,
            promotion_lab,
            new_space,
            promotion_age: survivals_before_promotion.min(MAX_AGE),
            promoted: Vec::new(),
            result: ScavengeResult::default(),
        }
    }

    /// Copies everything reachable from the handles and `remembered` and updates those roots.
    /// Weak handles and external memory are left for the caller (see `forwarded`); then the
    /// caller flips new space.
    pub fn run<R: RememberedSet>(
        mut self,
        core: &mut HeapCore,
        remembered: &mut R,
        young_bytes: usize,
    ) -> ScavengeResult {
        self.result.young_bytes = young_bytes;
        self.result.threads = 1;
        self.scavenge_handles(core);
        self.scavenge_remembered_slots(core, remembered);
        self.drain(core, remembered);
        core.object_moves.end_phase();
        self.result
    }

    fn scavenge_handles(&mut self, core: &mut HeapCore) {
        for root in young_roots(core) {
            self.evacuate(core, root);
        }
        core.handles.update(|root| forwarded(root).unwrap_or(root));
    }

    /// Updates every remembered slot; keeps the ones that still point into new space.
    fn scavenge_remembered_slots<R: RememberedSet>(
        &mut self,
        core: &mut HeapCore,
        remembered: &mut R,
    ) {
        remembered.iterate(&mut |address| {
            // SAFETY: the remembered set's own slot (as `young_target` asks).
            let Some(target) = (unsafe { young_target(address) }) else {
                return SlotCallbackResult::Remove;
            };
            let moved = self.evacuate(core, target);
            // SAFETY: a remembered slot in a live old object (P1, as above); `moved` is the
            // object's new start (P2); the scavenger's own write in its pause (P5).
            unsafe { Slot::new(address).store(TaggedWord::from_address(moved)) };
            keep_while_young(Some(moved))
        });
    }

    /// Scans copied and promoted objects until none is left (Cheney's scan pointer chasing the
    /// copy pointer through to-space).
    fn drain<R: RememberedSet>(&mut self, core: &mut HeapCore, remembered: &mut R) {
        let mut scan_page = 0;
        // SAFETY: to-space pages are used within this scavenge, which holds new space mutably:
        // nothing gives them back meanwhile (P1). The same holds for the calls below.
        let mut scan = unsafe { self.new_space.to_page(0) }.map(PageRef::area_start);
        loop {
            while let Some(address) = scan {
                // SAFETY: as above.
                let Some(page) = (unsafe { self.new_space.to_page(scan_page) }) else {
                    break;
                };
                if address < page.allocation_top() {
                    // SAFETY: to-space holds only the copies made by this scavenge, back to back
                    // below the page's top (P2).
                    let object = unsafe { HeapObject::from_address(address) };
                    self.scan(core, object, None::<&mut R>);
                    scan = Some(address.add(object.size()));
                } else if scan_page < self.new_space.copy_page() {
                    scan_page += 1;
                    // SAFETY: as above.
                    scan = unsafe { self.new_space.to_page(scan_page) }.map(PageRef::area_start);
                } else {
                    break;
                }
            }
            match self.promoted.pop() {
                Some(object) => self.scan(core, object, Some(&mut *remembered)),
                None => break,
            }
        }
    }

    /// Evacuates the young objects `object`'s slots point at and updates the slots. For a
    /// promoted object (`remembered` given), slots left pointing into new space are recorded.
    #[inline]
    fn scan<R: RememberedSet>(
        &mut self,
        core: &mut HeapCore,
        object: HeapObject,
        mut remembered: Option<&mut R>,
    ) {
        object.for_each_pointer(|slot, target| {
            if !is_young(target) {
                return;
            }
            let moved = self.evacuate(core, target);
            // SAFETY: `moved` is the live copy of the slot's target (P2); the scavenger's own
            // write in its pause needs no barrier (P5).
            unsafe { slot.store(TaggedWord::from_address(moved)) };
            if let Some(remembered) = remembered.as_deref_mut() {
                if is_young(moved) {
                    // SAFETY: `slot` is a pointer slot of `object`, a promoted copy (P2).
                    unsafe { remembered.record(object, slot.address()) };
                }
            }
        });
    }

    /// The new address of the from-space object at `address`, copying or promoting it first if
    /// this is the first time it is reached.
    #[inline]
    fn evacuate(&mut self, core: &mut HeapCore, address: Address) -> Address {
        if let Some(to) = forwarded(address) {
            return to;
        }
        // SAFETY: an unforwarded from-space object start (P2).
        let object = unsafe { HeapObject::from_address(address) };
        let size = object.size();
        let age = object.age();
        let promoted = if age >= self.promotion_age {
            let target = self.old.allocate_old(core, self.promotion_lab, size);
            self.result.promotion_failed |= target.is_none();
            target
        } else {
            None
        };
        let (target, promoted) = match promoted {
            Some(target) => (target, true),
            None => self.copy_target(core, size),
        };
        // SAFETY: `target` is `size` bytes of unused page memory (P1) that nothing else
        // refers to, distinct from the object's own memory (P3).
        unsafe { copy_words(address, target, size) };
        // SAFETY: as above, the copy is now an object start (P2).
        let copy = unsafe { HeapObject::from_address(target) };
        self.result.count(size, promoted);
        if promoted {
            copy.set_promoted();
            self.promoted.push(copy);
        } else {
            copy.set_age(age.saturating_add(1).min(MAX_AGE));
        }
        // SAFETY: the object is copied; every reference to it is updated before the pause ends
        // (handles and slots here, weak handles by the caller).
        unsafe { object.forward_to(target) };
        core.object_moves.record(address, target);
        target
    }

    /// Room in to-space (`false`); should it ever be full (the survivor guarantee says it cannot
    /// be), the object is promoted whatever its age (`true`).
    fn copy_target(&mut self, core: &mut HeapCore, size: usize) -> (Address, bool) {
        if let Some(target) = self.new_space.allocate_in_to_space(size) {
            return (target, false);
        }
        match self.old.allocate_old(core, self.promotion_lab, size) {
            Some(target) => (target, true),
            None => panic!("scavenge: neither to-space nor old space has {size} bytes"),
        }
    }
}

/// Copies `size` bytes (a whole object) from `from` to `to`.
///
/// # Safety
/// Both ranges are page memory (P1) and do not overlap (P3).
#[inline(always)]
unsafe fn copy_words(from: Address, to: Address, size: usize) {
    // SAFETY: guaranteed by the caller.
    unsafe { std::ptr::copy_nonoverlapping(from.as_mut_ptr(), to.as_mut_ptr(), size) }
}
