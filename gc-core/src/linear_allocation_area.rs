//! The linear allocation area (LAB): a `[top, limit)` range that allocation bumps through.
//!
//! This is the inline fast path of allocation; when it is exhausted the collector's slow path
//! refills it. While a LAB is in use its unused part is unformatted, so whoever walks its page
//! first calls [`LinearAllocationArea::make_iterable`].

use crate::address::Address;
use crate::object::write_filler;
use crate::page::MAX_REGULAR_OBJECT_SIZE;

#[derive(Debug)]
pub struct LinearAllocationArea {
    top: Address,
    limit: Address,
    /// Objects larger than this skip the mutator's fast path and go to the collector's slow
    /// path (a young generation keeps larger objects out of its semispaces this way).
    max_object_size: usize,
}

impl Default for LinearAllocationArea {
    fn default() -> Self {
        LinearAllocationArea {
            top: Address::NULL,
            limit: Address::NULL,
            max_object_size: MAX_REGULAR_OBJECT_SIZE,
        }
    }
}

impl LinearAllocationArea {
    /// Bumps `top` by `size`; `None` when the area is too small.
    #[inline(always)]
    pub fn allocate(&mut self, size: usize) -> Option<Address> {
        let top = self.top;
        if self.limit.raw() - top.raw() >= size {
            self.top = top.add(size);
            Some(top)
        } else {
            None
        }
    }

    /// Takes back `size` bytes at `address` if they were the last allocated here (top drops back
    /// to `address`); `false`, changing nothing, otherwise. A parallel scavenger's thread that
    /// lost the race to copy an object gives its copy's memory back this way.
    #[inline]
    pub fn free_last(&mut self, address: Address, size: usize) -> bool {
        let last = !address.is_null() && address.add(size) == self.top;
        if last {
            self.top = address;
        }
        last
    }

    /// Starts allocating in `[start, start + size)`; the previous area must have been taken back.
    ///
    /// # Safety
    /// The range is unused memory of a live page (P1) that no one else allocates from.
    pub unsafe fn reset(&mut self, start: Address, size: usize) {
        debug_assert!(self.is_empty());
        self.top = start;
        self.limit = start.add(size);
    }

    /// Gives up the area; returns its unused part for the owner's free list.
    pub fn take_rest(&mut self) -> Option<(Address, usize)> {
        let rest = (self.top, self.limit.offset_from(self.top));
        (self.top, self.limit) = (Address::NULL, Address::NULL);
        (rest.1 > 0).then_some(rest)
    }

    /// The largest object the mutator's fast path allocates here ([`MAX_REGULAR_OBJECT_SIZE`]
    /// unless the collector lowered it).
    #[inline(always)]
    pub fn max_object_size(&self) -> usize {
        self.max_object_size
    }

    /// Sends objects over `size` bytes to the collector's slow path (at most
    /// [`MAX_REGULAR_OBJECT_SIZE`], which large objects never pass).
    pub fn set_max_object_size(&mut self, size: usize) {
        self.max_object_size = size.min(MAX_REGULAR_OBJECT_SIZE);
    }

    pub fn is_empty(&self) -> bool {
        self.top == self.limit
    }

    pub fn top(&self) -> Address {
        self.top
    }

    pub fn limit(&self) -> Address {
        self.limit
    }

    /// Formats the unused part as a filler so the page can be walked; allocation continues
    /// unaffected.
    pub fn make_iterable(&self) {
        let rest = self.limit.offset_from(self.top);
        if rest > 0 {
            // SAFETY: `[top, limit)` is unused memory of a live page handed to this area (P1).
            unsafe { write_filler(self.top, rest) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_allocation_is_taken_back() {
        let mut memory = vec![0u64; 8];
        let start = Address::new(memory.as_mut_ptr().expose_provenance());
        let mut lab = LinearAllocationArea::default();
        // SAFETY: 64 unused bytes of a live Vec, nobody else allocates from them.
        unsafe { lab.reset(start, 64) };
        let first = lab.allocate(16).unwrap();
        let second = lab.allocate(8).unwrap();
        assert!(!lab.free_last(first, 16), "not the last allocation");
        assert_eq!(lab.top(), start.add(24));
        assert!(lab.free_last(second, 8));
        assert_eq!(lab.top(), start.add(16));
        assert_eq!(lab.allocate(48), Some(start.add(16)));
        lab.take_rest();
        drop(memory);
    }
}
