//! Pages: 256 KiB blocks aligned to their size, each starting with a [`PageHeader`].
//!
//! ```text
//!  page start (aligned to PAGE_SIZE)
//!  ┌──────────────────────────────┬───────────────────────────────────────────┐
//!  │ PageHeader: flags, owner,    │ area: objects and fillers, back to back   │
//!  │ live bytes, allocation top,  │ from area_start up to allocation_top      │
//!  │ mark bitmap (1 bit per word) │                                           │
//!  └──────────────────────────────┴───────────────────────────────────────────┘
//! ```
//!
//! The header of the page holding an object is found by masking the object's start address, as
//! V8 finds its `MemoryChunk`. A large page holds one large object and may be longer than
//! [`PAGE_SIZE`]; its object starts in the first [`PAGE_SIZE`] bytes, so masking the object start
//! still finds the header (masking an arbitrary slot address of a large object does not).
//! Invariant: every byte from `area_start` to `allocation_top` belongs to an object or a filler,
//! so the page can be walked object by object.

use std::cell::Cell;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::address::{Address, round_up};
use crate::mark_bitmap::MarkBitmap;
use crate::object::{HeaderKind, HeapObject, header_kind, size_at};

/// Size and alignment of a page.
pub const PAGE_SIZE: usize = 256 * 1024;
/// Objects larger than this go to the large object space.
pub const MAX_REGULAR_OBJECT_SIZE: usize = PAGE_SIZE / 2;

/// Which space owns a page.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum SpaceId {
    NewSpace,
    OldSpace,
    LargeObjectSpace,
}

/// Page flags, kept in the header's first word as in V8's `MemoryChunk`. The write barrier's fast
/// path tests the two `POINTERS_*` flags.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub struct PageFlags(usize);

impl PageFlags {
    /// A store of a pointer to this page may need the barrier (new space; every page while
    /// marking is on).
    pub const POINTERS_TO_HERE_ARE_INTERESTING: PageFlags = PageFlags(1 << 0);
    /// A store into an object on this page may need the barrier (old pages in a generational
    /// heap; every page while marking is on).
    pub const POINTERS_FROM_HERE_ARE_INTERESTING: PageFlags = PageFlags(1 << 1);
    /// The page is in new space.
    pub const IN_NEW_SPACE: PageFlags = PageFlags(1 << 2);
    /// The page holds one large object.
    pub const LARGE_PAGE: PageFlags = PageFlags(1 << 3);
    /// The page is an evacuation candidate: its live objects will be moved out.
    pub const EVACUATION_CANDIDATE: PageFlags = PageFlags(1 << 4);
    /// The page has not been swept since the last marking.
    pub const NEEDS_SWEEPING: PageFlags = PageFlags(1 << 5);

    pub const fn empty() -> PageFlags {
        PageFlags(0)
    }

    pub const fn bits(self) -> usize {
        self.0
    }

    pub const fn union(self, other: PageFlags) -> PageFlags {
        PageFlags(self.0 | other.0)
    }

    pub const fn contains(self, other: PageFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn intersects(self, other: PageFlags) -> bool {
        self.0 & other.0 != 0
    }
}

/// The header at the start of every page.
#[repr(C)]
pub struct PageHeader {
    flags: Cell<PageFlags>,
    owner: Cell<SpaceId>,
    size: usize,
    live_bytes: AtomicUsize,
    allocation_top: Cell<Address>,
    mark_bitmap: MarkBitmap,
}

/// Offset of the first object from the page start.
pub const AREA_OFFSET: usize = round_up(std::mem::size_of::<PageHeader>(), 64);
/// Bytes available for objects in a regular page.
pub const AREA_SIZE: usize = PAGE_SIZE - AREA_OFFSET;

/// A handle to a live page. Copyable; valid until its space releases the page (rule P1).
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct PageRef(NonNull<PageHeader>);

impl PageRef {
    /// Formats the header of a fresh page of `size` bytes at `start`.
    ///
    /// # Safety
    /// `[start, start + size)` is zero-filled or unused memory from the page source, aligned to
    /// [`PAGE_SIZE`], not yet used as a page.
    pub(crate) unsafe fn initialize(start: Address, size: usize, owner: SpaceId) -> PageRef {
        debug_assert_eq!(start.raw() % PAGE_SIZE, 0);
        let header = start.as_mut_ptr().cast::<PageHeader>();
        // SAFETY: the caller hands us fresh, aligned memory large enough for the header.
        unsafe {
            header.write(PageHeader {
                flags: Cell::new(PageFlags::empty()),
                owner: Cell::new(owner),
                size,
                live_bytes: AtomicUsize::new(0),
                allocation_top: Cell::new(start.add(AREA_OFFSET)),
                mark_bitmap: MarkBitmap::zeroed(),
            });
            PageRef(NonNull::new_unchecked(header))
        }
    }

    /// The page holding the object that starts at `address`.
    ///
    /// # Safety
    /// `address` is an object start (or an address in the first [`PAGE_SIZE`] bytes) of a live
    /// page (P1).
    #[inline(always)]
    pub unsafe fn containing(address: Address) -> PageRef {
        let start = address.raw() & !(PAGE_SIZE - 1);
        // SAFETY: a live page starts at the masked address (caller), so it is not null.
        PageRef(unsafe { NonNull::new_unchecked(Address::new(start).as_mut_ptr().cast()) })
    }

    #[inline(always)]
    pub fn header(&self) -> &PageHeader {
        // SAFETY: the page is live (P1) and its header is only reached through shared
        // references with interior mutability (P3).
        unsafe { self.0.as_ref() }
    }

    pub fn start(self) -> Address {
        Address::new(self.0.as_ptr().expose_provenance())
    }

