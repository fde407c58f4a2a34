//! The large object space: objects over half a page, each alone on a page of its own size.
//! Large objects never move; they die by giving their page back to the OS.

use crate::address::Address;
use crate::memory_allocator::MemoryAllocator;
use crate::object::HeapObject;
use crate::page::PageRef;

#[derive(Default)]
pub struct LargeObjectSpace {
    pages: Vec<PageRef>,
    object_bytes: usize,
}

impl LargeObjectSpace {
    pub fn pages(&self) -> &[PageRef] {
        &self.pages
    }

    /// Bytes of the objects in this space.
    pub fn object_bytes(&self) -> usize {
        self.object_bytes
    }

    pub fn committed(&self) -> usize {
        self.pages.iter().map(|page| page.size()).sum()
    }

    /// A page for an object of `size` bytes; `None` at the heap limit.
    pub fn allocate(&mut self, size: usize, memory: &mut MemoryAllocator) -> Option<Address> {
        let page = memory.allocate_large_page(size)?;
        let object = page.area_start();
        // SAFETY: this space owns the new page (P5); the caller formats the object it returns.
        unsafe { page.set_allocation_top(object.add(size)) };
        self.pages.push(page);
        self.object_bytes += size;
        Some(object)
    }

    /// The object on `page`, which must be a page of this space.
    fn object_of(page: PageRef) -> HeapObject {
        // SAFETY: a page of this space holds exactly one object, at its area start (P2).
        unsafe { HeapObject::from_address(page.area_start()) }
    }

    /// The objects of this space.
    pub fn objects(&self) -> impl Iterator<Item = HeapObject> + '_ {
        self.pages.iter().map(|&page| Self::object_of(page))
    }

    /// Gives back the pages whose object `is_live` rejects; returns the bytes of objects freed.
    ///
    /// # Safety
    /// In the owning collector's pause: an object `is_live` rejects is dead (nothing refers to
    /// it any more), and nothing uses its page afterwards (P1, P5).
    pub unsafe fn release_dead(
        &mut self,
        memory: &mut MemoryAllocator,
        mut is_live: impl FnMut(HeapObject) -> bool,
    ) -> usize {
        let mut freed = 0;
        self.pages.retain(|&page| {
            let object = Self::object_of(page);
            if is_live(object) {
                return true;
            }
            freed += object.size();
            // SAFETY: the page's only object is dead (the caller), and this space forgets it (P1).
            unsafe { memory.release_page(page, 0) };
            false
        });
        self.object_bytes -= freed;
        freed
    }
}
