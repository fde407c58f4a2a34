//! New space: two semispaces of pages. The mutator bump-allocates in from-space; a scavenge
//! copies the survivors into to-space, and the two swap roles (the flip).
//!
//! ```text
//!  from-space (the mutator allocates here)         to-space (empty between scavenges)
//!  ┌──────────┬──────────┬──────────┬────────┐      ┌────────┬────────┬────────┬────────┐
//!  │survivors │ objects  │ obj│LAB▒▒│ (empty)│      │        │        │        │        │
//!  └──────────┴──────────┴──────────┴────────┘      └────────┴────────┴────────┴────────┘
//!   page 0     page 1     page 2 =    page 3
//!                         `current`
//! ```
//!
//! Each page's `allocation_top` is the end of its objects (the mutator's LAB, while it is on
//! the page, up to the LAB's limit), so every page walks cleanly once the LAB is made iterable.
//!
//! **The survivor guarantee.** A scavenge must never run out of room: an object that cannot be
//! promoted is copied into to-space, so to-space must hold every survivor. Copying wastes less
//! than [`MAX_YOUNG_OBJECT_SIZE`] at the end of each page (the next object did not fit), so a
//! semispace of `n` pages holds any `n * (AREA_SIZE - MAX_YOUNG_OBJECT_SIZE)` bytes of objects
//! ([`survivor_budget`]). The mutator may therefore fill from-space only up to that budget
//! (counting whole pages behind it, waste included), and larger objects never enter new space.

use gc_core::collector_api::{Address, HeapCore, MemoryAllocator, PageFlags, SpaceId, WORD};
use gc_core::page::{AREA_SIZE, PageRef};
use gc_core::{linear_allocation_area::LinearAllocationArea, object::write_filler};

/// The largest object new space takes (about 8 KiB); larger ones are allocated in the old
/// generation directly (pretenured).
pub const MAX_YOUNG_OBJECT_SIZE: usize = (AREA_SIZE / 32) & !(WORD - 1);

/// Flags of every new-space page.
pub const NEW_SPACE_FLAGS: PageFlags =
    PageFlags::IN_NEW_SPACE.union(PageFlags::POINTERS_TO_HERE_ARE_INTERESTING);

/// Bytes of objects a semispace of `pages` pages is guaranteed to take, whatever their order.
pub const fn survivor_budget(pages: usize) -> usize {
    pages * (AREA_SIZE - MAX_YOUNG_OBJECT_SIZE)
}

#[derive(Default)]
pub struct NewSpace {
    from: Vec<PageRef>,
    to: Vec<PageRef>,
    /// The from-space page the mutator allocates on.
    current: usize,
    /// Where the mutator's current LAB began; null when it has none in new space.
    lab_start: Address,
    /// Bytes of objects in from-space outside the current LAB.
    object_bytes: usize,
    /// The to-space page a scavenge copies into.
    copy_page: usize,
    /// Pages of each semispace beyond what the mutator fills: room for the pages that the extra
    /// threads of a parallel scavenge keep partly filled ([`NewSpace::can_scavenge_in_parallel`]).
    spare: usize,
}

impl NewSpace {
    /// Pages per semispace the mutator can fill (the spare pages aside).
    pub fn capacity(&self) -> usize {
        self.from
            .len()
            .min(self.to.len())
            .saturating_sub(self.spare)
    }

    /// Bytes of objects in new space, the mutator's LAB (`lab`) included.
    pub fn object_bytes(&self, lab: &LinearAllocationArea) -> usize {
        let in_lab = if self.lab_start.is_null() {
            0
        } else {
            lab.top().offset_from(self.lab_start)
        };
        self.object_bytes + in_lab
    }

    /// Whether to-space is sure to take every object of from-space (see the module docs).
    pub fn can_scavenge(&self, lab: &LinearAllocationArea) -> bool {
        self.object_bytes(lab) <= survivor_budget(self.to.len())
    }

    /// Whether to-space is sure to take every object of from-space when `threads` threads copy,
    /// each with a page of its own in use (see the `parallel_scavenger` module): always for up to
    /// one thread per spare page and one more. The mutator's LAB must have been retired.
    pub fn can_scavenge_in_parallel(&self, threads: usize) -> bool {
        debug_assert!(self.lab_start.is_null());
        let spare = threads.saturating_sub(1);
        self.to.len() > spare && self.object_bytes <= survivor_budget(self.to.len() - spare)
    }

    /// The pages of from-space.
    ///
    /// # Safety
    /// As [`NewSpace::to_space`].
    pub unsafe fn from_space(&self) -> &[PageRef] {
        &self.from
    }

