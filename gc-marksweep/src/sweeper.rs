//! Sweeping: turns the gaps between marked objects into free-list blocks, gives empty pages back
//! to the memory allocator, frees dead large objects, and clears the mark bits it has read.
//!
//! Must run after marking (mark bits and live-byte counts intact) and after the mutator's LAB was
//! given up, because sweeping rebuilds the free list from scratch. Live objects are found through
//! the bitmap, so dead objects are never read.
//!
//! Old space's pages are swept on `HeapConfig::gc_threads` threads when there are many
//! ([`crate::parallel_sweeper`]); the free list comes out the same.
//!
//! Evacuation candidates (pages flagged `EVACUATION_CANDIDATE` by a compacting collector) are
//! left alone: they keep their mark bits and live-byte counts for the evacuator, and none of
//! their memory goes on the free list.

use gc_core::collector_api::{HeapCore, HeapObject, PageFlags, PageRef};
use gc_core::free_list::FreeList;

use crate::parallel_sweeper::PauseSweeping;

/// What a sweep found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepResult {
    /// Bytes of surviving objects.
    pub live_bytes: usize,
    /// Empty old-space pages given back to the memory allocator.
    pub released_pages: usize,
}

/// Sweeps one old-space page with live objects into `free_list`; returns the bytes free on it.
///
/// # Safety
/// The page's mark bits are those of a complete marking of the heap, `free_list` belongs to the
/// page's space, and the caller is the collector that owns the page (P5).
pub unsafe fn sweep_page(page: PageRef, free_list: &mut FreeList) -> usize {
    let bitmap = page.mark_bitmap();
    let mut free_start = page.area_start();
    let mut offset = free_start.offset_from(page.start());
    let mut free_bytes = 0;
    while let Some(marked) = bitmap.next_marked(offset) {
        let object_start = page.start().add(marked);
        let gap = object_start.offset_from(free_start);
        // SAFETY: the gap between marked objects holds only dead objects and free space of this
        // page (P1); nothing refers to it any more.
        unsafe { free_list.add(free_start, gap) };
        free_bytes += gap;
        // SAFETY: a marked bit is set only at a live object start (P2).
        let size = unsafe { HeapObject::from_address(object_start) }.size();
        free_start = object_start.add(size);
        offset = marked + size;
    }
    let tail = page.area_end().offset_from(free_start);
    // SAFETY: as above, the tail after the last live object is dead or free.
    unsafe { free_list.add(free_start, tail) };
    // SAFETY: the caller owns the page (P5), and its marks are read.
    unsafe { bitmap.clear() };
    free_bytes + tail
}

/// Sweeps all of old space and the large object space, and sets the heap's used bytes to what
/// survived; old space's pages on several threads as `sweeping` says.
///
/// # Safety
/// As [`sweep_page`], for every page of the two spaces: a complete marking just finished and
/// the mutator's LAB was given up (this rebuilds the free list from scratch, the LAB's area
/// included).
pub unsafe fn sweep(core: &mut HeapCore, sweeping: PauseSweeping) -> SweepResult {
    let live_bytes = core
        .old_space
        .pages()
        .iter()
        .chain(core.lo_space.pages())
        .map(|page| page.live_bytes())
        .sum();
    core.counters.set_used_bytes(live_bytes);
    // With used bytes known, the pool keeps the pages the mutator will refill before the next
    // collection instead of unmapping them.
    let pool_limit = core.page_pool_target();
    // SAFETY: the caller's guarantees.
    let released_pages = unsafe { sweep_old_space(core, pool_limit, sweeping) };
    // SAFETY: the caller's guarantees.
    unsafe { sweep_large_objects(core) };
    SweepResult {
        live_bytes,
        released_pages,
    }
}

/// Gives back old space's empty pages and sweeps the others; returns how many were given back.
///
/// # Safety
/// As [`sweep`].
unsafe fn sweep_old_space(
    core: &mut HeapCore,
    pool_limit: usize,
    sweeping: PauseSweeping,
) -> usize {
    core.old_space.free_list_mut().reset();
    let pages_before = core.old_space.pages().len();
    // SAFETY: marking is complete (the caller): a page without live bytes holds no live object,
    // and this sweep is the only user of the pages it gives back (P1, P5).
    unsafe {
        core.old_space
            .retain_pages(&mut core.memory, pool_limit, |page| page.live_bytes() > 0)
    };
    let pages: Vec<PageRef> = core
        .old_space
        .pages()
        .iter()
        .filter(|page| !page.flags().contains(PageFlags::EVACUATION_CANDIDATE))
        .copied()
        .collect();
    let threads = core.config.gc_threads;
    // SAFETY: the caller's guarantees, for distinct pages of old space, whose free list was
    // reset above.
    unsafe {
        sweeping.sweep_pages(
            &pages,
            core.old_space.free_list_mut(),
            &core.gc_workers,
            threads,
        )
    };
    pages_before - core.old_space.pages().len()
}

/// Frees dead large objects and clears the marks of the others.
///
/// # Safety
/// As [`sweep`].
pub unsafe fn sweep_large_objects(core: &mut HeapCore) {
    let is_live = |object: HeapObject| {
        // SAFETY: a large object starts its own live page.
        let page = unsafe { PageRef::containing(object.address()) };
        page.live_bytes() > 0
    };
    // SAFETY: marking is complete (the caller): a large object without live bytes is dead, and
    // this sweep is the only user of the pages it gives back (P1, P5).
    unsafe { core.lo_space.release_dead(&mut core.memory, is_live) };
    for object in core.lo_space.objects() {
        // SAFETY: a large object starts its own live page; the caller owns it (P5) and its mark
        // was read.
        unsafe {
            let page = PageRef::containing(object.address());
            page.mark_bitmap().clear();
            page.set_live_bytes(0);
        }
    }
}
