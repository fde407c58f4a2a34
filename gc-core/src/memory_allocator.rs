//! The memory allocator (V8's `MemoryAllocator`): hands pages to spaces, keeps a pool of free
//! regular pages, accounts committed memory and enforces the heap's hard limit.
//!
//! Invariant: `committed` is the sum of the sizes of all pages currently owned by spaces; pooled
//! pages are counted apart (they are memory the process holds but no space uses) and are given
//! back to the OS by [`MemoryAllocator::trim_pool`] when the heap shrinks.

use hashbrown::HashMap;

use crate::address::Address;
use crate::page::{PAGE_SIZE, PageFlags, PageRef, SpaceId};
use crate::page_source::{PageMemory, PageSource, PageSourceKind};

pub struct MemoryAllocator {
    source: PageSource,
    pool: Vec<PageMemory>,
    in_use: HashMap<Address, PageMemory>,
    committed: usize,
    peak_committed: usize,
    limit: usize,
    /// Flags every new page of old space and the large object space starts with.
    old_generation_flags: PageFlags,
}

impl MemoryAllocator {
    /// An allocator that never lets spaces own more than `limit` bytes of pages. Only a heap
    /// makes one: the pages it hands out live as long as it does (P1).
    pub(crate) fn new(kind: PageSourceKind, limit: usize) -> Self {
        MemoryAllocator {
            source: PageSource::new(kind),
            pool: Vec::new(),
            in_use: HashMap::new(),
            committed: 0,
            peak_committed: 0,
            limit,
            old_generation_flags: PageFlags::empty(),
        }
    }

    /// Bytes of pages owned by spaces.
    pub fn committed(&self) -> usize {
        self.committed
    }

    /// The highest `committed` seen.
    pub fn peak_committed(&self) -> usize {
        self.peak_committed
    }

    /// Bytes of free pages held in the pool.
    pub fn pooled(&self) -> usize {
        self.pool.len() * PAGE_SIZE
    }

    /// The hard limit on `committed`.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether `bytes` more of pages fit under the limit.
    pub fn can_commit(&self, bytes: usize) -> bool {
        self.committed.saturating_add(bytes) <= self.limit
    }

    /// Gives every page of old space and the large object space committed from now on these
    /// flags: a generational heap sets `POINTERS_FROM_HERE_ARE_INTERESTING` before it allocates,
    /// so that the write barrier's fast path sees stores into old objects.
    pub fn set_old_generation_flags(&mut self, flags: PageFlags) {
        self.old_generation_flags = flags;
    }

    /// The flags new old-generation pages start with.
    pub fn old_generation_flags(&self) -> PageFlags {
        self.old_generation_flags
    }

    /// A regular page for `owner`, from the pool when it has one; `None` at the limit or when the
    /// OS refuses.
    pub fn allocate_page(&mut self, owner: SpaceId) -> Option<PageRef> {
        if !self.can_commit(PAGE_SIZE) {
            return None;
        }
        let memory = match self.pool.pop() {
            Some(memory) => memory,
            None => {
                let memory = self.source.allocate(PAGE_SIZE)?;
                // Old-generation pages are filled in pauses (promotion); new space's are filled
                // by the mutator's allocation, whose page faults are not in a pause, and its
                // pages come in new space's resizing, which is. A refusal only leaves the
                // faults where they were.
                if owner != SpaceId::NewSpace {
                    let _ = self.source.populate(&memory);
                }
                memory
            }
        };
        Some(self.commit(memory, owner))
    }

    /// A page holding `object_size` bytes after its header, for the large object space.
    pub fn allocate_large_page(&mut self, object_size: usize) -> Option<PageRef> {
        let size = crate::page::AREA_OFFSET.checked_add(object_size)?;
        let size = crate::address::round_up(size, 4096);
        if !self.can_commit(size) {
            return None;
        }
        let memory = self.source.allocate(size)?;
        let page = self.commit(memory, SpaceId::LargeObjectSpace);
        // SAFETY: the allocator owns the page until it returns it (P5).
        unsafe { page.set_flags(PageFlags::LARGE_PAGE) };
        Some(page)
    }

