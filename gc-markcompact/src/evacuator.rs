//! The evacuator: copies the live objects of evacuation candidates into other old-space pages
//! and leaves a forwarding pointer in each old copy's header (V8's `Evacuator`).
//!
//! Targets come from old space's free list, which the sweep just rebuilt from the pages that are
//! not candidates, so objects fill those pages' holes first; when the free list has no block
//! big enough, old space takes a fresh page. When not even that is possible (the hard heap
//! limit), evacuation stops: the page being evacuated and the ones after it are *aborted* and
//! keep their remaining objects where they are, marked, as V8 keeps aborted pages.
//!
//! Each moved object's mark bit is cleared on the candidate page and its size taken off the
//! page's live bytes, so that afterwards the page's bitmap marks exactly the objects that stayed
//! and a page whose live bytes reached zero was evacuated completely.

use gc_core::collector_api::{HeapCore, HeapObject, PageRef};
use gc_core::linear_allocation_area::LinearAllocationArea;
use gc_core::old_space::Expansion;
use gc_core::page::AREA_OFFSET;

/// What an evacuation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvacuationResult {
    /// Candidates whose every live object moved.
    pub evacuated: Vec<PageRef>,
    /// Candidates that keep some of their objects, for want of memory.
    pub aborted: Vec<PageRef>,
    pub moved_bytes: usize,
    pub moved_objects: usize,
}

/// Evacuates `candidates`, in order.
///
/// # Safety
/// In the owning collector's pause (P5), after a complete marking and after sweeping every
/// other page: each candidate is an old-space page flagged `EVACUATION_CANDIDATE` with its mark
/// bits and live bytes intact; old space's free list lists only memory of other pages; the
/// mutator's LAB is empty. Afterwards, until pointers are updated
/// ([`update_pointers`](crate::pointer_updating::update_pointers)), references to moved objects
/// name forwarded headers: nothing else may run.
pub unsafe fn evacuate(core: &mut HeapCore, candidates: &[PageRef]) -> EvacuationResult {
    let mut result = EvacuationResult::default();
    let mut lab = LinearAllocationArea::default();
    let mut out_of_memory = false;
    for &page in candidates {
        // SAFETY: the caller's guarantees, page by page.
        if !out_of_memory && unsafe { evacuate_page(core, &mut lab, page, &mut result) } {
            result.evacuated.push(page);
        } else {
            out_of_memory = true;
            result.aborted.push(page);
        }
    }
    // The rest of the evacuation LAB becomes a free-list block, so the page stays walkable.
    core.old_space.retire_lab(&mut lab);
    core.object_moves.end_phase();
    result
}

/// Moves the marked objects of `page` until done (`true`) or old space has no room (`false`).
///
/// # Safety
/// As [`evacuate`].
unsafe fn evacuate_page(
    core: &mut HeapCore,
    lab: &mut LinearAllocationArea,
    page: PageRef,
    result: &mut EvacuationResult,
) -> bool {
    let bitmap = page.mark_bitmap();
    let mut offset = AREA_OFFSET;
    while let Some(marked) = bitmap.next_marked(offset) {
        let from = page.start().add(marked);
        // SAFETY: a mark bit is set only at a live object's start (P2).
        let object = unsafe { HeapObject::from_address(from) };
        let size = object.size();
        let Some(to) =
            core.old_space
                .allocate(lab, size, &mut core.memory, Expansion::AllowNewPage)
        else {
            return false;
        };
        // SAFETY: `to` is `size` unused bytes of another live old-space page (the free list
        // lists no candidate memory), `from` is the live object (P1, P2); heap memory is only
        // touched through raw pointers (P3). The collector owns the page state it changes (P5),
        // and every reference to the old copy is updated before the pause ends.
        unsafe {
            std::ptr::copy_nonoverlapping(from.as_mut_ptr(), to.as_mut_ptr(), size);
            object.forward_to(to);
            bitmap.unmark(marked);
            page.set_live_bytes(page.live_bytes() - size);
        }
        core.object_moves.record(from, to);
        result.moved_bytes += size;
        result.moved_objects += 1;
        offset = marked + size;
    }
    true
}
