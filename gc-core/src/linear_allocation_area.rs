//! The linear allocation area (LAB): a `[top, limit)` range that allocation bumps through.
//!
//! This is the inline fast path of allocation; when it is exhausted the collector's slow path
//! refills it. While a LAB is in use its unused part is unformatted, so whoever walks its page
//! first calls [`LinearAllocationArea::make_iterable`].

use crate::address::Address;
use crate::object::write_filler;

#[derive(Debug, Default)]
pub struct LinearAllocationArea {
    top: Address,
    limit: Address,
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
        *self = LinearAllocationArea::default();
        (rest.1 > 0).then_some(rest)
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
