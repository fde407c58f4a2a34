//! Marking: tri-colour tracing from the roots into the pages' mark bitmaps.
//!
//! An object turns grey when its mark bit is set and it is pushed on the worklist, and black when
//! it is popped and its slots are scanned. The worklist is an explicit stack on the Rust heap, so
//! a ten-million-long linked list costs memory, not native stack. Invariant when `drain` returns:
//! every object reachable from a marked object is marked, and each page's live-byte count is the
//! sum of its marked objects' sizes.

use gc_core::{Address, HeapCore, HeapObject, PageRef};

pub struct Marker {
    worklist: Vec<Address>,
    marked_bytes: usize,
    marked_objects: usize,
}

/// Whether the object starting at `address` is marked.
#[inline]
pub fn is_marked(address: Address) -> bool {
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
        }
    }

    /// Greys every object a strong handle holds.
    pub fn mark_roots(&mut self, core: &HeapCore) {
        core.handles.for_each_root(|root| self.mark(root));
    }

    /// Greys `address` if it is white.
    #[inline(always)]
    pub fn mark(&mut self, address: Address) {
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
        while self.marked_bytes < goal {
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
        object.for_each_pointer(|_, target| self.mark(target));
    }

    /// Bytes of objects scanned since this marker was made.
    pub fn marked_bytes(&self) -> usize {
        self.marked_bytes
    }

    pub fn marked_objects(&self) -> usize {
        self.marked_objects
    }

    pub fn is_done(&self) -> bool {
        self.worklist.is_empty()
    }
}