    /// The pages of to-space.
    ///
    /// # Safety
    /// A page is valid only while this new space keeps it: the caller uses no returned
    /// [`PageRef`] after the next `&mut self` call on this new space (`resize` gives pages back,
    /// `move_pages_to_old_space` hands them over), for the new space of a heap after its next
    /// allocation, collection or step (P1).
    ///
    /// Safe code cannot keep a page that a resize may free:
    ///
    /// ```compile_fail,E0133
    /// use gc_core::{Heap, HeapConfig};
    /// use gc_marksweep::MarkSweep;
    /// use gc_scavenge::Generational;
    ///
    /// let heap = Heap::new(HeapConfig::for_testing(), Generational::new(MarkSweep::new())).unwrap();
    /// let pages = heap.collector().new_space().to_space().to_vec();
    /// ```
    ///
    /// ```
    /// use gc_core::{CollectionKind, Heap, HeapConfig};
    /// use gc_marksweep::MarkSweep;
    /// use gc_scavenge::Generational;
    ///
    /// let mut heap = Heap::new(HeapConfig::for_testing(), Generational::new(MarkSweep::new())).unwrap();
    /// heap.collect(CollectionKind::Young);
    /// let new_space = heap.collector().new_space();
    /// // SAFETY: the pages are read while `heap` is borrowed (P1).
    /// let to_space = unsafe { new_space.to_space() };
    /// // To-space may hold a spare page per extra scavenging thread.
    /// assert!(to_space.len() >= new_space.capacity());
    /// assert!(to_space.iter().all(|page| page.allocation_top() == page.area_start()));
    /// ```
    pub unsafe fn to_space(&self) -> &[PageRef] {
        &self.to
    }

