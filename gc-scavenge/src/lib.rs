//! # gc-scavenge: the young generation
//!
//! New space of two semispaces made of pages, with bump-pointer allocation; a Cheney-style
//! scavenger that copies reachable young objects breadth-first and promotes them to old space
//! on their second survival (the age mark, as in V8); the generational write barrier's
//! remembered sets (a per-page [`SlotSet`](slot_set::SlotSet) and a [`StoreBuffer`]); semispace
//! sizing; and [`Generational`], the plan that composes all of it with an old-generation
//! collector (`Generational<MarkSweep>` is `gen-marksweep`).
//!
//! ```
//! use gc_core::{CollectionKind, Heap, HeapConfig};
//! use gc_core::collector_api::{RememberedSet};
//! use gc_marksweep::MarkSweep;
//! use gc_scavenge::Generational;
//!
//! let mut heap = Heap::new(HeapConfig::for_testing(), Generational::new(MarkSweep::new())).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! heap.handle_scope(|heap, scope| {
//!     let old = heap.allocate(scope, node, 1, 0).unwrap();
//!     heap.collect(CollectionKind::Young);
//!     heap.collect(CollectionKind::Young); // survived twice: promoted
//!     scope.scope(|inner| {
//!         let young = heap.allocate(inner, node, 0, 8).unwrap();
//!         heap.store(old, 0, young).unwrap(); // an old-to-new slot, remembered
//!     }); // the young object's local is gone: only the slot keeps it
//!     heap.collect(CollectionKind::Young);
//!     assert_eq!(heap.collector().remembered_set().len(), 1);
//! });
//! ```
//!
//! Safety: the `unsafe` blocks cite `gc-core`'s rules P1 to P5 (see its crate docs).

pub mod generational;
pub mod new_space;
mod parallel_scavenger;
mod prediction;
pub mod scavenger;
pub mod semispace_sizing;
pub mod slot_set;
pub mod store_buffer;
mod verify;

pub use generational::Generational;
pub use new_space::{MAX_YOUNG_OBJECT_SIZE, NewSpace};
pub use scavenger::ScavengeResult;
pub use semispace_sizing::{CopyTime, SemispaceSizing, YoungGenerationConfig};
pub use slot_set::SlotSetRememberedSet;
pub use store_buffer::StoreBuffer;
