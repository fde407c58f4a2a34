//! Old space: regular pages with a free list, allocated into through linear allocation areas.
//!
//! Invariant: every page of old space is walkable over its whole area (`allocation_top` is the
//! area end): bytes not in an object are fillers, listed in the free list when large enough,
//! except the unused part of a LAB that is currently allocating (see
//! [`LinearAllocationArea::make_iterable`]).

use crate::address::Address;
use crate::free_list::FreeList;
use crate::linear_allocation_area::LinearAllocationArea;
use crate::memory_allocator::MemoryAllocator;
use crate::page::{AREA_SIZE, MAX_REGULAR_OBJECT_SIZE, PageRef, SpaceId};

/// The LAB size the free list tries to hand out first (V8's fast-path threshold).
const PREFERRED_LAB_SIZE: usize = 2 * 1024;

/// Whether refilling a LAB may take a new page from the memory allocator.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Expansion {
    AllowNewPage,
    FreeListOnly,
}

#[derive(Default)]
pub struct OldSpace {
    pages: Vec<PageRef>,
    free_list: FreeList,
}

impl OldSpace {
    pub fn pages(&self) -> &[PageRef] {
        &self.pages
    }

    pub fn free_list(&self) -> &FreeList {
        &self.free_list
    }

    pub fn free_list_mut(&mut self) -> &mut FreeList {
        &mut self.free_list
    }

    /// Bytes of pages this space owns.
    pub fn committed(&self) -> usize {
        self.pages.len() * crate::page::PAGE_SIZE
    }

    /// Allocates `size` bytes (at most [`MAX_REGULAR_OBJECT_SIZE`]) from `lab`, refilling it from
    /// the free list, or from a new page when `expansion` allows. `None` when neither has room.
    pub fn allocate(
        &mut self,
        lab: &mut LinearAllocationArea,
        size: usize,
        memory: &mut MemoryAllocator,
        expansion: Expansion,
    ) -> Option<Address> {
        debug_assert!(size <= MAX_REGULAR_OBJECT_SIZE);
        if let Some(address) = lab.allocate(size) {
            return Some(address);
        }
        self.retire_lab(lab);
        let (start, block) = match self.free_list.take(size, PREFERRED_LAB_SIZE) {
            Some(block) => block,
            None if expansion == Expansion::AllowNewPage => {
                self.add_page(memory)?;
                self.free_list.take(size, PREFERRED_LAB_SIZE)?
            }
            None => return None,
        };
        // SAFETY: the block came off this space's free list: unused memory of one of its pages.
        unsafe { lab.reset(start, block) };
        lab.allocate(size)
    }

    /// Returns the unused part of `lab` (which must come from this space) to the free list.
    pub fn retire_lab(&mut self, lab: &mut LinearAllocationArea) {
        if let Some((start, size)) = lab.take_rest() {
            // SAFETY: the rest of a LAB of this space is unused memory of one of its pages (P1).
            unsafe { self.free_list.add(start, size) }
        }
    }

    /// Takes a fresh page; its whole area becomes one free block.
    pub fn add_page(&mut self, memory: &mut MemoryAllocator) -> Option<PageRef> {
        let page = memory.allocate_page(SpaceId::OldSpace)?;
        // SAFETY: this space owns the fresh page (P5), and the free block below makes its whole
        // area a filler.
        unsafe {
            self.free_list.add(page.area_start(), AREA_SIZE);
            page.set_allocation_top(page.area_end());
        }
        self.pages.push(page);
        Some(page)
    }

    /// Takes over a page another space filled (a young generation's page, moved to old space
    /// whole as V8 promotes pages): it becomes an old-space page with its objects in place.
    ///
    /// # Safety
    /// The caller owns the page (P5) and gives it up: it has set the page's owner and flags for
    /// old space, and the page is walkable over its whole area (`allocation_top` is the area
    /// end). None of its fillers is on the free list: a collection that rebuilds the free list
    /// (a sweep) must run before this space allocates from the page's free memory.
    pub unsafe fn adopt_page(&mut self, page: PageRef) {
        debug_assert_eq!(page.owner(), SpaceId::OldSpace);
        debug_assert_eq!(page.allocation_top(), page.area_end());
        self.pages.push(page);
    }

    /// Keeps the pages for which `keep` is true; gives the others back to `memory`.
    ///
    /// # Safety
    /// As [`MemoryAllocator::release_page`] for every page `keep` rejects: in the owning
    /// collector's pause, no live object is on it and nothing uses it afterwards (P1, P5). The
    /// caller must have removed the pages' blocks from the free list (a sweep rebuilds it).
    pub unsafe fn retain_pages(
        &mut self,
        memory: &mut MemoryAllocator,
        pool_limit: usize,
        mut keep: impl FnMut(PageRef) -> bool,
    ) {
        self.pages.retain(|&page| {
            let kept = keep(page);
            if !kept {
                // SAFETY: the caller's guarantee for a rejected page; this space forgets it (P1).
                unsafe { memory.release_page(page, pool_limit) };
            }
            kept
        });
    }
}
