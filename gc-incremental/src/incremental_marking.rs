//! The incremental marker: tri-colour marking of the old generation spread over many steps.
//!
//! White objects are unmarked; grey ones are marked and on the worklist; black ones are marked
//! and scanned (or allocated black: marked with their live bytes counted, their slots still
//! null). Invariant between steps, kept with the marking barrier: no black object of the old
//! generation points at a white object of the old generation ([`IncrementalMarker::check_tricolour`]
//! checks it). Young objects (new space, in `gen-incremental`) move at every scavenge, so steps
//! never mark or push them. Only the finalization pause traces them
//! ([`IncrementalMarker::finish`]): from the roots, from the old-to-new slots of marked objects
//! (the remembered set holds every old-to-new slot) and from each other, marking them in new
//! space's bitmaps for the length of the pause. Old objects that only dead young objects point
//! at are then freed in this cycle.
//!
//! The finalization pause's drain goes parallel once it is large, as a full collection's marking
//! does: [`IncrementalMarker`] is a [`GreyWorklist`] for `gc_marksweep`'s
//! [`PauseMarking`]. Every object either marker scans, young ones included, counts its size on
//! its page; [`IncrementalMarker::finish_young`] reads new space's counts and clears them.
//!
//! Under concurrent marking ([`crate::concurrent_marking`]) there are two markers at once, the
//! main thread's and the marker thread's, each an [`IncrementalMarker`] told which it is
//! ([`MarkerThread`]): both set mark bits with an atomic or and add live bytes atomically, so
//! exactly one of them scans each object; the marker thread also reads slots with acquire loads
//! and leaves headers alone (gc-core's rule P7).

use std::collections::HashSet;
use std::time::Instant;

use crate::dead_slots::MarkedHosts;

use gc_core::VerifyError;
use gc_core::collector_api::{
    Address, HeapCore, HeapObject, PageFlags, PageRef, RememberedSet, SlotCallbackResult,
    TaggedWord,
};
use gc_core::object::HeaderKind;
use gc_core::old_generation::ForEachPage;
use gc_core::slot::Slot;
use gc_marksweep::pause_marking::{GreyWorklist, PauseMarking};

/// Objects scanned between two looks at the clock.
const OBJECTS_PER_CLOCK_CHECK: usize = 32;

/// Why a bounded drain stopped.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Drained {
    /// No grey object is left.
    Empty,
    /// The byte goal or the deadline was reached first.
    Budget,
}

/// How much a bounded drain may do.
#[derive(Copy, Clone, Debug)]
pub struct DrainBudget {
    /// Bytes to scan whatever the clock says (the minimum step).
    pub min_bytes: usize,
    /// Bytes to scan at most.
    pub max_bytes: usize,
    /// No more scanning past this instant, once `min_bytes` are scanned.
    pub deadline: Instant,
}

/// Whether marking follows pointers into new space.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
enum YoungObjects {
    /// Between steps: young objects may move, they are left alone.
    #[default]
    Skip,
    /// In the finalization pause: young objects are traced too.
    Trace,
}

/// Which thread a marker runs on, and so how it touches shared state.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub enum MarkerThread {
    /// The only marker (incremental marking): plain mark-bit and live-byte writes.
    #[default]
    Alone,
    /// The main thread while a concurrent marker runs: atomic mark bits and live-byte adds.
    MainBesideConcurrent,
    /// The concurrent marker: as above, and acquire loads of slots; promoted objects' headers
    /// are read, not cleared (the mutator reads headers unsynchronized), and the objects are
    /// listed for the main thread to clear in a pause.
    Concurrent,
}

#[derive(Default)]
pub struct IncrementalMarker {
    thread: MarkerThread,
    worklist: Vec<Address>,
    /// Young objects reached in the finalization pause, not yet scanned.
    young_worklist: Vec<Address>,
    young: YoungObjects,
    /// Bytes of objects scanned or allocated black since marking started.
    marked_bytes: usize,
    /// Bytes of objects scanned since marking started (allocating black is not marking work).
    scanned_bytes: usize,
    /// Bytes of the young objects reached in the finalization pause.
    young_live_bytes: usize,
    /// Bytes of scanned objects a scavenge promoted since the last full collection, not yet
    /// handed to `HeapCore::promoted_survival`.
    promoted_live: usize,
    /// Promoted objects the concurrent marker scanned, their `pro` bits still set.
    promoted_scanned: Vec<Address>,
}

