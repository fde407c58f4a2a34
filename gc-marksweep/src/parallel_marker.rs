//! Parallel marking: a full collection's tracing shared by several threads that steal grey
//! objects from each other (Chase-Lev deques from crossbeam-deque), as V8's and HotSpot's
//! parallel markers do.
//!
//! The mutator is stopped, so objects' slots do not change while the threads read them; the only
//! shared writes are mark bits (an atomic or: exactly one thread sees an object's bit clear, and
//! that thread alone pushes and scans it) and pages' live-byte counts (atomic adds, once per page
//! and thread). Invariant when [`mark_in_parallel`] returns: the one
//! [`crate::marker::Marker::drain`] keeps (every object reachable from a root is marked; each
//! page's live-byte count is the sum of its marked objects' sizes), whatever the number of
//! threads.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use gc_core::collector_api::{Address, HeapObject, PageRef};
use hashbrown::HashMap;

/// Marks everything reachable from `grey` (marked objects whose slots are not scanned yet), on
/// `threads` threads: this one and `threads - 1` spawned for the call.
///
/// # Safety
/// As for [`crate::marker::Marker::new`] (rule P5): the owning collector's pause, with the mark
/// bits clear or set by it; no other thread touches the heap meanwhile. `grey` holds marked live
/// object starts (P2), and so do the slots they reach.
pub unsafe fn mark_in_parallel(grey: Vec<Address>, threads: usize) {
    let injector = Injector::new();
    for object in grey {
        injector.push(object);
    }
    let workers: Vec<Worker<Address>> = (0..threads.max(1)).map(|_| Worker::new_lifo()).collect();
    let stealers: Vec<Stealer<Address>> = workers.iter().map(Worker::stealer).collect();
    let idle = AtomicUsize::new(0);
    let shared = Shared {
        injector: &injector,
        stealers: &stealers,
        idle: &idle,
        threads: workers.len(),
    };
    std::thread::scope(|scope| {
        let mut workers = workers.into_iter();
        let own = workers.next().expect("at least one worker");
        let spawned: Vec<_> = workers
            .filter_map(|worker| {
                let thread = std::thread::Builder::new().name("gclab-marker".to_owned());
                match thread.spawn_scoped(scope, move || shared.work(worker)) {
                    Ok(handle) => Some(handle),
                    // A thread the system refuses counts as idle: its deque stays empty, and the
                    // others do its share.
                    Err(_) => {
                        shared.idle.fetch_add(1, SeqCst);
                        None
                    }
                }
            })
            .collect();
        shared.work(own);
        for handle in spawned {
            // A worker panics only on a broken heap invariant: propagate it.
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    })
}

/// What the marking threads share.
#[derive(Clone, Copy)]
struct Shared<'a> {
    injector: &'a Injector<Address>,
    stealers: &'a [Stealer<Address>],
    /// Threads that found no work anywhere; all of them means marking is done.
    idle: &'a AtomicUsize,
    threads: usize,
}

impl Shared<'_> {
    /// One thread's marking: its own deque first, then stolen work, until every thread is idle.
    fn work(self, local: Worker<Address>) {
        let mut marker = LocalMarker {
            private: Vec::new(),
            local,
            live: LiveBytes::default(),
        };
        loop {
            while let Some(address) = marker.private.pop().or_else(|| marker.local.pop()) {
                marker.scan(address);
                marker.share_surplus();
            }
            if let Some(address) = self.steal(&marker.local) {
                marker.scan(address);
                continue;
            }
            if !self.wait_for_work() {
                marker.live.flush();
                return;
            }
        }
    }

    fn steal(self, local: &Worker<Address>) -> Option<Address> {
        loop {
            let mut retry = false;
            let sources = std::iter::once(self.injector.steal_batch_and_pop(local))
                .chain(self.stealers.iter().map(|s| s.steal_batch_and_pop(local)));
            for attempt in sources {
                match attempt {
                    Steal::Success(address) => return Some(address),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Idles until some deque has work (`true`) or every thread idles (`false`: done). A thread
    /// idles only with its own deque empty, and only its owner pushes to a deque, so when all
    /// threads idle no object is being scanned and no work can appear.
    fn wait_for_work(self) -> bool {
        self.idle.fetch_add(1, SeqCst);
        loop {
            if self.idle.load(SeqCst) == self.threads {
                return false;
            }
            if !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty()) {
                self.idle.fetch_sub(1, SeqCst);
                return true;
            }
            std::thread::yield_now();
        }
    }
}

/// Grey objects a thread keeps to itself; past this many, with its deque empty, it moves its
/// `PRIVATE_SURPLUS / 2` oldest to the deque for the others to steal. A `Vec` push and pop cost a
/// fraction of a deque's.
const PRIVATE_SURPLUS: usize = 64;

/// One thread's worklists and live bytes.
struct LocalMarker {
    /// Grey objects only this thread sees.
    private: Vec<Address>,
    /// Grey objects the other threads may steal.
    local: Worker<Address>,
    live: LiveBytes,
}

impl LocalMarker {
    /// Moves the oldest `PRIVATE_SURPLUS / 2` private grey objects to the deque when the private
    /// worklist has more than `PRIVATE_SURPLUS` and the deque is empty.
    #[inline(always)]
    fn share_surplus(&mut self) {
        if self.private.len() > PRIVATE_SURPLUS && self.local.is_empty() {
            for address in self.private.drain(..PRIVATE_SURPLUS / 2) {
                self.local.push(address);
            }
        }
    }

    #[inline(always)]
    fn scan(&mut self, address: Address) {
        // SAFETY: only marked object starts are pushed (P2).
        let object = unsafe { HeapObject::from_address(address) };
        let size = object.size();
        // SAFETY: as above: masking a live object start finds its page (P1).
        self.live.add(unsafe { PageRef::containing(address) }, size);
        object.for_each_pointer(|_, target| {
            // SAFETY: a pointer slot holds a live object start (P2); the bit is read first so an
            // object already marked costs no atomic write.
            let page = unsafe { PageRef::containing(target) };
            // SAFETY: this is the collector's marking (P5, `mark_in_parallel`).
            if !page.is_marked(target) && unsafe { page.mark_shared(target) } {
                self.private.push(target);
            }
        });
    }
}

/// Live bytes a thread gathers per page, added to the pages' counts when it is done: objects on
/// one page are scanned by both threads, and an atomic add per object on the page header's
/// cache line made the threads fight over it (V8 keeps such a map per marking task too). The
/// page scanned last is kept out of the map, as runs of objects on one page are common.
#[derive(Default)]
struct LiveBytes {
    last: Option<(PageRef, usize)>,
    pages: HashMap<PageRef, usize>,
}

impl LiveBytes {
    #[inline(always)]
    fn add(&mut self, page: PageRef, bytes: usize) {
        match &mut self.last {
            Some((last, sum)) if *last == page => *sum += bytes,
            last => {
                if let Some((previous, sum)) = last.replace((page, bytes)) {
                    *self.pages.entry(previous).or_default() += sum;
                }
            }
        }
    }

    fn flush(&mut self) {
        let last = self.last.take();
        for (page, bytes) in self.pages.drain().chain(last) {
            // SAFETY: the page holds a marked object, so it is live (P1); this is the
            // collector's marking (P5).
            unsafe { page.add_live_bytes_shared(bytes) };
        }
    }
}
