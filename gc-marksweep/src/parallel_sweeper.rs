//! Parallel sweeping: a full collection's sweep of old space's pages shared by several threads,
//! as V8's sweeper tasks share pages.
//!
//! Pages are independent: a page's mark bits, live bytes, object headers and free memory are
//! read and written by the one thread that sweeps it. The threads claim chunks of consecutive
//! pages (`MAX_PAGES_PER_CHUNK` pages, or fewer so that each thread has four chunks) from an atomic
//! counter (a dense chunk costs more than an empty one, so fixed shares would leave a thread
//! idle), and sweep each chunk into a free list of its own; the collecting thread then joins the chunks' lists in page order
//! ([`FreeList::merge_in_front`]). Invariant when [`PauseSweeping::sweep_pages`] returns: the
//! free list is block for block the one [`sweep_page`] over every page in order builds, and the
//! pages' mark bits and live bytes are clear, whatever the number of threads.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use gc_core::collector_api::{Address, PageRef};
use gc_core::free_list::FreeList;
use gc_core::gc_workers::GcWorkers;

use crate::sweeper::sweep_page;

/// Pages under which a sweep stays on the collecting thread. 128 pages (32 MiB) sweep in about
/// 3 ms. (Measured with threads started per pause, which a busy machine could keep waiting for a
/// scheduler slice: with 96 pages, `full_gc/marksweep_1M_objects_90pct_garbage`, two threads were
/// slower than one there. The heap's GC workers no longer make a pause wait; the threshold was
/// not measured again.)
pub const PARALLEL_SWEEPING_FROM_PAGES: usize = 128;

/// Pages a sweeping thread claims at a time, at most.
const MAX_PAGES_PER_CHUNK: usize = 8;

/// When a pause's sweeping goes parallel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PauseSweeping {
    /// Pages to sweep from which the other threads join.
    parallel_from_pages: usize,
}

impl Default for PauseSweeping {
    fn default() -> Self {
        PauseSweeping::parallel_from(PARALLEL_SWEEPING_FROM_PAGES)
    }
}

impl PauseSweeping {
    /// Sweeping that goes parallel from `pages` pages on (0 or 1: always, when there are
    /// several threads), for tests and tuning.
    pub const fn parallel_from(pages: usize) -> Self {
        PauseSweeping {
            parallel_from_pages: pages,
        }
    }

    /// Sweeps `pages` into `free_list` and clears their live bytes, on `threads` threads when
    /// there are enough pages.
    ///
    /// # Safety
    /// As [`sweep_page`], for every page: a complete marking, `free_list` of the pages' space
    /// and rebuilt from scratch, the owning collector's pause (P5); no page appears twice and no
    /// other thread touches the heap meanwhile.
    pub unsafe fn sweep_pages(
        self,
        pages: &[PageRef],
        free_list: &mut FreeList,
        workers: &GcWorkers,
        threads: usize,
    ) {
        if threads <= 1 || pages.len() < self.parallel_from_pages.max(2) {
            for &page in pages {
                // SAFETY: the caller's guarantees, page by page.
                unsafe { sweep_one(page, free_list) };
            }
            return;
        }
        // SAFETY: the caller's guarantees.
        for list in unsafe { sweep_in_parallel(pages, workers, threads) } {
            free_list.merge_in_front(list);
        }
    }
}

/// Sweeps `page` into `free_list` and clears its live bytes.
///
/// # Safety
/// As [`sweep_page`].
unsafe fn sweep_one(page: PageRef, free_list: &mut FreeList) {
    // SAFETY: the caller's guarantees (P5).
    unsafe {
        sweep_page(page, free_list);
        page.set_live_bytes(0);
    }
}

/// Sweeps `pages` on up to `threads` threads (this one and the heap's GC `workers` that join in
/// time); returns the free list of each chunk of pages, in page order.
///
/// # Safety
/// As [`PauseSweeping::sweep_pages`].
unsafe fn sweep_in_parallel(
    pages: &[PageRef],
    workers: &GcWorkers,
    threads: usize,
) -> Vec<FreeList> {
    // Page starts, not `PageRef`s, cross to the threads: a page is one thread's while it is
    // swept, and that thread finds its header again.
    let starts: Vec<Address> = pages.iter().map(|page| page.start()).collect();
    let chunk_pages = (starts.len() / (4 * threads)).clamp(1, MAX_PAGES_PER_CHUNK);
    let chunks: Vec<&[Address]> = starts.chunks(chunk_pages).collect();
    let next = AtomicUsize::new(0);
    let swept = Mutex::new(Vec::with_capacity(chunks.len()));
    workers.run(threads, &|_| loop {
        let index = next.fetch_add(1, Relaxed);
        let Some(chunk) = chunks.get(index) else {
            return;
        };
        let mut list = FreeList::default();
        for &start in *chunk {
            // SAFETY: `start` is the start of a live page of the caller's (P1); the counter
            // hands each chunk to one thread, so this thread alone touches the page (P5).
            unsafe { sweep_one(PageRef::containing(start), &mut list) };
        }
        swept
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push((index, list));
    });
    let mut lists = swept
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    lists.sort_unstable_by_key(|&(index, _)| index);
    lists.into_iter().map(|(_, list)| list).collect()
}