/// Whether the object starting at `address` is in new space.
///
/// # Safety
/// `address` is the start of a live object (P2): masking it must find a live page's header
/// (P1). An arbitrary address would be masked to memory that is no page.
///
/// Safe code cannot pass it an arbitrary address:
///
/// ```compile_fail,E0133
/// // calling an unsafe fn without unsafe
/// gc_incremental::incremental_marking::is_young(gc_core::collector_api::Address::new(8));
/// ```
///
/// ```
/// use gc_core::{Heap, HeapConfig};
/// use gc_incremental::Incremental;
/// use gc_incremental::incremental_marking::{is_marked, is_young};
///
/// let mut heap = Heap::new(HeapConfig::for_testing(), Incremental::new()).unwrap();
/// let node = heap.intern_type("Node").unwrap();
/// heap.handle_scope(|heap, scope| {
///     let root = heap.allocate(scope, node, 0, 0).unwrap();
///     // SAFETY: the view and the address are used while `heap` is borrowed, and a local holds a
///     // live object start (P1, P2).
///     unsafe {
///         let object = heap.core().handles.address(root).unwrap();
///         assert!(!is_young(object), "no young generation");
///         assert!(!is_marked(object), "no marking yet");
///     }
/// });
/// ```
#[inline(always)]
pub unsafe fn is_young(address: Address) -> bool {
    // SAFETY: callers pass object starts of live pages (P2), so masking finds the header.
    unsafe { PageRef::containing(address) }
        .flags()
        .contains(PageFlags::IN_NEW_SPACE)
}

/// Whether the old object starting at `address` is marked.
///
/// # Safety
/// As [`is_young`]: `address` is the start of a live object (P1, P2).
///
/// ```compile_fail,E0133
/// // calling an unsafe fn without unsafe
/// gc_incremental::incremental_marking::is_marked(gc_core::collector_api::Address::new(8));
/// ```
#[inline(always)]
pub unsafe fn is_marked(address: Address) -> bool {
    // SAFETY: as `is_young`.
    unsafe { PageRef::containing(address) }.is_marked(address)
}

impl IncrementalMarker {
    /// A marker for `thread`.
    pub fn on(thread: MarkerThread) -> Self {
        IncrementalMarker {
            thread,
            ..IncrementalMarker::default()
        }
    }

    /// Sets `address`'s mark bit; `true` if this marker set it first.
    ///
    /// # Safety
    /// `address` is an object start on `page`; the caller is the collector that owns it, in its
    /// marking phase (P5), and the other marker, if any, marks with an atomic or too (P7).
    #[inline(always)]
    unsafe fn mark(&self, page: PageRef, address: Address) -> bool {
        // SAFETY: the caller's guarantees.
        unsafe {
            match self.thread {
                MarkerThread::Alone => page.mark(address),
                _ => page.mark_shared(address),
            }
        }
    }

    /// Adds `bytes` to `page`'s live-byte count.
    ///
    /// # Safety
    /// As [`IncrementalMarker::mark`].
    #[inline(always)]
    unsafe fn add_live_bytes(&self, page: PageRef, bytes: usize) {
        // SAFETY: the caller's guarantees.
        unsafe {
            match self.thread {
                MarkerThread::Alone => page.add_live_bytes(bytes),
                _ => page.add_live_bytes_shared(bytes),
            }
        }
    }

    /// Adds grey objects another marker published (each marked, not scanned, in no other
    /// worklist).
    pub fn add_grey(&mut self, grey: Vec<Address>) {
        self.worklist.extend(grey);
    }

    /// The grey objects of this marker, for the other one.
    pub fn take_worklist(&mut self) -> Vec<Address> {
        std::mem::take(&mut self.worklist)
    }

    /// The `len` newest grey objects, when more than twice as many are waiting: a share to
    /// publish for the other marker. Not the oldest: taking them from the front moved the whole
    /// worklist at every share, which on a list of 100,000 grey objects cost twenty times the
    /// scanning it was shared between.
    pub fn split_surplus(&mut self, len: usize) -> Option<Vec<Address>> {
        let waiting = self.worklist.len();
        (waiting > 2 * len).then(|| self.worklist.split_off(waiting - len))
    }

