//! Concurrent sweeping (V8's `Sweeper` with its concurrent sweeper jobs): after the finalization
//! pause a sweeper thread sweeps old space's pages while the mutator runs, and the allocator
//! takes the swept pages' free memory lazily, sweeping a page itself when the thread has not
//! reached it.
//!
//! # Page states
//!
//! Each page queued by the pause is in one of three states, an atomic of the cycle's
//! [`SweepQueue`]: *to sweep*, *sweeping* (one thread, the sweeper or the main thread, won it
//! with a compare-and-swap and alone writes to it) and *swept*. A page the thread swept is
//! handed to the main thread with its free blocks (a [`FreeList`] of its own) through the lock,
//! and only then does the main thread put them on old space's free list and clear the page's
//! `NEEDS_SWEEPING` flag (page flags are the main thread's: the thread never touches them). So
//! no page is swept twice, and no block of an unswept or half-swept page is ever on the free
//! list: the mutator never allocates on a page a sweeper is writing.
//!
//! Pages the pause found empty are never queued for the thread: giving a page back changes old
//! space's page list, which is the main thread's, so it releases them at its next sweep.
//!
//! # The safepoint protocol
//!
//! The protocol of the `background_thread` module, as the marker thread's: one lock guards the
//! main thread's request, whether the thread is working, and the swept pages handed over.
//! [`ConcurrentSweeper::stop`] parks the thread and waits until it has finished the page it
//! holds; after it, the thread touches no page until [`ConcurrentSweeper::resume`]. The
//! collector stops it before everything gc-core's rule P8 lists: a scavenge, verification,
//! making the heap iterable, a stop-the-world collection and its own drop.
//!
//! Invariant while the thread is stopped: every queued page is to sweep, or swept with its
//! blocks either on the free list (harvested) or in the hand-over list; none is sweeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gc_core::VerifyError;
use gc_core::collector_api::{Address, HeapCore, PageFlags, PageRef};
use gc_core::free_list::FreeList;
use gc_core::thread_ticks::ThreadTicks;
use gc_marksweep::sweeper::sweep_page;

use crate::background_thread::{BackgroundThread, Shared};
use crate::lazy_sweeper::PageSwept;

/// Empty pages given back between two looks at the clock: those past the page pool are
/// unmapped, 10 to 20 µs each, so a batch of 16 overran a 1 ms sweep step by up to 0.3 ms.
const EMPTY_PAGES_PER_CLOCK_CHECK: usize = 4;

/// A queued page's state: nobody has it yet.
const TO_SWEEP: u8 = 0;
/// One thread won it and is writing its free blocks.
const SWEEPING: u8 = 1;
/// Its free blocks are written (and listed, or waiting to be).
const SWEPT: u8 = 2;

/// A page of the cycle's queue and who has it.
struct QueuedPage {
    /// The page's start: a `PageRef` does not cross threads; its header is found again.
    start: Address,
    state: AtomicU8,
}

/// The non-empty pages one finalization pause queued, claimed one at a time.
pub struct SweepQueue {
    pages: Vec<QueuedPage>,
    /// The first page nobody has tried to claim: claims walk the queue once, in order.
    next: AtomicUsize,
}

