//! Which sweeper sweeps old space after a marking cycle: lazily on the main thread
//! ([`LazySweeper`], `incremental`) or with a background thread beside it
//! ([`ConcurrentSweeper`], the concurrent configurations).
//!
//! Both keep the same contract towards the collector: the finalization pause queues old space's
//! pages, the main thread takes them one by one ([`PageSweeper::sweep_next`]) until none is left,
//! and no marking starts before then. The concurrent one also has a thread to start and stop;
//! for the lazy one those are no-ops.

use std::time::{Duration, Instant};

use gc_core::VerifyError;
use gc_core::collector_api::HeapCore;

use crate::concurrent_sweeper::ConcurrentSweeper;
use crate::lazy_sweeper::{LazySweeper, PageSwept};

pub enum PageSweeper {
    Lazy(LazySweeper),
    Concurrent(Box<ConcurrentSweeper>),
}

impl Default for PageSweeper {
    fn default() -> Self {
        PageSweeper::Lazy(LazySweeper::default())
    }
}

impl PageSweeper {
    pub fn concurrent() -> Self {
        PageSweeper::Concurrent(Box::default())
    }

    pub fn is_done(&self) -> bool {
        match self {
            PageSweeper::Lazy(lazy) => lazy.is_done(),
            PageSweeper::Concurrent(concurrent) => concurrent.is_done(),
        }
    }

    pub fn pending_pages(&self) -> usize {
        match self {
            PageSweeper::Lazy(lazy) => lazy.pending_pages(),
            PageSweeper::Concurrent(concurrent) => concurrent.pending_pages(),
        }
    }

    /// The concurrent sweeper, if this is one.
    pub fn as_concurrent(&self) -> Option<&ConcurrentSweeper> {
        match self {
            PageSweeper::Lazy(_) => None,
            PageSweeper::Concurrent(concurrent) => Some(concurrent),
        }
    }

    /// # Safety
    /// As `LazySweeper::start`.
    pub unsafe fn start(&mut self, core: &mut HeapCore) {
        // SAFETY: the caller's guarantee.
        unsafe {
            match self {
                PageSweeper::Lazy(lazy) => lazy.start(core),
                PageSweeper::Concurrent(concurrent) => concurrent.start(core),
            }
        }
    }

    /// # Safety
    /// As `LazySweeper::sweep_next`.
    pub unsafe fn sweep_next(&mut self, core: &mut HeapCore) -> Option<PageSwept> {
        // SAFETY: the caller's guarantee.
        unsafe {
            match self {
                PageSweeper::Lazy(lazy) => lazy.sweep_next(core),
                PageSweeper::Concurrent(concurrent) => concurrent.sweep_next(core),
            }
        }
    }

    /// A paced sweep on the main thread until `deadline`: lazily, pages one after another; with
    /// the thread, only the pages it swept are listed and the empty ones given back, so that the
    /// main thread does not sweep what the thread is about to.
    ///
    /// # Safety
    /// As `LazySweeper::sweep_next`.
    pub unsafe fn sweep_until(&mut self, core: &mut HeapCore, deadline: Instant) {
        // SAFETY: the caller's guarantee.
        unsafe {
            match self {
                PageSweeper::Lazy(lazy) => {
                    while lazy.sweep_next(core).is_some() && Instant::now() < deadline {}
                }
                PageSweeper::Concurrent(concurrent) => {
                    concurrent.harvest(core);
                    if concurrent.pending_pages() > 0 && concurrent.sweeper_is_parked() {
                        // No thread (or a stopped one): the main thread sweeps as lazily.
                        while concurrent.sweep_next(core).is_some() && Instant::now() < deadline {}
                    } else {
                        concurrent.release_empty_pages(core, deadline);
                    }
                }
            }
        }
    }

    /// Lets the sweeper thread run, if there is one and pages are left.
    ///
    /// # Safety
    /// As `ConcurrentSweeper::resume`.
    pub unsafe fn resume(&mut self) {
        if let PageSweeper::Concurrent(concurrent) = self {
            // SAFETY: the caller's guarantee.
            unsafe { concurrent.resume() };
        }
    }

    /// Lists the blocks of the pages the sweeper thread swept, if there is one.
    ///
    /// # Safety
    /// As `ConcurrentSweeper::harvest`.
    pub unsafe fn harvest(&mut self, core: &mut HeapCore) {
        if let PageSweeper::Concurrent(concurrent) = self {
            // SAFETY: the caller's guarantee.
            unsafe { concurrent.harvest(core) };
        }
    }

    /// Stops the sweeper thread at a safepoint (gc-core's rule P8).
    pub fn stop(&self) {
        if let Some(concurrent) = self.as_concurrent() {
            concurrent.stop();
        }
    }

    /// CPU time the sweeper thread swept since the last call.
    pub fn take_concurrent_time(&self) -> Duration {
        self.as_concurrent()
            .map_or(Duration::ZERO, ConcurrentSweeper::take_busy)
    }

    /// # Safety
    /// As `LazySweeper::abandon`.
    pub unsafe fn abandon(&mut self) {
        // SAFETY: the caller's guarantee.
        unsafe {
            match self {
                PageSweeper::Lazy(lazy) => lazy.abandon(),
                PageSweeper::Concurrent(concurrent) => concurrent.abandon(),
            }
        }
    }

    pub fn verify(&self, core: &HeapCore) -> Result<(), VerifyError> {
        match self {
            PageSweeper::Lazy(lazy) => lazy.verify(core),
            PageSweeper::Concurrent(concurrent) => concurrent.verify(core),
        }
    }
}
