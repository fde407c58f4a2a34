//! # gc-marksweep: stop-the-world, non-moving mark-sweep
//!
//! The first collector of gclab, and the old-generation building blocks others reuse: the
//! [`marker`] (explicit worklist, page mark bitmaps), the [`parallel_marker`] (the same tracing
//! on `HeapConfig::gc_threads` threads with work stealing), [`pause_marking`] (when a pause's
//! marking goes parallel, shared by every collector that marks in a pause), the [`sweeper`]
//! (free lists by size class, empty pages back to the pool) and the [`parallel_sweeper`] (its
//! pages on several threads).
//!
//! ```
//! use gc_core::{CollectionKind, Heap, HeapConfig, SlotContent};
//! use gc_marksweep::MarkSweep;
//!
//! let mut heap = Heap::new(HeapConfig::default(), MarkSweep::new()).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! let (root, weak) = heap.handle_scope(|heap, scope| {
//!     let root = heap.allocate(scope, node, 1, 0).unwrap();
//!     let garbage = heap.allocate(scope, node, 0, 64).unwrap();
//!     (heap.persistent(root).unwrap(), heap.downgrade(garbage).unwrap())
//! }); // the scope's locals are gone: only the persistent handle roots anything
//! heap.collect(CollectionKind::Full);
//! assert!(!heap.is_alive(weak).unwrap());
//! assert_eq!(heap.read(&root, 0).unwrap(), SlotContent::Null);
//! ```

pub mod mark_sweep;
pub mod marker;
pub mod parallel_marker;
pub mod parallel_sweeper;
pub mod pause_marking;
pub mod sweeper;

pub use mark_sweep::MarkSweep;
