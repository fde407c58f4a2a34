//! Reference slots: the one place a slot is read or written.
//!
//! Every read and write of a reference slot goes through [`Slot::load`] and [`Slot::store`]: the
//! mutator's loads and stores, the write barrier, and collectors scanning and updating objects.
//! Both are relaxed atomic accesses, which compile to plain moves on x86-64 and AArch64, so a
//! marker thread may later read slots while the mutator writes them without a data race (V8's
//! `Relaxed_Load` and `Relaxed_Store` on its object slots). Ordering between the two threads is the
//! marking barrier's business, not the slot's: a collector whose marker reads the heap while the
//! mutator runs has the mutator's stores made with [`Slot::store_release`] and its marker's loads
//! with [`Slot::load_acquire`] (V8's `Release_Store` and `Acquire_Load`), so that an object the
//! marker finds through a slot was initialized, and allocated black, before the marker looks at
//! it. On x86-64 both are still plain moves.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::address::Address;
use crate::tagged::TaggedWord;

/// The address of a reference slot inside a live object.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Slot(Address);

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Slot {
    /// # Safety
    /// `address` is a word-aligned reference slot inside a live object of a live page (P1, P2),
    /// and stays so while the returned value is used.
    #[inline(always)]
    pub unsafe fn new(address: Address) -> Slot {
        debug_assert!(address.is_word_aligned());
        Slot(address)
    }

    #[inline(always)]
    pub fn address(self) -> Address {
        self.0
    }

    #[inline(always)]
    fn word(self) -> &'static AtomicU64 {
        // SAFETY: the slot is an aligned word of page memory while this value is used (the
        // constructor's contract, P1), and every access to it is through this atomic view; the
        // `'static` reference never leaves this module, whose accessors use it at once.
        unsafe { AtomicU64::from_ptr(std::ptr::with_exposed_provenance_mut(self.0.raw())) }
    }

    /// The slot's content.
    #[inline(always)]
    pub fn load(self) -> TaggedWord {
        TaggedWord::from_raw(self.word().load(Ordering::Relaxed))
    }

    /// The slot's content, ordered after the store that wrote it ([`Slot::store_release`]):
    /// everything the storing thread wrote before that store (the header of the object it names,
    /// its mark bit) is visible to the caller.
    #[inline(always)]
    pub fn load_acquire(self) -> TaggedWord {
        TaggedWord::from_raw(self.word().load(Ordering::Acquire))
    }

    /// Writes the slot, with no write barrier.
    ///
    /// # Safety
    /// `value` is null, an SMI or the start of a live object (P2), and the caller runs whatever
    /// barrier its collector needs.
    #[inline(always)]
    pub unsafe fn store(self, value: TaggedWord) {
        self.word().store(value.raw(), Ordering::Relaxed)
    }

    /// [`Slot::store`] that publishes: a thread that reads `value` with [`Slot::load_acquire`]
    /// sees everything this thread wrote before (the object's header and slots, its mark bit).
    ///
    /// # Safety
    /// As for [`Slot::store`].
    #[inline(always)]
    pub unsafe fn store_release(self, value: TaggedWord) {
        self.word().store(value.raw(), Ordering::Release)
    }
}
