//! Pointer updating (V8's `PointersUpdatingVisitor`): after evacuation, every reference to a
//! moved object is rewritten to its new address.
//!
//! Instead of slots recorded during marking, the updater walks the live objects: every object of
//! the old-space pages that were swept (the moved copies among them), the objects that stayed
//! on aborted candidates (their mark bits say which), and the large objects. The roots are the
//! handles, the weak handles and the external-memory table, which is keyed by address. A slot
//! needs the forwarding header read only when its target's page is an evacuation candidate, a
//! flag test in the page header.

use gc_core::collector_api::{Address, HeapCore, HeapObject, PageFlags, PageRef, TaggedWord};
use gc_core::object::{HeaderKind, header_kind};
use gc_core::page::AREA_OFFSET;

/// Where the live object that was at `address` is now.
///
/// Valid between evacuation and the release of the evacuated pages, for the address of an object
/// that was live at marking (P2).
#[inline]
pub(crate) fn forwarded(address: Address) -> Address {
    // SAFETY: `address` is a live object's start as of marking, on a page not yet released (P1).
    let page = unsafe { PageRef::containing(address) };
    if !page.flags().contains(PageFlags::EVACUATION_CANDIDATE) {
        return address;
    }
    // SAFETY: as above; the header word is the object's or the forwarding pointer it left.
    match header_kind(unsafe { address.read_word() }) {
        HeaderKind::Forwarded(to) => to,
        _ => address,
    }
}

/// Rewrites every reference to a moved object.
///
/// # Safety
/// In the owning collector's pause, right after [`evacuate`](crate::evacuator::evacuate):
/// candidates still flagged, their bitmaps marking exactly the objects that stayed; every other
/// old-space page swept and walkable; dead large objects released.
pub unsafe fn update_pointers(core: &mut HeapCore) {
    core.handles.update(forwarded);
    core.weak_handles.process(|object| Some(forwarded(object)));
    core.external.process(|owner| Some(forwarded(owner)));
    for &page in core.old_space.pages() {
        if page.flags().contains(PageFlags::EVACUATION_CANDIDATE) {
            for_each_marked_object(page, update_slots);
        } else {
            // SAFETY: the page was swept and every allocation area in it retired (caller).
            for object in unsafe { page.objects() } {
                update_slots(object);
            }
        }
    }
    for object in core.lo_space.objects() {
        update_slots(object);
    }
}

fn for_each_marked_object(page: PageRef, mut f: impl FnMut(HeapObject)) {
    let mut offset = AREA_OFFSET;
    while let Some(marked) = page.mark_bitmap().next_marked(offset) {
        // SAFETY: a mark bit is set only at a live object's start (P2).
        let object = unsafe { HeapObject::from_address(page.start().add(marked)) };
        offset = marked + object.size();
        f(object);
    }
}

#[inline]
fn update_slots(object: HeapObject) {
    object.for_each_pointer(|slot, target| {
        let to = forwarded(target);
        if to != target {
            // SAFETY: the slot lies inside the live `object` (P2), and `to` is the live copy of
            // its target; the raw write is the collector's own, in its pause (P5), and needs no
            // barrier: no marking is on and a full collection has no young objects.
            unsafe { slot.store(TaggedWord::from_address(to)) };
        }
    });
}