impl SweepQueue {
    fn new(pages: impl Iterator<Item = PageRef>) -> Self {
        SweepQueue {
            pages: pages
                .map(|page| QueuedPage {
                    start: page.start(),
                    state: AtomicU8::new(TO_SWEEP),
                })
                .collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// Takes the next page still to sweep, for the calling thread alone: its index.
    pub fn claim(&self) -> Option<usize> {
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let page = self.pages.get(index)?;
            let won = page
                .state
                .compare_exchange(TO_SWEEP, SWEEPING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if won {
                return Some(index);
            }
        }
    }

    /// Whether every page has been claimed.
    fn is_claimed(&self) -> bool {
        self.next.load(Ordering::Relaxed) >= self.pages.len()
    }

    /// Records that the claimer of `index` has finished writing its page.
    fn finish(&self, index: usize) {
        let before = self.pages[index].state.swap(SWEPT, Ordering::Release);
        debug_assert_eq!(
            before, SWEEPING,
            "a page finished by one who had not claimed it"
        );
    }

    fn page(&self, index: usize) -> PageRef {
        // SAFETY: the queue holds starts of old space's pages, which stay until the main thread
        // releases them, after the queue is done or abandoned with the thread stopped (P1, P8).
        unsafe { PageRef::containing(self.pages[index].start) }
    }

    fn state(&self, index: usize) -> u8 {
        self.pages[index].state.load(Ordering::Acquire)
    }

    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

/// A page the thread swept, waiting for the main thread to list its blocks.
struct SweptPage {
    index: usize,
    free: FreeList,
    freed: usize,
}

/// What the thread and the main thread hand each other under the lock.
#[derive(Default)]
struct Handed {
    /// This cycle's queue, for the thread (none between cycles).
    queue: Option<Arc<SweepQueue>>,
    /// Pages swept by the thread, in the order it finished them.
    swept: Vec<SweptPage>,
    /// CPU time the thread spent sweeping since the main thread last asked.
    busy: Duration,
}

/// The main thread's side of concurrent sweeping.
pub struct ConcurrentSweeper {
    thread: BackgroundThread<Handed>,
    /// This cycle's queue (empty between cycles).
    queue: Arc<SweepQueue>,
    /// Which queued pages have their blocks on the free list and their flag cleared.
    harvested: Vec<bool>,
    /// Queued pages not harvested yet.
    pending: usize,
    /// Pages the pause found without live objects, for the main thread to release.
    empty: Vec<PageRef>,
    /// Pages swept on each thread since made, for tests: (main, sweeper).
    swept_by: (usize, usize),
    /// Non-empty pages queued since made, for tests.
    queued: usize,
}

impl Default for ConcurrentSweeper {
    fn default() -> Self {
        ConcurrentSweeper::new()
    }
}

impl ConcurrentSweeper {
    /// A sweeper with nothing to sweep; its thread starts at the first resume with pages.
    pub fn new() -> Self {
        ConcurrentSweeper {
            thread: BackgroundThread::new("gclab-concurrent-sweeper", Handed::default(), ()),
            queue: Arc::new(SweepQueue::new(std::iter::empty())),
            harvested: Vec::new(),
            pending: 0,
            empty: Vec::new(),
            swept_by: (0, 0),
            queued: 0,
        }
    }

    pub fn is_done(&self) -> bool {
        self.pending == 0 && self.empty.is_empty()
    }

    pub fn pending_pages(&self) -> usize {
        self.pending + self.empty.len()
    }

    /// Pages swept on the main thread and on the sweeper thread since the sweeper was made.
    pub fn pages_swept_by(&self) -> (usize, usize) {
        self.swept_by
    }

    /// Pages with live objects queued since the sweeper was made (each is swept once, by one of
    /// the two threads, unless a stop-the-world collection abandons it).
    pub fn pages_queued(&self) -> usize {
        self.queued
    }

    /// Queues every page of old space, and forgets the free list, which lists memory on them.
    /// The thread starts on them at the next [`ConcurrentSweeper::resume`].
    ///
    /// # Safety
    /// As `LazySweeper::start`: in the collector's pause after a complete marking, every LAB of
    /// old space retired (P5).
    pub unsafe fn start(&mut self, core: &mut HeapCore) {
        debug_assert!(self.is_done());
        // The thread may still be asked to run from the last cycle (it waits, its queue
        // claimed): parked, it takes the new queue only at the resume after this pause.
        self.stop();
        core.old_space.free_list_mut().reset();
        for &page in core.old_space.pages() {
            // SAFETY: the caller owns the page (P5).
            unsafe { page.set_flags(PageFlags::NEEDS_SWEEPING) };
        }
        let pages = core.old_space.pages();
        self.empty = pages
            .iter()
            .copied()
            .filter(|p| p.live_bytes() == 0)
            .collect();
        let live = pages.iter().copied().filter(|p| p.live_bytes() > 0);
        self.queue = Arc::new(SweepQueue::new(live));
        self.harvested = vec![false; self.queue.len()];
        self.pending = self.queue.len();
        self.queued += self.queue.len();
        self.thread.shared().lock().data.queue = Some(Arc::clone(&self.queue));
    }

    /// Lets the thread sweep what is left of the queue, starting it the first time.
    ///
    /// # Safety
    /// Until the next [`ConcurrentSweeper::stop`] the collector keeps rule P8.
    pub unsafe fn resume(&mut self) {
        if !self.queue.is_claimed() {
            self.thread.resume(run_sweeper);
        }
    }

    /// Stops the thread and waits until it has finished the page it holds; it touches no page
    /// afterwards until resumed. Cheap when it is stopped or idle.
    ///
    /// # Panics
    /// If the sweeper thread panicked: a page it held is half swept.
    pub fn stop(&self) {
        self.thread.stop();
    }

    /// CPU time the thread swept since the last call.
    pub fn take_busy(&self) -> Duration {
        std::mem::take(&mut self.thread.shared().lock().data.busy)
    }

    /// Lists the blocks of every page the thread has swept so far; returns how many pages.
    ///
    /// # Safety
    /// The caller is the collector that queued the pages, in its pause (P5).
    pub unsafe fn harvest(&mut self, core: &mut HeapCore) -> usize {
        let swept = std::mem::take(&mut self.thread.shared().lock().data.swept);
        let pages = swept.len();
        for page in swept {
            // SAFETY: the caller's guarantee.
            unsafe { self.take_swept(core, page) };
        }
        pages
    }

    /// Sweeps the next page on the main thread's behalf: gives back a batch of the empty pages,
    /// else lists a page the thread swept, else sweeps one the thread has not reached, else
    /// waits for the one it holds. `None` when no page is left.
    ///
    /// # Safety
    /// The caller is the collector that queued the pages, in its pause (P5); no marking has
    /// started since.
    pub unsafe fn sweep_next(&mut self, core: &mut HeapCore) -> Option<PageSwept> {
        if !self.empty.is_empty() {
            // SAFETY: the caller's guarantee.
            unsafe { self.release_empty(core) };
            return Some(PageSwept::Released);
        }
        if self.pending == 0 {
            return None;
        }
        if let Some(page) = self.take_one_swept() {
            // SAFETY: the caller's guarantee.
            return Some(unsafe { self.take_swept(core, page) });
        }
        if let Some(index) = self.queue.claim() {
            // SAFETY: the caller's guarantee; the claim made the page ours alone.
            return Some(unsafe { self.sweep_here(core, index) });
        }
        // Every page is claimed and the thread holds the last ones: wait for it.
        self.stop();
        let page = self.take_one_swept()?;
        // SAFETY: the caller's guarantee.
        Some(unsafe { self.take_swept(core, page) })
    }

    fn take_one_swept(&self) -> Option<SweptPage> {
        let swept = &mut self.thread.shared().lock().data.swept;
        if swept.is_empty() {
            None
        } else {
            Some(swept.swap_remove(0))
        }
    }

    /// Lists a page's blocks the thread swept and clears its flag.
    ///
    /// # Safety
    /// As [`ConcurrentSweeper::harvest`].
    unsafe fn take_swept(&mut self, core: &mut HeapCore, page: SweptPage) -> PageSwept {
        core.old_space.free_list_mut().merge_in_front(page.free);
        // SAFETY: the thread finished the page and handed it over through the lock (P8).
        unsafe { self.harvested_page(page.index) };
        self.swept_by.1 += 1;
        PageSwept::Freed(page.freed)
    }

    /// Sweeps a page the main thread claimed straight onto the free list.
    ///
    /// # Safety
    /// As [`ConcurrentSweeper::sweep_next`], and the main thread claimed `index`.
    unsafe fn sweep_here(&mut self, core: &mut HeapCore, index: usize) -> PageSwept {
        let page = self.queue.page(index);
        // SAFETY: the page's marks are those of the complete marking that queued it, the claim
        // made it ours alone, and none of its memory is on the free list (P5, P8).
        let freed = unsafe {
            let freed = sweep_page(page, core.old_space.free_list_mut());
            page.set_live_bytes(0);
            freed
        };
        self.queue.finish(index);
        // SAFETY: the caller's guarantee.
        unsafe { self.harvested_page(index) };
        self.swept_by.0 += 1;
        PageSwept::Freed(freed)
    }

    /// # Safety
    /// Rule P5: the collector that queued the page, in its pause; the page is swept.
    unsafe fn harvested_page(&mut self, index: usize) {
        debug_assert_eq!(self.queue.state(index), SWEPT);
        debug_assert!(!self.harvested[index], "a page harvested twice");
        // SAFETY: the caller's guarantee.
        unsafe {
            self.queue
                .page(index)
                .clear_flags(PageFlags::NEEDS_SWEEPING)
        };
        self.harvested[index] = true;
        self.pending -= 1;
    }

    /// Whether the thread is not sweeping: never started, or stopped.
    pub fn sweeper_is_parked(&self) -> bool {
        self.thread.is_stopped()
    }

    /// Gives back the pages the pause found empty, a batch and then more until `deadline`, if
    /// not done yet.
    ///
    /// # Safety
    /// As [`ConcurrentSweeper::sweep_next`].
    pub unsafe fn release_empty_pages(&mut self, core: &mut HeapCore, deadline: Instant) {
        while !self.empty.is_empty() {
            // SAFETY: the caller's guarantee.
            unsafe { self.release_empty(core) };
            if Instant::now() >= deadline {
                return;
            }
        }
    }

    /// Gives back a batch of the pages the pause found empty ([`EMPTY_PAGES_PER_CLOCK_CHECK`]).
    /// All at once, a cycle that left most of old space empty made one sweep pause long
    /// (binary-trees 20: 14.5 ms, each page looked for among all the empty ones, and the
    /// pages beyond the pool unmapped).
    ///
    /// # Safety
    /// As [`ConcurrentSweeper::sweep_next`]: marking found nothing live on them, and the thread
    /// never has them (P1, P5).
    unsafe fn release_empty(&mut self, core: &mut HeapCore) {
        let pool = core.page_pool_target();
        let from = self.empty.len().saturating_sub(EMPTY_PAGES_PER_CLOCK_CHECK);
        let batch = self.empty.split_off(from);
        // SAFETY: the caller's guarantee.
        unsafe {
            core.old_space
                .retain_pages(&mut core.memory, pool, |page| !batch.contains(&page))
        };
    }

    /// Drops the queue, clearing the marks and flags of pages not swept yet, and forgets the
    /// blocks of swept pages not harvested (a stop-the-world collection marks and sweeps
    /// everything itself).
    ///
    /// # Safety
    /// As [`ConcurrentSweeper::sweep_next`].
    pub unsafe fn abandon(&mut self) {
        self.stop();
        self.thread.shared().lock().data.swept.clear();
        for index in 0..self.queue.len() {
            let page = self.queue.page(index);
            // SAFETY: the thread is stopped: the pages are ours alone (P5, P8).
            unsafe {
                page.mark_bitmap().clear();
                page.set_live_bytes(0);
                page.clear_flags(PageFlags::NEEDS_SWEEPING);
            }
        }
        for page in self.empty.drain(..) {
            // SAFETY: as above.
            unsafe { page.clear_flags(PageFlags::NEEDS_SWEEPING) };
        }
        self.queue = Arc::new(SweepQueue::new(std::iter::empty()));
        self.thread.shared().lock().data.queue = None;
        self.harvested.clear();
        self.pending = 0;
    }

    /// Checks the invariant: an old-space page is flagged for sweeping exactly when it is
    /// queued and not harvested, or empty and not released. Stops the thread.
    pub fn verify(&self, core: &HeapCore) -> Result<(), VerifyError> {
        self.stop();
        let unharvested: Vec<PageRef> = (0..self.queue.len())
            .filter(|&index| !self.harvested[index])
            .map(|index| self.queue.page(index))
            .chain(self.empty.iter().copied())
            .collect();
        for &page in core.old_space.pages() {
            let flagged = page.flags().contains(PageFlags::NEEDS_SWEEPING);
            if flagged != unharvested.contains(&page) {
                return Err(VerifyError(format!(
                    "{page:?} is flagged for sweeping: {flagged}, but pending: {}",
                    !flagged
                )));
            }
        }
        if unharvested.len() > core.old_space.pages().len() {
            return Err(VerifyError(
                "the concurrent sweeper holds a page old space no longer has".to_owned(),
            ));
        }
        Ok(())
    }
}

/// The sweeper thread: sweeps pages while asked to run, until asked to exit.
fn run_sweeper(shared: &Shared<Handed, ()>) {
    let ticks = ThreadTicks::new();
    let unclaimed = |handed: &mut Handed| {
        handed
            .queue
            .as_ref()
            .filter(|queue| !queue.is_claimed())
            .map(Arc::clone)
    };
    while let Some(queue) = shared.next_work(unclaimed) {
        let started = ticks.now();
        sweep(shared, &queue);
        let busy = ticks.now().saturating_sub(started);
        shared.stop_working(|handed| handed.busy += busy);
    }
}

/// Claims and sweeps pages until none is left or a stop is asked for, handing each over.
fn sweep(shared: &Shared<Handed, ()>, queue: &SweepQueue) {
    while !shared.stop_requested() {
        let Some(index) = queue.claim() else { return };
        let page = queue.page(index);
        let mut free = FreeList::default();
        // SAFETY: the thread is working, so the main thread keeps rule P8 until it has
        // stopped: the page is old space's and stays (P1), its marks are those of the complete
        // marking that queued it, and the claim made it this thread's alone; the blocks go to
        // a list of the thread's own (P8).
        let freed = unsafe {
            let freed = sweep_page(page, &mut free);
            page.set_live_bytes(0);
            freed
        };
        queue.finish(index);
        shared
            .lock()
            .data
            .swept
            .push(SweptPage { index, free, freed });
    }
}
