//! Where page memory comes from: the OS (anonymous memory maps) or, for tests and Miri, the
//! ordinary allocator.
//!
//! Both sources hand out blocks aligned to [`PAGE_SIZE`], so that a page header is found by
//! masking an address. Each source exposes the provenance of the block it hands out, which is
//! what lets [`Address`] turn integers back into pointers soundly.

use std::alloc::Layout;

use crate::address::{Address, round_up};
use crate::page::PAGE_SIZE;

/// Granularity of large pages (the OS page size).
const OS_PAGE: usize = 4096;

/// A block of page memory, aligned to [`PAGE_SIZE`]; zero-filled when handed out fresh.
#[derive(Debug)]
pub struct PageMemory {
    start: Address,
    size: usize,
    backing: Backing,
}

#[derive(Debug)]
enum Backing {
    Mapped(memmap2::MmapMut),
    Allocated(Layout),
}

impl PageMemory {
    pub fn start(&self) -> Address {
        self.start
    }

    pub fn size(&self) -> usize {
        self.size
    }
}

/// Which source a heap takes its pages from.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub enum PageSourceKind {
    /// Anonymous memory maps from the OS; released pages go back to the OS.
    #[default]
    Mapped,
    /// The global allocator: for tests, and for Miri, which cannot map memory.
    Allocator,
}

/// Reserves and releases page memory.
#[derive(Debug)]
pub struct PageSource {
    kind: PageSourceKind,
}

impl PageSource {
    pub fn new(kind: PageSourceKind) -> Self {
        PageSource { kind }
    }

    pub fn kind(&self) -> PageSourceKind {
        self.kind
    }

    /// A block of at least `size` bytes (rounded to the OS page), aligned to [`PAGE_SIZE`]; `None`
    /// when the system has no memory for it.
    pub fn allocate(&mut self, size: usize) -> Option<PageMemory> {
        let size = round_up(size, OS_PAGE);
        match self.kind {
            PageSourceKind::Mapped => map_aligned(size),
            PageSourceKind::Allocator => allocate_aligned(size),
        }
    }

    /// Makes the OS back all of `memory` now rather than at each first write, one OS page at a
    /// time, each a trap into the kernel: for memory that is about to be written from end to
    /// end in a pause (promotion fills old-space pages; a scavenge that promoted into fresh
    /// pages spent as long in page faults as in copying). A hint: an older kernel refuses it
    /// (the error), and the memory then fills as before; allocator memory is left as it is.
    pub fn populate(&self, memory: &PageMemory) -> std::io::Result<()> {
        if cfg!(miri) {
            // Miri maps anonymous memory but has no `madvise`.
            return Ok(());
        }
        match &memory.backing {
            Backing::Mapped(map) => {
                let offset = memory.start.raw() - map.as_ptr().addr();
                map.advise_range(memmap2::Advice::PopulateWrite, offset, memory.size)
            }
            Backing::Allocated(_) => Ok(()),
        }
    }

    /// Gives a block back to where it came from.
    pub fn release(&mut self, memory: PageMemory) {
        match memory.backing {
            // Dropping the map unmaps it.
            Backing::Mapped(map) => drop(map),
            Backing::Allocated(layout) => {
                // SAFETY: `start` came from `alloc_zeroed` with this very layout and is released
                // once, because `PageMemory` is not `Clone`.
                unsafe { std::alloc::dealloc(memory.start.as_mut_ptr(), layout) }
            }
        }
    }
}

fn map_aligned(size: usize) -> Option<PageMemory> {
    // Map one page more than needed and use the aligned part: anonymous memory is only virtual
    // until touched, so the unaligned head and tail cost address space, not RAM.
    let mut map = memmap2::MmapOptions::new()
        .len(size + PAGE_SIZE)
        .map_anon()
        .ok()?;
    let base = map.as_mut_ptr().expose_provenance();
    let start = Address::new(round_up(base, PAGE_SIZE));
    Some(PageMemory {
        start,
        size,
        backing: Backing::Mapped(map),
    })
}

fn allocate_aligned(size: usize) -> Option<PageMemory> {
    let layout = Layout::from_size_align(size, PAGE_SIZE).ok()?;
    // SAFETY: the layout has a non-zero size.
    let pointer = unsafe { std::alloc::alloc_zeroed(layout) };
    if pointer.is_null() {
        return None;
    }
    let start = Address::new(pointer.expose_provenance());
    Some(PageMemory {
        start,
        size,
        backing: Backing::Allocated(layout),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_source(kind: PageSourceKind) {
        let mut source = PageSource::new(kind);
        let memory = source.allocate(PAGE_SIZE).expect("page");
        assert_eq!(memory.start().raw() % PAGE_SIZE, 0);
        assert_eq!(memory.size(), PAGE_SIZE);
        // Kernels before Linux 5.14 do not know the advice (EINVAL); others must take it.
        match source.populate(&memory) {
            Ok(()) => {}
            Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput),
        }
        let last = memory.start().add(PAGE_SIZE - 8);
        // SAFETY: both words lie in the fresh block.
        unsafe {
            assert_eq!(memory.start().read_word(), 0);
            last.write_word(7);
            assert_eq!(last.read_word(), 7);
        }
        source.release(memory);
    }

    #[test]
    fn allocator_pages_are_aligned_and_usable() {
        check_source(PageSourceKind::Allocator);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot map memory")]
    fn mapped_pages_are_aligned_and_usable() {
        check_source(PageSourceKind::Mapped);
    }

    #[test]
    fn large_blocks_round_to_the_os_page() {
        let mut source = PageSource::new(PageSourceKind::Allocator);
        let memory = source.allocate(PAGE_SIZE + 1).expect("block");
        assert_eq!(memory.size(), PAGE_SIZE + OS_PAGE);
        source.release(memory);
    }
}
