//! The young generation's part of the heap verifier (run through `Collector::verify` after the
//! core's checks): every old-to-new slot is in the remembered set, old pages carry the barrier's
//! "from" flag, new-space pages are flagged as such, and to-space is empty between scavenges.

use gc_core::VerifyError;
use gc_core::collector_api::{HeapCore, HeapObject, PageFlags, RememberedSet, SpaceId};
use gc_core::page::PageRef;

use crate::new_space::{NEW_SPACE_FLAGS, NewSpace};
use crate::scavenger::is_young;

fn fail<T>(message: String) -> Result<T, VerifyError> {
    Err(VerifyError(message))
}

/// Checks the generations. The caller (the heap verifier) has made every page walkable.
pub fn verify_generations<R: RememberedSet>(
    core: &HeapCore,
    new_space: &NewSpace,
    remembered: &R,
) -> Result<(), VerifyError> {
    // SAFETY: the pages are used in this call only, which borrows new space (P1).
    for page in unsafe { new_space.pages() } {
        if !page.flags().contains(NEW_SPACE_FLAGS) || page.owner() != SpaceId::NewSpace {
            return fail(format!("new-space {page:?} lacks its flags or owner"));
        }
    }
    // SAFETY: as above.
    for page in unsafe { new_space.to_space() } {
        if page.allocation_top() != page.area_start() {
            return fail(format!("to-space {page:?} holds objects between scavenges"));
        }
    }
    for &page in core.old_space.pages().iter().chain(core.lo_space.pages()) {
        check_old_page(page, remembered)?;
    }
    Ok(())
}

fn check_old_page<R: RememberedSet>(page: PageRef, remembered: &R) -> Result<(), VerifyError> {
    let flags = page.flags();
    if !flags.contains(PageFlags::POINTERS_FROM_HERE_ARE_INTERESTING) {
        return fail(format!(
            "old {page:?} lacks the barrier's from-flag: stores into it would not be remembered"
        ));
    }
    if flags.intersects(PageFlags::IN_NEW_SPACE) {
        return fail(format!("old {page:?} is flagged as new space"));
    }
    if flags.contains(PageFlags::NEEDS_SWEEPING) {
        // Dead objects on an unswept page may point anywhere.
        return Ok(());
    }
    // SAFETY: the heap verifier made every allocation area walkable before calling us.
    for object in unsafe { page.objects() } {
        check_object(object, remembered)?;
    }
    Ok(())
}

fn check_object<R: RememberedSet>(object: HeapObject, remembered: &R) -> Result<(), VerifyError> {
    let mut missing = None;
    object.for_each_pointer(|slot, target| {
        if missing.is_none() && is_young(target) && !remembered.contains(object, slot.address()) {
            missing = Some((slot, target));
        }
    });
    match missing {
        Some((slot, target)) => fail(format!(
            "old-to-new slot {slot} of {} (pointing at {target}) is not in the remembered set",
            object.address()
        )),
        None => Ok(()),
    }
}
