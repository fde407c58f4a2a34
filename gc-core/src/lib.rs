//! # gc-core: the heap of gclab
//!
//! The object model, pages, spaces, handles, the write barrier, the collector traits, GC events
//! and the heap verifier: everything the collectors (`gc-marksweep` and the others) share. No
//! collector lives here. `../shared/design.md` of the repository explains the architecture.
//!
//! ```
//! use gc_core::{CollectionKind, Heap, HeapConfig, Value};
//! # use gc_core::testkit::NoGc as Collector;
//! let mut heap = Heap::new(HeapConfig::for_testing(), Collector::default()).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! // Locals live until their handle scope's closure returns; a persistent handle outlives it.
//! let parent = heap.handle_scope(|heap, scope| {
//!     let parent = heap.allocate(scope, node, 2, 0).unwrap();
//!     let child = heap.allocate(scope, node, 0, 16).unwrap();
//!     heap.store(parent, 0, child).unwrap();
//!     heap.store(parent, 1, Value::Smi(42)).unwrap();
//!     heap.persistent(parent).unwrap() // the child lives on through its parent
//! });
//! heap.collect(CollectionKind::Full);
//! heap.handle_scope(|heap, scope| {
//!     assert_eq!(heap.load(scope, &parent, 1).unwrap(), Value::Smi(42));
//!     let child = heap.load(scope, &parent, 0).unwrap().as_local().unwrap();
//!     assert_eq!(heap.payload(child).unwrap().len(), 16);
//! });
//! drop(parent); // no longer a root
//! ```
//!
//! ## Two layers
//!
//! The crate root is the mutator's API: [`Heap`], its roots ([`HandleScope`], [`Local`],
//! [`Persistent`], [`WeakHandle`]), values, configuration, events and errors; all of it is safe.
//! [`collector_api`] is the collector-author layer (addresses, pages, object headers, slots,
//! spaces, the remembered set, [`HeapCore`](collector_api::HeapCore)): what an `unsafe impl` of
//! [`Collector`] works with.
//!
//! ## Safety argument
//!
//! Collectors work on raw memory; these rules are what makes that sound. Every `unsafe` block
//! cites the rule it relies on.
//!
//! - **P1 (page memory).** An address inside a page that a space owns is valid for word reads
//!   and writes until the space gives the page back to the
//!   [`MemoryAllocator`](collector_api::MemoryAllocator), which happens only
//!   inside a collection. Page memory comes from a [`page_source`] that exposed its provenance.
//! - **P2 (object starts).** Every address held in the handle tables, the external-memory table,
//!   a remembered set, or a pointer slot of a reachable object is the start of a live object
//!   with a valid header. Collectors keep this true (the verifier checks it); a
//!   [`HeapObject`](collector_api::HeapObject) may
//!   only be made from such an address.
//! - **P3 (no aliasing references).** Heap memory is read and written through raw pointers only.
//!   The sole references into pages are `&PageHeader` (all its mutable state is in `Cell`s) and
//!   the payload slices [`Heap::payload`] lends out, which borrow the heap, so nothing writes the
//!   heap while they live. A heap is single-threaded (`!Send`, `!Sync`).
//! - **P4 (bounds).** Slot and payload indices that come from a user are checked against the
//!   object's header before memory is touched.
//! - **P5 (page state).** A page's header state (mark bits, live-byte count, flags, owner,
//!   allocation top) and the raw slot writes that bypass the barrier are the collector's alone:
//!   the methods that write them are `unsafe`, and a collector calls them only in its own pause
//!   or marking phase.
//!
//! - **P6 (root storage).** The local-handle stack and the persistent-handle table are shared
//!   through `Rc`s with interior mutability (scopes and persistent handles reach them without
//!   borrowing the heap). They are touched only inside their own modules' methods, each access a
//!   borrow that ends before the method calls any code but its own, so no two borrows of one of
//!   them overlap; `Rc` and `UnsafeCell` keep them on one thread.
//!
//! - **P7 (concurrent readers).** A collector may run a thread that reads the heap while the
//!   mutator runs (a concurrent marker) under these conditions. Its constraints say
//!   `concurrent`, so the mutator's slot stores are release stores, and the thread reads slots
//!   with acquire loads: an object it finds through a slot was initialized (and, if allocated
//!   while it runs, marked) before. It writes nothing but mark bits (atomic or) and live-byte
//!   counts (atomic adds), and reads headers only of objects it alone scans (it won their mark
//!   bit). Objects allocated while it runs are marked before the mutator can publish them, so
//!   it never scans one being initialized. And the collector stops the thread, and waits until
//!   it has stopped (a happens-before edge through a lock), before anything that frees, moves
//!   or reuses memory, rewrites a slot without a release store, or writes a header or page
//!   state the thread reads: its pauses, the plan's scavenges
//!   (`OldGenerationCollector::before_scavenge`), verification, and the heap's teardown (a
//!   heap drops its collector before its core).
//!
//! - **P8 (concurrent sweepers).** A collector may run a thread that sweeps old-space pages
//!   while the mutator runs, under these conditions. The pages it sweeps were queued in the
//!   collector's pause after a complete marking, with none of their memory on the free list or
//!   in an allocation area, so the mutator writes on them only into live objects' slots, never
//!   into the dead memory the thread formats, and never into a header the thread reads (it
//!   reads only live objects' sizes and the page's mark bits). The thread sweeps a page only
//!   after winning it from a to-sweep state with an atomic compare-and-swap, so each page has one
//!   sweeper; it writes nothing of the page header but mark bits and the live-byte count (never
//!   the flags, the main thread's), and lists the page's free blocks in a free list of its own,
//!   which reaches old space's only through a lock, after the page is swept. And the collector
//!   stops the thread, and waits until it has finished the page it holds, before anything that
//!   walks old space's pages, releases or reuses a page the thread may sweep, or resets the free
//!   list: a scavenge, making the heap iterable, verification, a stop-the-world collection, and
//!   the heap's teardown.
//!
//! [`Collector`] is an `unsafe trait`: an implementation promises to keep P1, P2 and P5, which
//! is what lets the mutator API above be safe. Mutator code never sees a page or an object:
//! [`Heap::core`], the view of the internals for tests and tools, is `unsafe`, because a page or
//! object taken from it would dangle after the next collection. Walking a page
//! ([`PageRef::cells`](collector_api::PageRef::cells)) is `unsafe` too: an allocation area in it may hold unformatted memory.