    pub fn area_start(self) -> Address {
        self.start().add(AREA_OFFSET)
    }

    pub fn area_end(self) -> Address {
        self.start().add(self.header().size)
    }

    pub fn size(self) -> usize {
        self.header().size
    }

    pub fn flags(self) -> PageFlags {
        self.header().flags.get()
    }

    /// # Safety
    /// Page state is written only by the collector that owns the page (rule P5).
    pub unsafe fn set_flags(self, flags: PageFlags) {
        self.header().flags.set(self.flags().union(flags));
    }

    /// # Safety
    /// Page state is written only by the collector that owns the page (rule P5).
    pub unsafe fn clear_flags(self, flags: PageFlags) {
        self.header()
            .flags
            .set(PageFlags(self.flags().0 & !flags.0));
    }

    pub fn owner(self) -> SpaceId {
        self.header().owner.get()
    }

    /// # Safety
    /// Page state is written only by the collector that owns the page (rule P5).
    pub unsafe fn set_owner(self, owner: SpaceId) {
        self.header().owner.set(owner)
    }

    pub fn live_bytes(self) -> usize {
        self.header().live_bytes.load(Relaxed)
    }

    /// # Safety
    /// Page state is written only by the collector that owns the page (rule P5).
    pub unsafe fn set_live_bytes(self, bytes: usize) {
        self.header().live_bytes.store(bytes, Relaxed)
    }

    /// # Safety
    /// Page state is written only by the collector that owns the page (rule P5).
    pub unsafe fn add_live_bytes(self, bytes: usize) {
        self.header()
            .live_bytes
            .store(self.live_bytes() + bytes, Relaxed)
    }

    /// [`PageRef::add_live_bytes`] when other threads may add to the same page at the same time
    /// (parallel marking).
    ///
    /// # Safety
    /// Rule P5: the threads are the owning collector's, in its pause.
    #[inline(always)]
    pub unsafe fn add_live_bytes_shared(self, bytes: usize) {
        self.header().live_bytes.fetch_add(bytes, Relaxed);
    }

    /// End of the walkable part of the area.
    pub fn allocation_top(self) -> Address {
        self.header().allocation_top.get()
    }

    /// # Safety
    /// Rule P5; and every byte from the area start to `top` is an object or a filler.
    pub unsafe fn set_allocation_top(self, top: Address) {
        debug_assert!(top >= self.area_start() && top <= self.area_end());
        self.header().allocation_top.set(top)
    }

    pub fn mark_bitmap(&self) -> &MarkBitmap {
        &self.header().mark_bitmap
    }

    /// Sets the mark bit of `object`; `true` if it was unmarked.
    ///
    /// # Safety
    /// `object` is an object start on this page, and the caller is the collector that owns the
    /// page (rule P5).
    #[inline(always)]
    pub unsafe fn mark(self, object: Address) -> bool {
        // SAFETY: guaranteed by the caller.
        unsafe { self.mark_bitmap().mark(object.offset_from(self.start())) }
    }

    /// [`PageRef::mark`] when other threads of the collector mark at the same time (parallel
    /// marking): exactly one of them sees `true` for an object.
    ///
    /// # Safety
    /// As for [`PageRef::mark`].
    #[inline(always)]
    pub unsafe fn mark_shared(self, object: Address) -> bool {
        // SAFETY: guaranteed by the caller.
        unsafe {
            self.mark_bitmap()
                .mark_shared(object.offset_from(self.start()))
        }
    }

    #[inline(always)]
    pub fn is_marked(self, object: Address) -> bool {
        self.mark_bitmap()
            .is_marked(object.offset_from(self.start()))
    }

    /// Walks the objects and fillers from `area_start` to `allocation_top`.
    ///
    /// # Safety
    /// The page is walkable: no allocation area in it holds unformatted memory (see
    /// `LinearAllocationArea::make_iterable`), and no moving collection is half done.
    pub unsafe fn cells(self) -> PageWalker {
        PageWalker {
            next: self.area_start(),
            end: self.allocation_top(),
        }
    }

    /// Walks the objects (not fillers) of the page.
    ///
    /// # Safety
    /// As [`PageRef::cells`].
    pub unsafe fn objects(self) -> impl Iterator<Item = HeapObject> {
        // SAFETY: the caller's guarantee.
        let cells = unsafe { self.cells() };
        cells.filter_map(|(address, kind)| match kind {
            // SAFETY: the walker yields object starts of this live page (P1, P2).
            HeaderKind::Object => Some(unsafe { HeapObject::from_address(address) }),
            _ => None,
        })
    }
}

impl fmt::Debug for PageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Page({})", self.start())
    }
}

impl MarkBitmap {
    fn zeroed() -> MarkBitmap {
        // SAFETY: a bitmap of `AtomicU64` is valid when all-zero.
        unsafe { std::mem::zeroed() }
    }
}

/// Iterator over `(address, kind)` of each object or filler in a page's walkable area. Stops at
/// a forwarded header, which only appears in the middle of a moving collection.
pub struct PageWalker {
    next: Address,
    end: Address,
}

impl Iterator for PageWalker {
    type Item = (Address, HeaderKind);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let address = self.next;
        // SAFETY: the page invariant says an object or filler starts here (P1).
        let kind = header_kind(unsafe { address.read_word() });
        if let HeaderKind::Forwarded(_) = kind {
            self.next = self.end;
            return Some((address, kind));
        }
        // SAFETY: as above; it is not forwarded.
        let size = unsafe { size_at(address) };
        // A zero size only comes from a corrupt header; stepping one word keeps the walk finite
        // and lets the verifier report it.
        self.next = address.add(size.max(crate::address::WORD));
        Some((address, kind))
    }
}