    /// The promoted objects the concurrent marker scanned since the last call, `pro` bits set.
    pub fn take_promoted_scanned(&mut self) -> Vec<Address> {
        std::mem::take(&mut self.promoted_scanned)
    }

    /// Counts the promoted objects a concurrent marker scanned as live, clearing their `pro`
    /// bits.
    ///
    /// # Safety
    /// `promoted` are live objects the concurrent marker scanned in this cycle, and it is
    /// stopped (P7): this thread alone reads and writes their headers.
    pub unsafe fn count_promoted_scanned(&mut self, promoted: Vec<Vec<Address>>) {
        for address in promoted.into_iter().flatten() {
            // SAFETY: the caller's guarantees (P2).
            let object = unsafe { HeapObject::from_address(address) };
            if object.take_promoted() {
                self.promoted_live += object.size();
            }
        }
    }

    /// Bytes scanned or allocated black since marking started.
    pub fn marked_bytes(&self) -> usize {
        self.marked_bytes
    }

    /// Bytes scanned since marking started.
    pub fn scanned_bytes(&self) -> usize {
        self.scanned_bytes
    }

    /// Bytes of the young objects the finalization pause reached (0 before its
    /// [`IncrementalMarker::finish_young`]).
    pub fn young_live_bytes(&self) -> usize {
        self.young_live_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.worklist.is_empty()
    }

    /// Greys `address` if it is a white old object.
    ///
    /// # Safety
    /// `address` is a live object start (P2), or memory an old-generation allocation just
    /// handed out that is formatted before the next scan; the caller is the collector that owns
    /// the old generation, in its marking phase (P5).
    #[inline(always)]
    pub unsafe fn grey(&mut self, address: Address) {
        // SAFETY: the caller's guarantees: `address` is in a live page (P1).
        let page = unsafe { PageRef::containing(address) };
        if page.flags().contains(PageFlags::IN_NEW_SPACE) {
            // SAFETY: in the finalization pause new space's bitmaps are lent to the marker
            // (`finish`), and `address` is a live young object start (the caller).
            if self.young == YoungObjects::Trace && unsafe { self.mark(page, address) } {
                self.young_worklist.push(address);
            }
            return;
        }
        // SAFETY: the caller's guarantees; the bit is read first so that an object already
        // marked costs no atomic write.
        if !page.is_marked(address) && unsafe { self.mark(page, address) } {
            self.worklist.push(address);
        }
    }

    /// Marks a new old object black: it holds only nulls, so there is nothing to scan.
    ///
    /// # Safety
    /// As [`IncrementalMarker::grey`], for a just-initialized object.
    pub unsafe fn allocate_black(&mut self, object: HeapObject) {
        let address = object.address();
        // SAFETY: the caller's guarantees; the live bytes belong to the same phase (P5).
        unsafe {
            let page = PageRef::containing(address);
            if self.mark(page, address) {
                self.add_live_bytes(page, object.size());
                self.marked_bytes += object.size();
            }
        }
    }

    /// Greys every object a strong handle holds.
    ///
    /// # Safety
    /// As [`IncrementalMarker::grey`]: handles hold live object starts (P2).
    pub unsafe fn mark_roots(&mut self, core: &HeapCore) {
        // SAFETY: the caller's guarantees.
        core.handles
            .for_each_root(|root| unsafe { self.grey(root) });
    }

