//! Which remembered slots lie in marked objects, and forgetting the others when marking finishes
//! (V8 clears them as it sweeps; here it is done in the finalization pause, so that lazy sweeping
//! needs no remembered set).
//!
//! Without it, a scavenge after finalization would treat a dead object's slot as a root: it
//! would keep the young object it names alive for another cycle, and once the lazy sweeper had
//! given the dead object's memory to the free list, it would read a free-list word as a slot.
//! Invariant after [`remove_dead_slots`]: every remembered slot lies in a marked object.

use gc_core::collector_api::{
    Address, HeapCore, HeapObject, PageRef, RememberedSet, SlotCallbackResult,
};

use crate::incremental_marking::is_marked;

/// Finds the object a remembered slot lies in and tells whether it is marked. Large objects
/// are looked up by extent (masking a slot far into a large object does not find its page);
/// on a regular page, the nearest marked object at or before the slot holds it if it covers it
/// (objects between a marked object and the slot are unmarked).
pub struct MarkedHosts {
    /// Start and end of every large object, by start.
    large: Vec<(Address, Address)>,
}

impl MarkedHosts {
    pub fn new(core: &HeapCore) -> Self {
        let mut large: Vec<(Address, Address)> = core
            .lo_space
            .objects()
            .map(|object| (object.address(), object.address().add(object.size())))
            .collect();
        large.sort_unstable();
        MarkedHosts { large }
    }

    /// Whether `slot` lies in a marked object.
    ///
    /// # Safety
    /// `slot` lies in an old-space or large-object page of the heap this was made for, whose
    /// large objects have not changed since (P1); mark bits are set only at live object starts.
    pub unsafe fn contains(&self, slot: Address) -> bool {
        let after = self.large.partition_point(|&(start, _)| start <= slot);
        if let Some(&(start, end)) = after.checked_sub(1).map(|i| &self.large[i]) {
            if slot < end {
                // SAFETY: `start` is a large object of this heap, alive as its page (the caller, P1, P2).
                return unsafe { is_marked(start) };
            }
        }
        // SAFETY: a slot not in a large object lies in a regular page, within its first
        // PAGE_SIZE bytes, and the page is live (the caller, P1).
        let page = unsafe { PageRef::containing(slot) };
        let Some(offset) = page
            .mark_bitmap()
            .previous_marked(slot.offset_from(page.start()))
        else {
            return false;
        };
        let start = page.start().add(offset);
        // SAFETY: a mark bit is set only at the start of a live object (P2).
        let size = unsafe { HeapObject::from_address(start) }.size();
        slot < start.add(size)
    }
}

/// Removes every slot of `remembered` that does not lie in a marked object.
///
/// # Safety
/// Marking is complete and its mark bits are intact (no page swept since); as
/// [`MarkedHosts::contains`] for every remembered slot.
pub unsafe fn remove_dead_slots(core: &HeapCore, remembered: &mut (dyn RememberedSet + '_)) {
    let hosts = MarkedHosts::new(core);
    remembered.iterate(&mut |slot| {
        // SAFETY: the caller's guarantees.
        if unsafe { hosts.contains(slot) } {
            SlotCallbackResult::Keep
        } else {
            SlotCallbackResult::Remove
        }
    });
}
