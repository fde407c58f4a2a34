//! # gc-incremental: incremental marking with lazy sweeping
//!
//! The old generation marked in small steps between the mutator's work, as V8 does (its
//! `incremental-marking.cc`, `marking-barrier.cc`, `sweeper.cc`): marking starts when old space
//! nears its allocation limit, advances in paced steps from the allocation slow path, keeps the
//! tri-colour invariant with an insertion (Dijkstra) write barrier and black allocation, ends in
//! a short finalization pause, and leaves the pages to be swept one by one by the allocator.
//!
//! - [`incremental_marking`]: the marker (grey worklist, black allocation, young objects as
//!   roots) and the tri-colour check the verifier runs.
//! - [`marking_barrier`]: turning the write barrier's page flags on and off around marking.
//! - [`marking_schedule`]: when marking starts and how much each step does.
//! - [`dead_slots`]: forgetting the remembered old-to-new slots of dead objects at finalization.
//! - [`lazy_sweeper`]: the pages left to sweep after marking, swept on demand; under the
//!   concurrent collectors [`concurrent_sweeper`] sweeps them on a background thread too, and
//!   [`page_sweeper`] picks between the two.
//! - [`incremental`]: the collector, [`Incremental`] (`incremental`), which the scavenger's plan
//!   composes into `gen-incremental` (`gc_scavenge::Generational<Incremental>`).
//! - [`concurrent_marking`]: the marker thread that marks beside the mutator (V8's
//!   `concurrent-marking.cc`), its safepoint protocol, and [`marking_worklist`], the segments of
//!   grey objects the two threads hand each other.
//! - [`concurrent`]: [`Concurrent`] (`concurrent`; `gen-concurrent` under the scavenger), the
//!   incremental collector with the marker thread, and [`concurrent_start`], when its marking
//!   starts (later than incremental marking's, from the marker's measured speed).
//!
//! ```
//! use gc_core::{Heap, HeapConfig, Progress, SlotContent};
//! use gc_incremental::Incremental;
//! use std::time::Duration;
//!
//! let mut heap = Heap::new(HeapConfig::for_testing(), Incremental::new()).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! heap.handle_scope(|heap, scope| {
//!     let root = heap.allocate(scope, node, 1, 0).unwrap();
//!     // Garbage: its local goes with its scope.
//!     let weak = scope.scope(|inner| {
//!         let garbage = heap.allocate(inner, node, 0, 64).unwrap();
//!         heap.downgrade(garbage).unwrap()
//!     });
//!     // A whole cycle in steps: start marking, mark, finalize.
//!     while heap.collect_increment(Duration::from_millis(1)) == Progress::Continue {
//!         scope.scope(|inner| {
//!             // Allocated black while marking.
//!             let child = heap.allocate(inner, node, 0, 8).unwrap();
//!             heap.store(root, 0, child).unwrap();
//!         });
//!     }
//!     assert!(!heap.is_alive(weak).unwrap());
//!     assert_eq!(heap.read(root, 0).unwrap(), SlotContent::Reference);
//! });
//! ```
//!
//! Safety: the `unsafe` blocks cite `gc-core`'s rules P1 to P5, P7 for the marker thread and P8
//! for the sweeper thread (see its crate docs).

mod background_thread;
pub mod concurrent;
pub mod concurrent_marking;
pub mod concurrent_start;
pub mod concurrent_sweeper;
pub mod dead_slots;
pub mod incremental;
pub mod incremental_marking;
pub mod lazy_sweeper;
pub mod marking_barrier;
pub mod marking_schedule;
pub mod marking_worklist;
pub mod page_sweeper;

pub use concurrent::Concurrent;
pub use incremental::{Incremental, IncrementalConfig};