    /// Every page of both semispaces.
    ///
    /// # Safety
    /// As [`NewSpace::to_space`].
    pub unsafe fn pages(&self) -> impl Iterator<Item = PageRef> + '_ {
        self.from.iter().chain(&self.to).copied()
    }

    /// Where the mutator's allocation on from-space page `index` must end: the page's area end,
    /// or earlier where the survivor budget ends; `None` past the budget.
    fn limit_of(&self, index: usize) -> Option<Address> {
        let budget = survivor_budget(self.capacity());
        let before = index * AREA_SIZE;
        if index >= self.capacity() || budget <= before {
            return None;
        }
        let page = self.from[index];
        Some(page.area_end().min(page.area_start().add(budget - before)))
    }

    /// Gives up the mutator's LAB: its page's top drops back to the LAB's top, so the unused
    /// rest is simply not part of the page any more.
    pub fn retire_lab(&mut self, lab: &mut LinearAllocationArea) {
        if self.lab_start.is_null() {
            debug_assert!(lab.is_empty());
            return;
        }
        let top = lab.top();
        self.object_bytes += top.offset_from(self.lab_start);
        lab.take_rest();
        // SAFETY: the page is ours (P5), and every byte below `top` is an object.
        unsafe { self.from[self.current].set_allocation_top(top) };
        self.lab_start = Address::NULL;
    }

    /// The mutator's allocation slow path in new space: a new LAB on the current page or a
    /// later one, with `size` bytes allocated from it; `None` when from-space is full.
    pub fn refill(&mut self, lab: &mut LinearAllocationArea, size: usize) -> Option<Address> {
        debug_assert!(size <= MAX_YOUNG_OBJECT_SIZE);
        self.retire_lab(lab);
        let mut index = self.current;
        while let Some(limit) = self.limit_of(index) {
            let page = self.from[index];
            let start = page.allocation_top();
            if limit > start && limit.offset_from(start) >= size {
                // SAFETY: `[start, limit)` is unused memory of our page (P1, P5); the page's top
                // covers the LAB, whose rest is made a filler before anyone walks the page.
                unsafe {
                    page.set_allocation_top(limit);
                    lab.reset(start, limit.offset_from(start));
                }
                self.current = index;
                self.lab_start = start;
                return lab.allocate(size);
            }
            index += 1;
        }
        None
    }

    /// Starts a scavenge: to-space is empty, copying starts on its first page. The mutator's
    /// LAB must have been retired.
    pub fn begin_scavenge(&mut self) {
        debug_assert!(self.lab_start.is_null());
        self.copy_page = 0;
    }

    /// Room for a surviving object of `size` bytes in to-space; `None` when to-space is full
    /// (which the survivor guarantee rules out).
    #[inline]
    pub fn allocate_in_to_space(&mut self, size: usize) -> Option<Address> {
        while let Some(&page) = self.to.get(self.copy_page) {
            let top = page.allocation_top();
            if page.area_end().offset_from(top) >= size {
                // SAFETY: a scavenge owns to-space (P5); the caller formats the object at once.
                unsafe { page.set_allocation_top(top.add(size)) };
                return Some(top);
            }
            self.copy_page += 1;
        }
        None
    }

    /// Ends a parallel scavenge's copying, whose threads took the first `pages` pages of
    /// to-space (in order; each page's top is the end of its copies): the mutator continues
    /// after them once the semispaces flip.
    pub(crate) fn end_parallel_copy(&mut self, pages: usize) {
        self.copy_page = pages.saturating_sub(1);
    }

    /// To-space page `index` and the end of its objects so far, for the scavenger's scan.
    ///
    /// # Safety
    /// As [`NewSpace::to_space`].
    pub unsafe fn to_page(&self, index: usize) -> Option<PageRef> {
        self.to.get(index).copied()
    }

    /// The to-space page copying is on.
    pub fn copy_page(&self) -> usize {
        self.copy_page
    }

    /// Ends a scavenge that copied `copied` bytes of survivors into to-space: the semispaces
    /// swap, and the old from-space (all dead or forwarded now) is emptied.
    pub fn flip(&mut self, copied: usize) {
        std::mem::swap(&mut self.from, &mut self.to);
        for &page in &self.to {
            // SAFETY: nothing refers to the old from-space any more; it is ours (P5).
            unsafe { page.set_allocation_top(page.area_start()) };
        }
        self.current = self.copy_page.min(self.from.len().saturating_sub(1));
        self.object_bytes = copied;
        self.copy_page = 0;
    }

    /// Hands from-space's pages that hold objects to old space whole (before a full collection,
    /// which then treats their objects as old). The mutator's LAB is retired first.
    ///
    /// # Safety
    /// Called in the collector's pause, before a full collection that rebuilds old space's free
    /// list (see `OldSpace::adopt_page`).
    pub unsafe fn move_pages_to_old_space(&mut self, core: &mut HeapCore) {
        self.retire_lab(&mut core.lab);
        let old_flags = core.memory.old_generation_flags();
        let mut kept = Vec::new();
        for page in std::mem::take(&mut self.from) {
            let top = page.allocation_top();
            if top == page.area_start() {
                kept.push(page);
                continue;
            }
            // SAFETY: the page is ours until adopted (P5); the filler covers the unused rest, so
            // the page walks over its whole area as old space requires.
            unsafe {
                if top < page.area_end() {
                    write_filler(top, page.area_end().offset_from(top));
                }
                page.set_allocation_top(page.area_end());
                page.clear_flags(NEW_SPACE_FLAGS);
                page.set_flags(old_flags);
                page.set_owner(SpaceId::OldSpace);
                core.old_space.adopt_page(page);
            }
        }
        self.from = kept;
        self.current = 0;
        self.object_bytes = 0;
    }

    /// Brings both semispaces towards `pages` pages each for the mutator, and `spare` more (one
    /// per extra scavenging thread: [`NewSpace::can_scavenge_in_parallel`]; both semispaces have
    /// them, so that a flip moves no page): takes pages from `memory` while it gives them, and
    /// gives back empty ones beyond the target (never the pages holding objects). The mutator's
    /// LAB must have been retired.
    pub fn resize(
        &mut self,
        pages: usize,
        spare: usize,
        memory: &mut MemoryAllocator,
        pool_limit: usize,
    ) {
        debug_assert!(self.lab_start.is_null());
        let used = if self.object_bytes > 0 {
            self.current + 1
        } else {
            0
        };
        // To-space must take every survivor of the next scavenge (the survivor guarantee):
        // survivors packed densely into `used` pages may need more pages' worth of budget.
        self.spare = spare;
        let to_pages = pages.max(self.object_bytes.div_ceil(survivor_budget(1))) + spare;
        for (space, target) in [(&mut self.from, pages + spare), (&mut self.to, to_pages)] {
            while space.len() < target {
                match new_page(memory) {
                    Some(page) => space.push(page),
                    None => break,
                }
            }
        }
        let keep_from = (pages + spare).min(self.to.len()).max(used);
        release_beyond(&mut self.from, keep_from, memory, pool_limit);
        release_beyond(&mut self.to, to_pages.max(used), memory, pool_limit);
        debug_assert!(
            self.to.len() < to_pages || survivor_budget(self.to.len()) >= self.object_bytes,
            "to-space cannot take the survivors (only the hard limit may keep it small)"
        );
        self.current = self.current.min(self.from.len().saturating_sub(1));
    }
}

/// Gives back the pages of `space` beyond the first `keep` (they hold no objects).
fn release_beyond(
    space: &mut Vec<PageRef>,
    keep: usize,
    memory: &mut MemoryAllocator,
    pool_limit: usize,
) {
    while space.len() > keep {
        if let Some(page) = space.pop() {
            // SAFETY: a page beyond `keep` holds no object (`resize` keeps every page in use),
            // and it leaves the space; its copies handed out by `to_space` and the like are
            // valid only until this `&mut self` call (P1).
            unsafe { memory.release_page(page, pool_limit) };
        }
    }
}

/// A fresh page for new space.
fn new_page(memory: &mut MemoryAllocator) -> Option<PageRef> {
    let page = memory.allocate_page(SpaceId::NewSpace)?;
    // SAFETY: the fresh page is ours (P5).
    unsafe { page.set_flags(NEW_SPACE_FLAGS) };
    Some(page)
}
