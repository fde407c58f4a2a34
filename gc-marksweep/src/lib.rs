//! # gc-marksweep: stop-the-world, non-moving mark-sweep
//!
//! The first collector of gclab, and the old-generation building blocks others reuse: the
//! [`marker`] (explicit worklist, page mark bitmaps) and the [`sweeper`] (free lists by size
//! class, empty pages back to the pool).
//!
//! ```
//! use gc_core::{CollectionKind, Heap, HeapConfig, Value};
//! use gc_marksweep::MarkSweep;
//!
//! let mut heap = Heap::new(HeapConfig::default(), MarkSweep::new()).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! let root = heap.allocate(node, 1, 0).unwrap();
//! let garbage = heap.allocate(node, 0, 64).unwrap();
//! let weak = heap.downgrade(garbage).unwrap();
//! heap.release(garbage).unwrap();
//! heap.collect(CollectionKind::Full);
//! assert!(!heap.is_alive(weak).unwrap());
//! assert_eq!(heap.load(root, 0).unwrap(), Value::Null);
//! ```

pub mod mark_sweep;
pub mod marker;
pub mod sweeper;

pub use mark_sweep::MarkSweep;

/// The README's examples, compiled and run by `cargo test`.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