    /// Completes marking in the finalization pause: the roots again, then grey objects, young
    /// objects reached from the roots, from marked objects and from each other, and the young
    /// objects the remembered slots of marked objects name, until nothing new is reached. Each
    /// drain goes parallel as `marking` says, on `HeapConfig::gc_threads` threads.
    ///
    /// # Safety
    /// In the collector's finalization pause, with `young_pages` (new space's pages, walkable,
    /// with clean bitmaps and no live bytes) lent to it; `remembered` holds every old-to-new
    /// slot, each in a live page (P1, P2, P5). Call [`IncrementalMarker::finish_young`] before
    /// the pause ends.
    pub unsafe fn finish(
        &mut self,
        core: &HeapCore,
        remembered: Option<&mut (dyn RememberedSet + '_)>,
        marking: PauseMarking,
    ) {
        self.young = YoungObjects::Trace;
        // SAFETY: the caller's guarantees.
        unsafe { self.mark_roots(core) };
        let threads = core.config.gc_threads;
        // SAFETY: the caller's guarantees: grey objects are marked live object starts (P2), and
        // young objects are traced, so the parallel marker follows every pointer this one would.
        let drain = |marker: &mut IncrementalMarker| unsafe {
            marking.drain(marker, &core.gc_workers, threads)
        };
        let Some(remembered) = remembered else {
            drain(self);
            return;
        };
        let hosts = MarkedHosts::new(core);
        loop {
            drain(self);
            // SAFETY: the caller's guarantees: remembered slots lie in live old pages.
            unsafe { self.mark_from_remembered_slots(&hosts, remembered) };
            if self.worklist.is_empty() && self.young_worklist.is_empty() {
                return;
            }
        }
    }

    /// Greys the young objects that remembered slots of marked objects point at.
    ///
    /// # Safety
    /// As [`IncrementalMarker::finish`].
    unsafe fn mark_from_remembered_slots(
        &mut self,
        hosts: &MarkedHosts,
        remembered: &mut (dyn RememberedSet + '_),
    ) {
        remembered.iterate(&mut |slot| {
            // SAFETY: the caller's guarantees.
            if unsafe { hosts.contains(slot) } {
                // SAFETY: the slot lies in a live object (P2).
                let word = unsafe { Slot::new(slot) }.load();
                if let Some(target) = word.as_pointer() {
                    // SAFETY: a slot of a live object names a live object (P2).
                    unsafe { self.grey(target) };
                }
            }
            SlotCallbackResult::Keep
        });
    }

    /// Ends young tracing: the pointer slots of young objects `finish` did not reach are nulled
    /// (nothing will ever read them, and the old objects they name may be freed now), the young
    /// live bytes are summed ([`IncrementalMarker::young_live_bytes`]), and the young marks and
    /// live bytes are cleared.
    ///
    /// # Safety
    /// In the same pause, after weak references were processed, on the pages lent to `finish`.
    pub unsafe fn finish_young(&mut self, young_pages: ForEachPage<'_>) {
        self.young = YoungObjects::Skip;
        young_pages(&mut |page| {
            self.young_live_bytes += page.live_bytes();
            // SAFETY: the caller's guarantee: walkable pages lent to this pause (P1, P5); an
            // unreached young object is garbage no handle, weak handle or slot names any more,
            // so nulling its slots keeps P2.
            unsafe {
                for object in page.objects() {
                    if !page.is_marked(object.address()) {
                        for index in 0..object.slot_count() {
                            object.set_slot_raw(index, TaggedWord::NULL);
                        }
                    }
                }
                page.mark_bitmap().clear();
                page.set_live_bytes(0);
            }
        });
    }

    /// Scans grey objects (and, in the finalization pause, reached young ones) until none is
    /// left.
    pub fn drain(&mut self) {
        while self.scan_next() {}
    }

    /// Scans one grey object, old ones first; returns whether there was one.
    #[inline(always)]
    fn scan_next(&mut self) -> bool {
        if let Some(address) = self.worklist.pop() {
            self.scan(address);
        } else if let Some(address) = self.young_worklist.pop() {
            self.scan_young(address);
        } else {
            return false;
        }
        true
    }

    fn scan_young(&mut self, address: Address) {
        // SAFETY: only young object starts reached in the pause are pushed (P2).
        let object = unsafe { HeapObject::from_address(address) };
        // SAFETY: new space's pages are lent to the pause, their live bytes counted for
        // `finish_young` (P5).
        unsafe { self.add_live_bytes(PageRef::containing(address), object.size()) };
        // SAFETY: slots of a live object hold live object starts (P2); the pause owns marking.
        object.for_each_pointer(|_, target| unsafe { self.grey(target) });
    }

    /// Scans grey objects within `budget`.
    pub fn drain_within(&mut self, budget: DrainBudget) -> Drained {
        let start = self.marked_bytes;
        let mut objects = 0;
        while let Some(address) = self.worklist.pop() {
            self.scan(address);
            let done = self.marked_bytes - start;
            if done >= budget.max_bytes {
                return Drained::Budget;
            }
            objects += 1;
            if done >= budget.min_bytes
                && objects % OBJECTS_PER_CLOCK_CHECK == 0
                && Instant::now() >= budget.deadline
            {
                return Drained::Budget;
            }
        }
        Drained::Empty
    }

    #[inline(always)]
    fn scan(&mut self, address: Address) {
        // SAFETY: only old object starts are pushed, formatted before any scan (P2); on the
        // concurrent marker, formatted before they were published to it (P7).
        let object = unsafe { HeapObject::from_address(address) };
        let size = object.size();
        // SAFETY: the marker's owner is in its marking phase (P5, `grey`).
        unsafe { self.add_live_bytes(PageRef::containing(address), size) };
        self.marked_bytes += size;
        self.scanned_bytes += size;
        if self.thread == MarkerThread::Concurrent {
            if object.is_promoted() {
                self.promoted_scanned.push(address);
            }
            // SAFETY: as below; the acquire loads pair with the mutator's release stores, so
            // a white object found here was initialized before (P7).
            object.for_each_pointer_acquire(|_, target| unsafe { self.grey(target) });
            return;
        }
        if object.take_promoted() {
            self.promoted_live += size;
        }
        // SAFETY: slots of a live object hold live object starts (P2); same phase as above.
        object.for_each_pointer(|_, target| unsafe { self.grey(target) });
    }

    /// Bytes of promoted objects scanned since the last call (their `pro` bit cleared), for
    /// `HeapCore::promoted_survival`; kept across [`IncrementalMarker::reset`], as the bits
    /// stay cleared when marking is abandoned.
    pub fn take_promoted_live(&mut self) -> usize {
        std::mem::take(&mut self.promoted_live)
    }

    /// Forgets the grey objects and the count (when marking is abandoned or over).
    pub fn reset(&mut self) {
        debug_assert!(self.promoted_scanned.is_empty());
        self.worklist.clear();
        self.young_worklist.clear();
        self.young = YoungObjects::Skip;
        self.marked_bytes = 0;
        self.scanned_bytes = 0;
        self.young_live_bytes = 0;
    }

    /// Checks the tri-colour invariant over `pages` (walkable old-generation pages): no black
    /// object points at a white old object. `also_grey`: the grey objects of other markers.
    ///
    /// # Safety
    /// Every page in `pages` is walkable (as for `PageRef::cells`: every allocation area in it
    /// was made iterable, as `Heap::verify` does first), and its objects' slots name live
    /// objects (P1, P2).
    pub unsafe fn check_tricolour(
        &self,
        pages: &[PageRef],
        also_grey: impl Iterator<Item = Address>,
    ) -> Result<(), VerifyError> {
        let grey: HashSet<Address> = self.worklist.iter().copied().chain(also_grey).collect();
        for &page in pages {
            // SAFETY: the caller made every page walkable (P1).
            for (address, kind) in unsafe { page.cells() } {
                if kind != HeaderKind::Object || !page.is_marked(address) || grey.contains(&address)
                {
                    continue;
                }
                // SAFETY: the walk found an object here (P1, P2).
                let object = unsafe { HeapObject::from_address(address) };
                let mut white = None;
                object.for_each_pointer(|slot, target| {
                    // SAFETY: a slot of a live object names a live object start (P2).
                    if white.is_none() && unsafe { !is_young(target) && !is_marked(target) } {
                        white = Some((slot, target));
                    }
                });
                if let Some((slot, target)) = white {
                    return Err(VerifyError(format!(
                        "black object {address} points at white object {target} from slot \
                         {slot} while marking"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The finalization pause's drain, shared with `gc_marksweep`'s [`PauseMarking`]: the grey old
/// and young objects together, as the parallel marker does not tell them apart.
impl GreyWorklist for IncrementalMarker {
    fn drain(&mut self) {
        IncrementalMarker::drain(self);
    }

    fn drain_for_objects(&mut self, objects: usize) -> bool {
        for _ in 0..objects {
            if !self.scan_next() {
                return true;
            }
        }
        self.worklist.is_empty() && self.young_worklist.is_empty()
    }

    fn take_grey(&mut self) -> Vec<Address> {
        let mut grey = std::mem::take(&mut self.worklist);
        grey.append(&mut self.young_worklist);
        grey
    }

    fn add_promoted_live(&mut self, bytes: usize) {
        self.promoted_live += bytes;
    }
}