// The crate root holds the mutator's API; `collector_api` gathers the collector-author layer.
pub mod address;
pub mod bytes_and_duration;
pub mod collector;
pub mod collector_api;
pub mod config;
pub mod digest;
pub mod error;
pub mod event;
pub mod external_memory;
pub mod free_list;
pub mod gc_tracer;
pub mod gc_workers;
pub mod handles;
pub mod heap;
mod heap_core;
pub mod heap_growing;
pub mod heap_objects_map;
pub mod heap_walk;
pub mod large_object_space;
pub mod leak_detector;
pub mod linear_allocation_area;
pub mod local_handles;
pub mod mark_bitmap;
pub mod memory_allocator;
pub mod mutator_recording;
pub mod object;
pub mod object_moves;
pub mod old_generation;
pub mod old_space;
pub mod page;
pub mod page_source;
pub mod parallel_work;
mod pending_drops;
pub mod persistent_handles;
pub mod promoted_survival;
pub mod remembered_set;
pub mod retaining_path;
pub mod slot;
pub mod stress;
pub mod tagged;
pub mod thread_ticks;
pub mod trace_gc_nvp;
pub mod type_table;
pub mod value;
pub mod verifier;
pub mod write_barrier;

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

// The mutator's API. The collector-author layer is `collector_api`.
pub use collector::{BarrierKind, CollectionKind, Collector, CollectorConstraints, Progress};
pub use config::{ConfigError, HeapConfig, MAX_GC_THREADS, VerifyHeap, default_gc_threads};
pub use digest::{Digest, LiveGraph};
pub use error::{HeapError, OutOfMemory};
pub use event::{GcEvent, GcKind, GcPhase, GcReason, MutatorUtilization, PauseOutcome};
pub use gc_tracer::trace_gc_line;
pub use handles::{Rooted, WeakHandle};
pub use heap::{Heap, HeapStats, RecordedCheckpoint, RecordingError};
pub use heap_walk::WalkedObject;
pub use leak_detector::{
    LeakDetector, LeakReport, MemoryWatchEvent, MemoryWatchListener, UsageStats,
};
pub use local_handles::{EscapableHandleScope, HandleScope, HandleScopes, Local};
pub use mutator_recording::{RecordSink, RecordedEvent, RecordedValue, RecordingSummary};
pub use object::ObjectShape;
pub use page::PAGE_SIZE;
pub use page_source::PageSourceKind;
pub use persistent_handles::Persistent;
pub use retaining_path::{ObjectKey, PathStep};
pub use tagged::Smi;
pub use trace_gc_nvp::trace_gc_nvp_line;
pub use type_table::{NodeType, TypeId};
pub use value::{SlotContent, StoreValue, Value};
pub use verifier::{VerifyError, VerifySummary};
