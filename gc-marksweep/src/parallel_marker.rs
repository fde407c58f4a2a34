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

use gc_core::collector_api::{Address, HeapObject, PageRef};
use gc_core::gc_workers::GcWorkers;
use gc_core::parallel_work::{LocalWork, process_in_parallel};
use hashbrown::HashMap;

/// Marks everything reachable from `grey` (marked objects whose slots are not scanned yet), on up
/// to `threads` threads: this one and the heap's GC `workers` that join in time. Returns the
/// bytes of objects promoted since the last full collection that it scanned.
///
/// # Safety
/// As for [`crate::marker::Marker::new`] (rule P5): the owning collector's pause, with the mark
/// bits clear or set by it; no other thread touches the heap meanwhile. `grey` holds marked live
/// object starts (P2), and so do the slots they reach.
pub unsafe fn mark_in_parallel(workers: &GcWorkers, grey: Vec<Address>, threads: usize) -> usize {
    let mut markers: Vec<LocalMarker> = (0..threads.max(1))
        .map(|_| LocalMarker::default())
        .collect();
    process_in_parallel(workers, grey, &mut markers, &|marker, address, local| {
        marker.scan(address, local);
    });
    markers
        .iter_mut()
        .map(|marker| {
            marker.live.flush();
            marker.promoted_live
        })
        .sum()
}

/// One thread's counts.
#[derive(Default)]
struct LocalMarker {
    live: LiveBytes,
    /// Bytes of scanned objects a scavenge promoted since the last full collection.
    promoted_live: usize,
}

impl LocalMarker {
    #[inline(always)]
    fn scan(&mut self, address: Address, grey: &mut LocalWork<Address>) {
        // SAFETY: only marked object starts are pushed (P2).
        let object = unsafe { HeapObject::from_address(address) };
        let size = object.size();
        // SAFETY: as above: masking a live object start finds its page (P1).
        self.live
            .add(unsafe { PageRef::containing(address) }.start(), size);
        if object.take_promoted() {
            self.promoted_live += size;
        }
        object.for_each_pointer(|_, target| {
            // SAFETY: a pointer slot holds a live object start (P2); the bit is read first so an
            // object already marked costs no atomic write.
            let page = unsafe { PageRef::containing(target) };
            // SAFETY: this is the collector's marking (P5, `mark_in_parallel`).
            if !page.is_marked(target) && unsafe { page.mark_shared(target) } {
                grey.push(target);
            }
        });
    }
}

/// Live bytes a thread gathers per page, added to the pages' counts when it is done: objects on
/// one page are scanned by both threads, and an atomic add per object on the page header's
/// cache line made the threads fight over it (V8 keeps such a map per marking task too). The
/// page scanned last is kept out of the map, as runs of objects on one page are common. Pages
/// are kept by their start (a thread's counts may be handed to another thread).
#[derive(Default)]
struct LiveBytes {
    last: Option<(Address, usize)>,
    pages: HashMap<Address, usize>,
}

impl LiveBytes {
    #[inline(always)]
    fn add(&mut self, page: Address, bytes: usize) {
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
            // SAFETY: the page holds a marked object, so it is live (P1) and masking its start
            // finds its header; this is the collector's marking (P5).
            unsafe { PageRef::containing(page).add_live_bytes_shared(bytes) };
        }
    }
}
