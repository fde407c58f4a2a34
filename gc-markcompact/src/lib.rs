//! # gc-markcompact: compaction of the old generation
//!
//! Mark-sweep leaves holes; a long-running program's heap fragments until memory is wasted.
//! [`MarkCompact`] is mark-sweep that also moves objects, as V8's mark-compact collector does:
//!
//! - after marking, [`evacuation_candidates`] picks the fragmented pages (mostly free, the least
//!   live first, a bounded number of bytes to move per cycle, and only when that frees a page);
//! - the other pages are swept with `gc-marksweep`'s sweeper, and the [`evacuator`] copies the
//!   candidates' live objects into the holes of those pages (or fresh pages), leaving forwarding
//!   pointers behind;
//! - [`pointer_updating`] rewrites every slot of every live object, the handles, the weak handles
//!   and the external-memory table to the new addresses, and the emptied pages go back to the
//!   memory allocator;
//! - under memory pressure (an allocation failed, the heap nears its hard limit, or the program
//!   sent a low-memory notification) [`full_compaction`] evacuates every page but the densest
//!   few, so that old space ends dense and committed memory shrinks.
//!
//! Large objects never move. `Generational<MarkCompact>` (from `gc-scavenge`) is
//! `gen-markcompact`.
//!
//! ```
//! use gc_core::{CollectionKind, Heap, HeapConfig};
//! use gc_markcompact::{CompactionPolicy, MarkCompact};
//!
//! let collector = MarkCompact::with_policy(CompactionPolicy::stress_every_page());
//! let mut heap = Heap::new(HeapConfig::for_testing(), collector).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! let (parent, weak) = heap.handle_scope(|heap, scope| {
//!     let parent = heap.allocate(scope, node, 1, 0).unwrap();
//!     let child = heap.allocate(scope, node, 0, 16).unwrap();
//!     heap.store(parent, 0, child).unwrap();
//!     (heap.persistent(parent).unwrap(), heap.downgrade(child).unwrap())
//! }); // the child lives on through its parent
//! heap.collect(CollectionKind::Full); // both objects move
//! assert_eq!(heap.collector().last_compaction().unwrap().moved_objects, 2);
//! // The persistent handle, the slot and the weak handle all followed.
//! assert!(heap.is_alive(weak).unwrap());
//! assert_eq!(heap.slot_type(&parent, 0).unwrap(), Some(node));
//! heap.handle_scope(|heap, scope| {
//!     let child = heap.load(scope, &parent, 0).unwrap().as_local().unwrap();
//!     assert!(heap.refers_to(weak, child).unwrap());
//! });
//! ```
//!
//! Safety: the `unsafe` blocks cite `gc-core`'s rules P1 to P5 (see its crate docs).

pub mod evacuation_candidates;
pub mod evacuator;
pub mod full_compaction;
pub mod mark_compact;
pub mod pointer_updating;

pub use evacuation_candidates::{CompactionPolicy, CompactionStress};
pub use mark_compact::{CompactionKind, CompactionSummary, MarkCompact};
