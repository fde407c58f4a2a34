//! Raw heap addresses.
//!
//! An [`Address`] is a plain integer so that it can be stored in heap words, hashed and compared;
//! turning it back into a pointer uses the provenance that the page source exposed when it
//! handed out the page (see [`crate::page_source`]), which keeps these accesses sound under Miri.
//! All reads and writes of heap words in the crate go through the two functions here.

use std::fmt;

/// Size of a heap word. Every object, slot and free block is word-aligned.
pub const WORD: usize = 8;

/// An address in a page of the heap.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(usize);

impl Address {
    pub const NULL: Address = Address(0);

    pub const fn new(raw: usize) -> Self {
        Address(raw)
    }

    pub const fn raw(self) -> usize {
        self.0
    }

    pub const fn is_null(self) -> bool {
        self.0 == 0
    }

    pub const fn add(self, bytes: usize) -> Self {
        Address(self.0 + bytes)
    }

    /// Bytes from `start` to `self`; `start` must not be above `self`.
    pub const fn offset_from(self, start: Address) -> usize {
        self.0 - start.0
    }

    pub const fn is_word_aligned(self) -> bool {
        self.0 % WORD == 0
    }

    /// Reads the word at this address.
    ///
    /// # Safety
    /// The address must be word-aligned and inside memory of a live page (rule P1 of the crate's
    /// safety argument, see the crate docs).
    #[inline(always)]
    pub unsafe fn read_word(self) -> u64 {
        // SAFETY: the caller guarantees P1; the page's provenance was exposed by its page source.
        unsafe { std::ptr::with_exposed_provenance::<u64>(self.0).read() }
    }

    /// Writes the word at this address.
    ///
    /// # Safety
    /// As [`Address::read_word`]; in addition no Rust reference to these bytes may be alive (P3).
    #[inline(always)]
    pub unsafe fn write_word(self, value: u64) {
        // SAFETY: the caller guarantees P1 and P3.
        unsafe { std::ptr::with_exposed_provenance_mut::<u64>(self.0).write(value) }
    }

    /// A raw pointer to the bytes at this address, for copying payloads.
    pub fn as_mut_ptr(self) -> *mut u8 {
        std::ptr::with_exposed_provenance_mut::<u8>(self.0)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// Rounds `n` up to a multiple of `align` (a power of two).
pub const fn round_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}
