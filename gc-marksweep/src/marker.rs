//! Marking: tri-colour tracing from the roots into the pages' mark bitmaps.
//!
//! An object turns grey when its mark bit is set and it is pushed on the worklist, and black when
//! it is popped and its slots are scanned. The worklist is an explicit stack on the Rust heap, so
//! a ten-million-long linked list costs memory, not native stack. Invariant when `drain` returns:
//! every object reachable from a marked object is marked, and each page's live-byte count is the
//! sum of its marked objects' sizes.

use gc_core::collector_api::{Address, HeapCore, HeapObject, PageRef};

pub struct Marker {
    worklist: Vec<Address>,
    marked_bytes: usize,
    marked_objects: usize,
    /// Bytes of scanned objects a scavenge promoted since the last full collection.
    promoted_live: usize,
}

/// Whether the object starting at `address` is marked.
///
/// # Safety
/// `address` is the start of a live object (P2): masking it must find a live page's header
/// (P1). An arbitrary address would be masked to memory that is no page.
///
/// Safe code cannot pass it an arbitrary address:
///
/// ```compile_fail,E0133
/// // calling an unsafe fn without unsafe
/// gc_marksweep::marker::is_marked(gc_core::collector_api::Address::new(8));
/// ```
///
/// A collector asks it about the objects the heap names, after marking:
///
/// ```
/// use gc_core::{CollectionKind, Heap, HeapConfig};
/// use gc_marksweep::MarkSweep;
/// use gc_marksweep::marker::is_marked;
///
/// let mut heap = Heap::new(HeapConfig::for_testing(), MarkSweep::new()).unwrap();
/// let node = heap.intern_type("Node").unwrap();
/// heap.handle_scope(|heap, scope| {
///     let _root = heap.allocate(scope, node, 0, 0).unwrap();
///     heap.collect(CollectionKind::Full);
///     let mut roots = 0;
///     // SAFETY: the view is read while `heap` is borrowed, and a root holds a live object
///     // start (P1, P2).
///     unsafe {
///         heap.core().handles.for_each_root(|object| {
///             assert!(!is_marked(object), "the sweep cleared every mark bit");
///             roots += 1;
///         })
///     };
///     assert_eq!(roots, 1);
/// });
/// ```
#[inline]
pub unsafe fn is_marked(address: Address) -> bool {
    // SAFETY: callers pass object starts of live pages (P2), so masking finds the header.
    unsafe { PageRef::containing(address) }.is_marked(address)
}

impl Marker {
    /// A marker with an empty worklist.
    ///
    /// # Safety
    /// Only the collector that owns the heap's pages may mark them (rule P5): call this inside
    /// that collector's pause or marking phase, on a heap whose mark bits it cleared or set
    /// itself, and drop the marker before the phase ends. The marker's other methods rely on it.
    pub unsafe fn new() -> Marker {
        Marker {
            worklist: Vec::new(),
            marked_bytes: 0,
            marked_objects: 0,
            promoted_live: 0,
        }
    }

    /// Greys every object a strong handle holds.
    pub fn mark_roots(&mut self, core: &HeapCore) {
        core.handles.for_each_root(|root| self.mark(root));
    }

    /// Greys `address` if it is white. Private: `address` must be a live object start (P2),
    /// which only the roots and the slots the marker scans are known to be.
    #[inline(always)]
    fn mark(&mut self, address: Address) {
        // SAFETY: roots and pointer slots hold live object starts (P2), so masking finds their
        // page; the marker's creator owns the marking phase (P5, `Marker::new`).
        if unsafe { PageRef::containing(address).mark(address) } {
            self.worklist.push(address);
        }
    }

    /// Scans grey objects until none is left.
    pub fn drain(&mut self) {
        while let Some(address) = self.worklist.pop() {
            self.scan(address);
        }
    }

    /// Scans grey objects until none is left or `bytes` of objects have been scanned; returns
    /// whether the worklist is empty.
    pub fn drain_for(&mut self, bytes: usize) -> bool {
        let goal = self.marked_bytes + bytes;
        self.drain_while(|marker| marker.marked_bytes < goal)
    }

    /// Scans grey objects while `more` says so and some are left; returns whether the worklist
    /// is empty.
    #[inline(always)]
    fn drain_while(&mut self, more: impl Fn(&Marker) -> bool) -> bool {
        while more(self) {
            match self.worklist.pop() {
                Some(address) => self.scan(address),
                None => return true,
            }
        }
        self.worklist.is_empty()
    }

    #[inline(always)]
    fn scan(&mut self, address: Address) {
        // SAFETY: only marked object starts are pushed (P2).
        let object = unsafe { HeapObject::from_address(address) };
        let size = object.size();
        // SAFETY: as above; the marking phase owns the live-byte counts too (P5).
        unsafe { PageRef::containing(address).add_live_bytes(size) };
        self.marked_bytes += size;
        self.marked_objects += 1;
        if object.take_promoted() {
            self.promoted_live += size;
        }
        object.for_each_pointer(|_, target| self.mark(target));
    }

    /// Scans grey objects until none is left or `objects` more have been scanned; returns
    /// whether the worklist is empty.
    pub fn drain_for_objects(&mut self, objects: usize) -> bool {
        let goal = self.marked_objects + objects;
        self.drain_while(|marker| marker.marked_objects < goal)
    }

    /// The grey objects not scanned yet, for other threads to go on with
    /// ([`crate::parallel_marker::mark_in_parallel`]).
    pub fn take_worklist(&mut self) -> Vec<Address> {
        std::mem::take(&mut self.worklist)
    }

    /// Bytes of objects scanned since this marker was made.
    pub fn marked_bytes(&self) -> usize {
        self.marked_bytes
    }

    pub fn marked_objects(&self) -> usize {
        self.marked_objects
    }

    /// Bytes of objects promoted since the last full collection that this marker scanned (their
    /// `pro` bit cleared), since the last call; for `HeapCore::promoted_survival`.
    pub fn take_promoted_live(&mut self) -> usize {
        std::mem::take(&mut self.promoted_live)
    }

    /// Adds promoted bytes another thread's marking found for this marker's phase.
    pub fn add_promoted_live(&mut self, bytes: usize) {
        self.promoted_live += bytes;
    }

    pub fn is_done(&self) -> bool {
        self.worklist.is_empty()
    }
}
