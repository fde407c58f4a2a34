//! Lazy sweeping (V8's `Sweeper` on the main thread): after marking, no old-space page is swept
//! in the pause; each is flagged `NEEDS_SWEEPING` and queued, and the allocator sweeps pages one
//! at a time when it needs free memory (or in paced steps), with gc-marksweep's page sweeper.
//!
//! Invariant: the queue holds exactly the old-space pages flagged `NEEDS_SWEEPING`; their mark
//! bits and live-byte counts are those of the last complete marking, and none of their memory is
//! on the free list, so the mutator never allocates on an unswept page. Marking must not start
//! again before the queue is empty.

use gc_core::VerifyError;
use gc_core::collector_api::{HeapCore, PageFlags, PageRef};
use gc_marksweep::sweeper::sweep_page;

/// What sweeping one page did.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum PageSwept {
    /// The page had live objects; this many bytes of it are now on the free list.
    Freed(usize),
    /// The page had none and went back to the memory allocator.
    Released,
}

#[derive(Default, Debug)]
pub struct LazySweeper {
    pending: Vec<PageRef>,
}

impl LazySweeper {
    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn pending_pages(&self) -> usize {
        self.pending.len()
    }

    /// Queues every page of old space, and forgets the free list, which lists memory on them.
    ///
    /// # Safety
    /// In the collector's pause after a complete marking, with every LAB of old space retired
    /// (P5): the free list is rebuilt page by page by the sweeps.
    pub unsafe fn start(&mut self, core: &mut HeapCore) {
        debug_assert!(self.is_done());
        core.old_space.free_list_mut().reset();
        for &page in core.old_space.pages() {
            // SAFETY: the caller owns the page (P5).
            unsafe { page.set_flags(PageFlags::NEEDS_SWEEPING) };
        }
        self.pending = core.old_space.pages().to_vec();
    }

    /// Sweeps the next page; `None` when none is left.
    ///
    /// # Safety
    /// The caller is the collector that queued the pages (P5); no marking has started since.
    pub unsafe fn sweep_next(&mut self, core: &mut HeapCore) -> Option<PageSwept> {
        let page = self.pending.pop()?;
        if page.live_bytes() == 0 {
            let pool = core.page_pool_target();
            // SAFETY: the complete marking that queued the page found nothing live on it, and
            // the queue no longer holds it (P1, P5).
            unsafe {
                core.old_space
                    .retain_pages(&mut core.memory, pool, |other| other != page)
            };
            return Some(PageSwept::Released);
        }
        // SAFETY: the page's marks are those of the complete marking that queued it, and it is
        // ours (the caller); none of its memory is on the free list.
        let freed = unsafe {
            let freed = sweep_page(page, core.old_space.free_list_mut());
            page.set_live_bytes(0);
            page.clear_flags(PageFlags::NEEDS_SWEEPING);
            freed
        };
        Some(PageSwept::Freed(freed))
    }

    /// Drops the queue, clearing the queued pages' marks and flags (before a stop-the-world
    /// collection, which marks and sweeps everything itself).
    ///
    /// # Safety
    /// As [`LazySweeper::sweep_next`].
    pub unsafe fn abandon(&mut self) {
        for page in self.pending.drain(..) {
            // SAFETY: the caller's guarantee.
            unsafe {
                page.mark_bitmap().clear();
                page.set_live_bytes(0);
                page.clear_flags(PageFlags::NEEDS_SWEEPING);
            }
        }
    }

    /// Checks the invariant: the queue holds exactly the flagged old-space pages.
    pub fn verify(&self, core: &HeapCore) -> Result<(), VerifyError> {
        for &page in core.old_space.pages() {
            let flagged = page.flags().contains(PageFlags::NEEDS_SWEEPING);
            if flagged != self.pending.contains(&page) {
                return Err(VerifyError(format!(
                    "{page:?} is flagged for sweeping: {flagged}, but queued: {}",
                    !flagged
                )));
            }
        }
        if self.pending.len() > core.old_space.pages().len() {
            return Err(VerifyError(
                "the lazy sweeper queues a page old space no longer has".to_owned(),
            ));
        }
        Ok(())
    }
}