    fn commit(&mut self, memory: PageMemory, owner: SpaceId) -> PageRef {
        let start = memory.start();
        let size = memory.size();
        // SAFETY: the memory is a fresh or pooled block of the page source, aligned to
        // PAGE_SIZE, and no space uses it.
        let page = unsafe { PageRef::initialize(start, size, owner) };
        if owner != SpaceId::NewSpace {
            // SAFETY: the allocator owns the page until it hands it out (P5).
            unsafe { page.set_flags(self.old_generation_flags) };
        }
        self.committed += size;
        self.peak_committed = self.peak_committed.max(self.committed);
        self.in_use.insert(start, memory);
        page
    }

    /// Takes a page back from its space. Regular pages go to the pool (up to `pool_limit` pages);
    /// others go back to the OS.
    ///
    /// # Safety
    /// `page` came from this allocator and its space gives it up, in the owning collector's pause
    /// (P1, P5): no live object is on it, and no page, object or address of it is used afterwards
    /// (every copy of the `PageRef` dangles).
    pub unsafe fn release_page(&mut self, page: PageRef, pool_limit: usize) {
        let memory = self
            .in_use
            .remove(&page.start())
            .expect("page released twice or foreign");
        self.committed -= memory.size();
        if memory.size() == PAGE_SIZE && self.pool.len() < pool_limit {
            self.pool.push(memory);
        } else {
            self.source.release(memory);
        }
    }

    /// Gives pooled pages back to the OS until at most `keep` remain.
    pub fn trim_pool(&mut self, keep: usize) {
        while self.pool.len() > keep {
            if let Some(memory) = self.pool.pop() {
                self.source.release(memory);
            }
        }
    }

    /// Whether `address` lies in the first `PAGE_SIZE` bytes of a page a space owns: an address
    /// that may be masked to find a live page header.
    pub fn owns(&self, address: Address) -> bool {
        let start = Address::new(address.raw() & !(PAGE_SIZE - 1));
        self.in_use.contains_key(&start)
    }
}

impl Drop for MemoryAllocator {
    fn drop(&mut self) {
        self.trim_pool(0);
        for (_, memory) in self.in_use.drain() {
            self.source.release(memory);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_tracks_pages_and_the_limit_holds() {
        let mut allocator = MemoryAllocator::new(PageSourceKind::Allocator, 2 * PAGE_SIZE);
        let a = allocator.allocate_page(SpaceId::OldSpace).unwrap();
        let b = allocator.allocate_page(SpaceId::OldSpace).unwrap();
        assert_eq!(allocator.committed(), 2 * PAGE_SIZE);
        assert!(allocator.allocate_page(SpaceId::OldSpace).is_none());
        assert!(allocator.owns(a.area_start()));
        // SAFETY: a test page with no objects, not used again (P1).
        unsafe { allocator.release_page(a, 1) };
        assert!(!allocator.owns(a.area_start()));
        assert_eq!(
            (allocator.committed(), allocator.pooled()),
            (PAGE_SIZE, PAGE_SIZE)
        );
        let c = allocator.allocate_page(SpaceId::OldSpace).unwrap();
        assert_eq!(
            (c.start(), allocator.pooled()),
            (a.start(), 0),
            "pooled page reused"
        );
        // SAFETY: as above.
        unsafe { allocator.release_page(b, 0) };
        assert_eq!(allocator.pooled(), 0);
        assert_eq!(allocator.peak_committed(), 2 * PAGE_SIZE);
    }

    #[test]
    fn large_pages_hold_their_object_and_are_not_pooled() {
        let mut allocator = MemoryAllocator::new(PageSourceKind::Allocator, 8 * PAGE_SIZE);
        let page = allocator.allocate_large_page(3 * PAGE_SIZE).unwrap();
        assert!(page.flags().contains(PageFlags::LARGE_PAGE));
        assert!(page.size() >= 3 * PAGE_SIZE + crate::page::AREA_OFFSET);
        // SAFETY: as above.
        unsafe { allocator.release_page(page, 4) };
        assert_eq!((allocator.committed(), allocator.pooled()), (0, 0));
    }
}
